package dev.tslake.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServeSettingsTest {
  @Test
  void theJobsWarehouseOptionsAndPortAndBind() {
    ServeSettings s =
        ServeSettings.fromArgs(
            new String[] {
              "--port=9090",
              "--warehouseUrl=jdbc:postgresql://127.0.0.1:5432/tslake",
              "--warehouseUser=tslake",
              "--warehousePassword=s3cret-value"
            },
            Map.of());
    assertEquals(9090, s.port);
    assertEquals("127.0.0.1", s.bind);
    assertEquals("jdbc:postgresql://127.0.0.1:5432/tslake", s.warehouse.url);
    assertFalse(s.warehouse.toString().contains("s3cret-value"));
  }

  @Test
  void defaultsServeTheDefaultWarehouseOnLoopback() {
    ServeSettings s = ServeSettings.fromArgs(new String[0], Map.of());
    assertEquals(8080, s.port);
    assertEquals("127.0.0.1", s.bind);
    assertTrue(s.warehouse.url.endsWith("target/tslake.duckdb"), s.warehouse.url);
  }

  @Test
  void passwordFromTheEnvironmentLikeTheJob() {
    ServeSettings s =
        ServeSettings.fromArgs(
            new String[] {"--warehouseUrl=jdbc:postgresql://h/db"},
            Map.of("TSLAKE_WAREHOUSE_PASSWORD", "from-env"));
    assertTrue(s.warehouse.passwordRef() != null);
    assertFalse(s.warehouse.toString().contains("from-env"));
  }

  @Test
  void aBadPortIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ServeSettings.fromArgs(new String[] {"--port=70000"}, Map.of()));
  }
}

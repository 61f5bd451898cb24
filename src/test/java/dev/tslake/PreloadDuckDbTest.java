package dev.tslake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** DuckDB's native library is loaded ahead only when the run's warehouse is DuckDB. */
class PreloadDuckDbTest {

  @Test
  void loadsDuckDbAheadOnlyForAnEmbeddedWarehouse() throws Exception {
    assertNull(
        TsLake.preloadDuckDb(
            new String[] {"--runner=DirectRunner", "--warehouseUrl=jdbc:postgresql://h:5432/db"}));
    Thread t = TsLake.preloadDuckDb(new String[] {"--warehouseUrl=jdbc:duckdb:/tmp/x.duckdb"});
    assertNotNull(t);
    assertEquals("tslake-preload-duckdb", t.getName());
    t.join(60_000);
    assertFalse(t.isAlive());
    assertNotNull(TsLake.preloadDuckDb(new String[] {"--config=testdata/tslake.json"}));
  }
}

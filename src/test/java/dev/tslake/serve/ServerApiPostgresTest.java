package dev.tslake.serve;

import dev.tslake.testing.PostgresSupport;
import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** The API over a PostgreSQL schema the default job filled. */
@Tag("integration")
class ServerApiPostgresTest extends ServerApiContract {
  @TempDir Path dir;
  private PostgresSupport.TestSchema schema;

  @BeforeAll
  void fill() {
    schema = PostgresSupport.freshSchema("serve");
    runDefaultJob(
        dir.resolve("lake"), schema.url(), PostgresSupport.user(), PostgresSupport.password());
    server =
        Server.start(
            ServeSettings.loopback(
                new WarehouseSpec(
                    schema.url(), PostgresSupport.user(), PostgresSupport.password())));
  }

  @AfterAll
  void drop() {
    if (server != null) {
      server.close();
      server = null;
    }
    if (schema != null) {
      schema.close();
    }
  }
}

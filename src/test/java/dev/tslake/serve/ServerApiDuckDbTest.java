package dev.tslake.serve;

import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** The API over a DuckDB file the default job filled. */
@Tag("integration")
class ServerApiDuckDbTest extends ServerApiContract {
  @TempDir Path dir;

  @BeforeAll
  void fill() {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    runDefaultJob(dir.resolve("lake"), spec.url, null, null);
    // the job's process lets go of the file, as a separate job process would when it ends
    spec.release();
    server = Server.start(ServeSettings.loopback(spec));
  }
}

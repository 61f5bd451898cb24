package dev.tslake.e2e;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10 item 4: every run is recorded, a failed one as {@code failed} with the reason. */
@Tag("integration")
class RunLifecycleTest {
  @TempDir Path dir;

  private void run(Path lake, WarehouseSpec wh, String runId) throws Exception {
    Path config = dir.resolve("c.json");
    Files.writeString(
        config,
        "{\"sources\": [{\"name\": \"fred\", \"type\": \"fred\", \"windows\": [\"P1Y\"],"
            + " \"files\": [\""
            + Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json").toAbsolutePath()
            + "\"]}]}");
    TsLake.run(
        PipelineOptionsFactory.fromArgs(
                "--config=" + config,
                "--lake=" + lake,
                "--warehouseUrl=" + wh.url,
                "--runId=" + runId,
                "--enforceImmutability=false",
                "--enforceEncodability=false")
            .withValidation()
            .as(TsLakeOptions.class));
  }

  @Test
  void aWarehouseTableThatRefusesLeavesAFailedRowWithTheReason() throws Exception {
    WarehouseSpec wh = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      try (Connection c = wh.open();
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE aggregates (source TEXT NOT NULL, series_id TEXT NOT NULL,"
                + " \"window\" TEXT NOT NULL, window_start TIMESTAMPTZ NOT NULL,"
                + " window_end TIMESTAMPTZ NOT NULL, n BIGINT NOT NULL CHECK (n < 0),"
                + " missing BIGINT NOT NULL, \"min\" DOUBLE PRECISION, \"max\" DOUBLE PRECISION,"
                + " mean DOUBLE PRECISION, \"first\" DOUBLE PRECISION, \"last\" DOUBLE PRECISION,"
                + " PRIMARY KEY (source, series_id, \"window\", window_start))");
        c.commit();
      }
      assertThrows(RuntimeException.class, () -> run(dir.resolve("lake"), wh, "refused"));
      List<String> rows =
          WarehouseDump.rows(
              wh, "SELECT run_id, status, finished_at IS NOT NULL, message FROM pipeline_runs");
      assertEquals(1, rows.size(), rows.toString());
      assertThat(rows.get(0), containsString("refused | failed | true | "));
      assertThat(rows.get(0).toLowerCase(), containsString("aggregates"));
    } finally {
      wh.release();
    }
  }

  @Test
  void aLakeThatCannotBeWrittenLeavesAFailedRow() throws Exception {
    WarehouseSpec wh = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      Path notADirectory = Files.writeString(dir.resolve("file"), "x");
      assertThrows(RuntimeException.class, () -> run(notADirectory.resolve("lake"), wh, "no-lake"));
      assertEquals(
          List.of("no-lake | failed"),
          WarehouseDump.rows(wh, "SELECT run_id, status FROM pipeline_runs"));
    } finally {
      wh.release();
    }
  }
}

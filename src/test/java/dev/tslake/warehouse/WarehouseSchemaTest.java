package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rejects keep their history: the key gains run_id, and older warehouses are migrated. */
class WarehouseSchemaTest {
  private static final String OLD_REJECTS =
      "CREATE TABLE rejects (source TEXT NOT NULL, origin TEXT NOT NULL, locator TEXT NOT NULL,"
          + " series_id TEXT, ts TEXT, \"value\" TEXT, vintage TEXT, stage TEXT NOT NULL,"
          + " reason TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (source, origin, locator))";

  @Test
  void duckDbWarehouseOfBeforeKeepsRejectsOfEveryRun(@TempDir Path dir) throws Exception {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      migratesAndKeepsHistory(spec);
    } finally {
      spec.release();
    }
  }

  @Test
  @Tag("integration")
  void postgresWarehouseOfBeforeKeepsRejectsOfEveryRun() throws Exception {
    String url = PostgresSupport.freshSchemaUrl("rejects_key");
    WarehouseSpec spec = new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password());
    try {
      migratesAndKeepsHistory(spec);
    } finally {
      spec.release();
      PostgresSupport.dropSchema(url);
    }
  }

  private static void migratesAndKeepsHistory(WarehouseSpec spec) throws Exception {
    try (Connection c = spec.open();
        Statement st = c.createStatement()) {
      st.execute(OLD_REJECTS);
      st.execute(
          "INSERT INTO rejects VALUES ('s', 'f.csv', 'line 3', 'x', 'bad', '1', NULL, 'parse',"
              + " 'no date', 'run-1')");
      c.commit();
    }
    WarehouseSchema.ensure(spec);
    WarehouseSchema.ensure(spec); // a second time changes nothing
    try (Connection c = spec.open();
        Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO rejects VALUES ('s', 'f.csv', 'line 3', 'x', 'bad', '1', NULL, 'parse',"
              + " 'no date', 'run-2')");
      c.commit();
    }
    assertEquals(
        List.of("run-1 | line 3", "run-2 | line 3"),
        WarehouseDump.rows(spec, "SELECT run_id, locator FROM rejects ORDER BY run_id"));
  }

  /** pipeline_runs as it was before records_in_flight (issue 11). */
  private static final String OLD_RUNS =
      "CREATE TABLE pipeline_runs (run_id TEXT NOT NULL PRIMARY KEY, started_at TIMESTAMPTZ NOT"
          + " NULL, finished_at TIMESTAMPTZ, runner TEXT, config TEXT, records_read BIGINT,"
          + " records_rejected BIGINT, observations_loaded BIGINT, duplicates_superseded BIGINT,"
          + " aggregates_loaded BIGINT, series_loaded BIGINT, status TEXT, message TEXT)";

  @Test
  void duckDbPipelineRunsOfBeforeGainRecordsInFlight(@TempDir Path dir) throws Exception {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("r.duckdb"), null, null);
    try {
      runsGainRecordsInFlight(spec);
    } finally {
      spec.release();
    }
  }

  @Test
  @Tag("integration")
  void postgresPipelineRunsOfBeforeGainRecordsInFlight() throws Exception {
    String url = PostgresSupport.freshSchemaUrl("runs_in_flight");
    WarehouseSpec spec = new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password());
    try {
      runsGainRecordsInFlight(spec);
    } finally {
      spec.release();
      PostgresSupport.dropSchema(url);
    }
  }

  private static void runsGainRecordsInFlight(WarehouseSpec spec) throws Exception {
    try (Connection c = spec.open();
        Statement st = c.createStatement()) {
      st.execute(OLD_RUNS);
      st.execute(
          "INSERT INTO pipeline_runs VALUES ('old', TIMESTAMPTZ '2025-01-01 00:00:00+00',"
              + " TIMESTAMPTZ '2025-01-01 00:01:00+00', 'DirectRunner', 'c.json', 10, 1, 8, 1, 3,"
              + " 2, 'succeeded', 'ok')");
      c.commit();
    }
    WarehouseSchema.ensure(spec);
    WarehouseSchema.ensure(spec); // a second time changes nothing
    RunRecord old = RunRecord.read(spec, "old");
    assertEquals(0, old.recordsInFlight); // NULL: the row is from before the column
    assertEquals(true, old.settled());
    java.time.Instant started = java.time.Instant.parse("2026-01-01T00:00:00Z");
    RunProgress.write(
        spec,
        new RunRecord("new", started, null, "DirectRunner", "c.json", 10, 1, 5, 1, 0, 0, 3)
            .withStatus(RunRecord.RUNNING, "streaming"));
    assertEquals(
        List.of("new | 3", "old | null"),
        WarehouseDump.rows(
            spec, "SELECT run_id, records_in_flight FROM pipeline_runs ORDER BY run_id"));
  }
}

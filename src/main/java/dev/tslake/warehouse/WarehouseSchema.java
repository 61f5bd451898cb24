package dev.tslake.warehouse;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The warehouse tables, created when missing. The same DDL runs on PostgreSQL and DuckDB.
 * Timestamps are {@code TIMESTAMPTZ} (instants; shown in the session's zone), values {@code DOUBLE
 * PRECISION}.
 */
public final class WarehouseSchema {
  private WarehouseSchema() {}

  static final List<String> DDL =
      List.of(
          "CREATE TABLE IF NOT EXISTS series ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, title TEXT, units TEXT,"
              + " frequency TEXT, seasonal_adjustment TEXT, last_updated TEXT,"
              + " first_ts TIMESTAMPTZ, last_ts TIMESTAMPTZ,"
              + " PRIMARY KEY (source, series_id))",
          "CREATE TABLE IF NOT EXISTS observations ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL,"
              + " \"value\" DOUBLE PRECISION, vintage TIMESTAMPTZ, origin TEXT NOT NULL,"
              + " locator TEXT NOT NULL,"
              + " PRIMARY KEY (source, series_id, ts))",
          "CREATE TABLE IF NOT EXISTS aggregates ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, \"window\" TEXT NOT NULL,"
              + " window_start TIMESTAMPTZ NOT NULL, window_end TIMESTAMPTZ NOT NULL,"
              + " n BIGINT NOT NULL, missing BIGINT NOT NULL, \"min\" DOUBLE PRECISION,"
              + " \"max\" DOUBLE PRECISION, mean DOUBLE PRECISION, \"first\" DOUBLE PRECISION,"
              + " \"last\" DOUBLE PRECISION,"
              + " PRIMARY KEY (source, series_id, \"window\", window_start))",
          "CREATE TABLE IF NOT EXISTS rejects ("
              + " source TEXT NOT NULL, origin TEXT NOT NULL, locator TEXT NOT NULL, series_id TEXT,"
              + " ts TEXT, \"value\" TEXT, vintage TEXT, stage TEXT NOT NULL, reason TEXT NOT NULL,"
              + " run_id TEXT NOT NULL,"
              + " PRIMARY KEY (source, origin, locator))",
          "CREATE TABLE IF NOT EXISTS pipeline_runs ("
              + " run_id TEXT NOT NULL PRIMARY KEY, started_at TIMESTAMPTZ NOT NULL,"
              + " finished_at TIMESTAMPTZ, runner TEXT, config TEXT,"
              + " records_read BIGINT, records_rejected BIGINT, observations_loaded BIGINT,"
              + " duplicates_superseded BIGINT, aggregates_loaded BIGINT, series_loaded BIGINT,"
              + " status TEXT, message TEXT, http_requests BIGINT, http_retries BIGINT,"
              + " http_failures BIGINT)",
          // warehouses created before the live sources existed
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS http_requests BIGINT",
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS http_retries BIGINT",
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS http_failures BIGINT",
          // lake files the run committed before it was recorded (RecordRun.afterLake)
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS lake_files BIGINT");

  /** Creates missing tables; fails with the warehouse named (without credentials) if it cannot. */
  public static void ensure(WarehouseSpec spec) {
    try (Connection c = spec.open();
        Statement st = c.createStatement()) {
      for (String ddl : DDL) {
        st.execute(ddl);
      }
      c.commit();
    } catch (SQLException e) {
      if ("55006".equals(e.getSQLState())) { // in use by another process: says what to do
        throw new IllegalStateException(e.getMessage(), e);
      }
      throw new IllegalStateException(
          "cannot create tables in warehouse " + spec.describe() + ": " + e.getMessage(), e);
    }
  }
}

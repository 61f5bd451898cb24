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

  static final String REJECTS_DDL =
      "CREATE TABLE IF NOT EXISTS rejects ("
          + " source TEXT NOT NULL, origin TEXT NOT NULL, locator TEXT NOT NULL, series_id TEXT,"
          + " ts TEXT, \"value\" TEXT, vintage TEXT, stage TEXT NOT NULL, reason TEXT NOT NULL,"
          + " run_id TEXT NOT NULL,"
          + " PRIMARY KEY (run_id, source, origin, locator))";

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
              + " \"last\" DOUBLE PRECISION, stddev DOUBLE PRECISION,"
              + " PRIMARY KEY (source, series_id, \"window\", window_start))",
          REJECTS_DDL,
          "CREATE TABLE IF NOT EXISTS resampled ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, \"every\" TEXT NOT NULL,"
              + " ts TIMESTAMPTZ NOT NULL, \"value\" DOUBLE PRECISION, filled BOOLEAN NOT NULL,"
              + " PRIMARY KEY (source, series_id, \"every\", ts))",
          // moving statistics over trailing windows (ts - window, ts], see docs/rolling.md
          "CREATE TABLE IF NOT EXISTS rolling ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, \"window\" TEXT NOT NULL,"
              + " ts TIMESTAMPTZ NOT NULL, n BIGINT NOT NULL, mean DOUBLE PRECISION,"
              + " stddev DOUBLE PRECISION, \"min\" DOUBLE PRECISION, \"max\" DOUBLE PRECISION,"
              + " PRIMARY KEY (source, series_id, \"window\", ts))",
          "CREATE TABLE IF NOT EXISTS observation_vintages ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL,"
              + " vintage TIMESTAMPTZ NOT NULL, \"value\" DOUBLE PRECISION, origin TEXT NOT NULL,"
              + " locator TEXT NOT NULL,"
              + " PRIMARY KEY (source, series_id, ts, vintage))",
          "CREATE TABLE IF NOT EXISTS pipeline_runs ("
              + " run_id TEXT NOT NULL PRIMARY KEY, started_at TIMESTAMPTZ NOT NULL,"
              + " finished_at TIMESTAMPTZ, runner TEXT, config TEXT,"
              + " records_read BIGINT, records_rejected BIGINT, observations_loaded BIGINT,"
              + " duplicates_superseded BIGINT, aggregates_loaded BIGINT, series_loaded BIGINT,"
              + " status TEXT, message TEXT, http_requests BIGINT, http_retries BIGINT,"
              + " http_failures BIGINT, records_in_flight BIGINT)",
          "CREATE TABLE IF NOT EXISTS fetch_state ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, complete_through DATE NOT NULL,"
              + " run_id TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL,"
              + " PRIMARY KEY (source, series_id))",
          // warehouses created before the live sources existed
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS http_requests BIGINT",
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS http_retries BIGINT",
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS http_failures BIGINT",
          // lake files the run committed before it was recorded (RecordRun.afterLake)
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS lake_files BIGINT",
          // declared checks (docs/checks.md)
          "CREATE TABLE IF NOT EXISTS quality_results ("
              + " run_id TEXT NOT NULL, source TEXT NOT NULL, series_id TEXT NOT NULL,"
              + " \"check\" TEXT NOT NULL, check_type TEXT NOT NULL, severity TEXT NOT NULL,"
              + " status TEXT NOT NULL, observed DOUBLE PRECISION, threshold TEXT, examples TEXT,"
              + " PRIMARY KEY (run_id, source, series_id, \"check\"))",
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS checks_passed BIGINT",
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS checks_failed BIGINT",
          // streaming runs' updates: records read but not yet rejected/loaded/superseded
          "ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS records_in_flight BIGINT",
          // warehouses created before aggregates had a standard deviation
          "ALTER TABLE aggregates ADD COLUMN IF NOT EXISTS stddev DOUBLE PRECISION",
          // streaming: trailing statistics per series (analytics/LatestStats); "trailing" is
          // reserved in PostgreSQL, so quoted
          "CREATE TABLE IF NOT EXISTS latest ("
              + " source TEXT NOT NULL, series_id TEXT NOT NULL, \"trailing\" TEXT NOT NULL,"
              + " as_of TIMESTAMPTZ NOT NULL, n BIGINT NOT NULL, mean DOUBLE PRECISION,"
              + " stddev DOUBLE PRECISION, \"min\" DOUBLE PRECISION, \"max\" DOUBLE PRECISION,"
              + " \"first\" DOUBLE PRECISION, \"last\" DOUBLE PRECISION,"
              + " updated_at TIMESTAMPTZ NOT NULL,"
              + " PRIMARY KEY (source, series_id))");

  /**
   * The body of {@code as_of(at_time)}: per (source, series_id, ts), the row of the latest vintage
   * published at or before {@code at_time}. The same SELECT runs on both databases; see
   * docs/vintages.md.
   */
  static final String AS_OF_SELECT =
      "SELECT v.source, v.series_id, v.ts, v.vintage, v.\"value\" FROM ("
          + "SELECT w.source, w.series_id, w.ts, w.vintage, w.\"value\", row_number() OVER"
          + " (PARTITION BY w.source, w.series_id, w.ts ORDER BY w.vintage DESC) AS rn"
          + " FROM observation_vintages w WHERE w.vintage <= at_time) v WHERE v.rn = 1";

  /** DuckDB: a table macro, {@code SELECT * FROM as_of(TIMESTAMPTZ '...')}. */
  static final String AS_OF_DUCKDB = "CREATE MACRO as_of(at_time) AS TABLE " + AS_OF_SELECT;

  /** PostgreSQL: a SQL function returning a table, called the same way. */
  static final String AS_OF_POSTGRES =
      "CREATE FUNCTION as_of(at_time TIMESTAMPTZ) RETURNS TABLE (source TEXT, series_id TEXT,"
          + " ts TIMESTAMPTZ, vintage TIMESTAMPTZ, \"value\" DOUBLE PRECISION)"
          + " LANGUAGE sql STABLE AS $tslake$ "
          + AS_OF_SELECT
          + " $tslake$";

  /**
   * Creates {@code as_of} in the current schema when it is missing. Checked first rather than
   * {@code CREATE OR REPLACE}: concurrent runs replacing one PostgreSQL function fail ("tuple
   * concurrently updated"); a run that loses the race to create it finds it made.
   */
  static void ensureAsOf(Connection c, Dialect dialect) throws SQLException {
    boolean postgres = dialect instanceof PostgresDialect;
    String exists =
        postgres
            ? "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON p.pronamespace = n.oid"
                + " WHERE p.proname = 'as_of' AND n.nspname = current_schema()"
            : "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'as_of'"
                + " AND schema_name = current_schema() AND database_name = current_database()";
    if (count(c, exists) > 0) {
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute(postgres ? AS_OF_POSTGRES : AS_OF_DUCKDB);
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      if (count(c, exists) == 0) {
        throw e;
      }
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      long n = rs.getLong(1);
      c.commit();
      return n;
    }
  }

  /**
   * Warehouses created before rejects kept their history have the key (source, origin, locator): a
   * later run overwrote an earlier run's rejects. The table is rebuilt with run_id in its key
   * (copy, drop, rename: neither PostgreSQL nor DuckDB can change a primary key in place on both).
   */
  static void migrateRejectsKey(Connection c) throws SQLException {
    boolean keyed;
    try (Statement st = c.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM information_schema.key_column_usage k"
                    + " JOIN information_schema.table_constraints t"
                    + " ON k.constraint_name = t.constraint_name"
                    + " AND k.table_name = t.table_name AND k.table_schema = t.table_schema"
                    + " WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_name = 'rejects'"
                    + " AND k.column_name = 'run_id' AND k.table_schema = current_schema()")) {
      rs.next();
      keyed = rs.getLong(1) > 0;
    }
    c.commit();
    if (keyed) {
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute(REJECTS_DDL.replace("rejects (", "rejects_keyed ("));
      st.execute(
          "INSERT INTO rejects_keyed SELECT source, origin, locator, series_id, ts, \"value\","
              + " vintage, stage, reason, run_id FROM rejects");
      st.execute("DROP TABLE rejects");
      st.execute("ALTER TABLE rejects_keyed RENAME TO rejects");
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    }
  }

  /** Creates missing tables; fails with the warehouse named (without credentials) if it cannot. */
  public static void ensure(WarehouseSpec spec) {
    try (Connection c = spec.open();
        Statement st = c.createStatement()) {
      for (String ddl : DDL) {
        st.execute(ddl);
      }
      c.commit();
      migrateRejectsKey(c);
      ensureAsOf(c, spec.dialect);
    } catch (SQLException e) {
      if ("55006".equals(e.getSQLState())) { // in use by another process: says what to do
        throw new IllegalStateException(e.getMessage(), e);
      }
      throw new IllegalStateException(
          "cannot create tables in warehouse " + spec.describe() + ": " + e.getMessage(), e);
    }
  }
}

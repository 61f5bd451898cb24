package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.BatchWriter.Result;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.util.Sleeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL load paths (MERGE on 15+, INSERT ... ON CONFLICT otherwise) and DuckDB's give the
 * results the loader gave before MERGE and the "only if changed" guard, which are pinned here as
 * the old single-row statements applied in order; loading identical rows again writes nothing.
 */
@Tag("integration")
class UpsertBatchesPostgresTest {
  /** The upsert statements before MERGE and the "only if changed" guard, verbatim. */
  static final Map<String, String> OLD_SQL =
      Map.of(
          "observations",
              "INSERT INTO \"observations\" (\"source\", \"series_id\", \"ts\", \"value\","
                  + " \"vintage\", \"origin\", \"locator\") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
                  + " (\"source\", \"series_id\", \"ts\") DO UPDATE SET \"value\" = EXCLUDED.\"value\","
                  + " \"vintage\" = EXCLUDED.\"vintage\", \"origin\" = EXCLUDED.\"origin\", \"locator\" ="
                  + " EXCLUDED.\"locator\" WHERE COALESCE(EXCLUDED.\"vintage\", TIMESTAMPTZ '0001-01-01"
                  + " 00:00:00+00') >= COALESCE(\"observations\".\"vintage\", TIMESTAMPTZ '0001-01-01"
                  + " 00:00:00+00')",
          "aggregates",
              "INSERT INTO \"aggregates\" (\"source\", \"series_id\", \"window\","
                  + " \"window_start\", \"window_end\", \"n\", \"missing\", \"min\", \"max\", \"mean\","
                  + " \"first\", \"last\", \"stddev\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                  + " ON CONFLICT"
                  + " (\"source\", \"series_id\", \"window\", \"window_start\") DO UPDATE SET"
                  + " \"window_end\" = EXCLUDED.\"window_end\", \"n\" = EXCLUDED.\"n\", \"missing\" ="
                  + " EXCLUDED.\"missing\", \"min\" = EXCLUDED.\"min\", \"max\" = EXCLUDED.\"max\","
                  + " \"mean\" = EXCLUDED.\"mean\", \"first\" = EXCLUDED.\"first\", \"last\" ="
                  + " EXCLUDED.\"last\", \"stddev\" = EXCLUDED.\"stddev\"",
          "rejects",
              "INSERT INTO \"rejects\" (\"source\", \"origin\", \"locator\", \"series_id\","
                  + " \"ts\", \"value\", \"vintage\", \"stage\", \"reason\", \"run_id\") VALUES (?, ?, ?,"
                  + " ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (\"run_id\", \"source\", \"origin\", \"locator\") DO"
                  + " UPDATE SET \"series_id\" = EXCLUDED.\"series_id\", \"ts\" = EXCLUDED.\"ts\","
                  + " \"value\" = EXCLUDED.\"value\", \"vintage\" = EXCLUDED.\"vintage\","
                  + " \"stage\" = EXCLUDED.\"stage\", \"reason\" = EXCLUDED.\"reason\"",
          "series",
              "INSERT INTO \"series\" (\"source\", \"series_id\", \"title\", \"units\","
                  + " \"frequency\", \"seasonal_adjustment\", \"last_updated\", \"first_ts\", \"last_ts\")"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (\"source\", \"series_id\") DO UPDATE"
                  + " SET \"title\" = COALESCE(EXCLUDED.\"title\", \"series\".\"title\"), \"units\" ="
                  + " COALESCE(EXCLUDED.\"units\", \"series\".\"units\"), \"frequency\" ="
                  + " COALESCE(EXCLUDED.\"frequency\", \"series\".\"frequency\"), \"seasonal_adjustment\""
                  + " = COALESCE(EXCLUDED.\"seasonal_adjustment\", \"series\".\"seasonal_adjustment\"),"
                  + " \"last_updated\" = COALESCE(EXCLUDED.\"last_updated\", \"series\".\"last_updated\"),"
                  + " \"first_ts\" = LEAST(EXCLUDED.\"first_ts\", \"series\".\"first_ts\"), \"last_ts\" ="
                  + " GREATEST(EXCLUDED.\"last_ts\", \"series\".\"last_ts\")");

  static final Map<String, String> DUMP =
      Map.of(
          "observations",
              "SELECT source, series_id, ts, \"value\", vintage, origin, locator"
                  + " FROM observations ORDER BY source, series_id, ts",
          "aggregates",
              "SELECT source, series_id, \"window\", window_start, window_end, n, missing,"
                  + " \"min\", \"max\", mean, \"first\", \"last\", stddev FROM aggregates"
                  + " ORDER BY source, series_id, \"window\", window_start",
          "rejects",
              "SELECT source, origin, locator, series_id, ts, \"value\", vintage, stage, reason,"
                  + " run_id FROM rejects ORDER BY source, origin, locator, run_id",
          "series",
              "SELECT source, series_id, title, units, frequency, seasonal_adjustment,"
                  + " last_updated, first_ts, last_ts FROM series ORDER BY source, series_id");

  private static final long T0 = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
  private static final long V0 = Instant.parse("2024-03-01T00:00:00Z").toEpochMilli();
  private static final long V1 = Instant.parse("2024-04-01T00:00:00Z").toEpochMilli();
  private static final long V2 = Instant.parse("2024-05-01T00:00:00Z").toEpochMilli();
  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;

  private final List<String> schemas = new ArrayList<>();

  @AfterEach
  void dropSchemas() {
    schemas.forEach(PostgresSupport::dropSchema);
  }

  private WarehouseSpec freshWarehouse(String prefix) {
    String url = PostgresSupport.freshSchemaUrl(prefix);
    schemas.add(url);
    WarehouseSpec spec = new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password());
    WarehouseSchema.ensure(spec);
    return spec;
  }

  // ---- inputs: three runs; the third repeats the second ----

  static Observation obs(
      int i,
      @org.checkerframework.checker.nullness.qual.Nullable Double value,
      long vintage,
      String origin,
      String locator) {
    return new Observation("src", "S" + (i % 3), T0 + i * HOUR, value, vintage, origin, locator);
  }

  static List<Observation> observationsRun1() {
    List<Observation> out = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      Double value = i % 7 == 0 ? null : i % 11 == 0 ? 0.0 : i * 0.25;
      out.add(
          obs(i, value, i % 5 == 0 ? Observation.UNKNOWN_VINTAGE : V1, "run1.csv", "line " + i));
    }
    return out;
  }

  /** Every kind of second arrival of a key, and new keys. */
  static List<Observation> observationsRun2() {
    List<Observation> out = new ArrayList<>();
    for (Observation o : observationsRun1()) {
      int i = (int) ((o.ts - T0) / HOUR);
      switch (i % 6) {
        case 0: // older vintage (but newer than unknown): must not replace a known vintage
          out.add(obs(i, -1.0, V0, "run2.csv", o.locator));
          break;
        case 1: // identical
          out.add(o);
          break;
        case 2: // same vintage, another value (0 becomes -0)
          Double v = o.value == null ? 5.0 : o.value == 0.0 ? -0.0 : o.value + 1;
          out.add(obs(i, v, o.vintage, o.origin, o.locator));
          break;
        case 3: // newer vintage
          out.add(obs(i, o.value == null ? 1.0 : o.value * 2, V2, "run2.csv", o.locator));
          break;
        case 4: // unknown vintage: replaces only an unknown vintage
          out.add(obs(i, 42.0, Observation.UNKNOWN_VINTAGE, "run2.csv", "line " + i + " b"));
          break;
        default: // same vintage and value, another locator
          out.add(obs(i, o.value, o.vintage, o.origin, o.locator + " (again)"));
      }
    }
    for (int i = 600; i < 800; i++) {
      out.add(obs(i, i * 0.5, V2, "run2.csv", "line " + i));
    }
    return out;
  }

  static Aggregate agg(
      int i,
      long n,
      @org.checkerframework.checker.nullness.qual.Nullable Double min,
      @org.checkerframework.checker.nullness.qual.Nullable Double mean) {
    return new Aggregate(
        "src",
        "S" + (i % 4),
        "P1D",
        T0 + i * DAY,
        T0 + (i + 1) * DAY,
        n,
        1,
        n == 0 ? null : min,
        n == 0 ? null : i + 10.0,
        n == 0 ? null : mean,
        n == 0 ? null : i + 1.0,
        n == 0 ? null : i + 2.0);
  }

  static List<Aggregate> aggregatesRun1() {
    List<Aggregate> out = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      out.add(agg(i, i % 5, i % 4 == 2 ? 0.0 : i - 3.0, i / 3.0));
    }
    return out;
  }

  static List<Aggregate> aggregatesRun2() {
    List<Aggregate> out = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      switch (i >= 120 ? -1 : i % 4) {
        case 0:
          out.add(agg(i, i % 5, i - 3.0, i / 3.0)); // identical
          break;
        case 1:
          out.add(agg(i, i % 5, i - 3.0, i / 7.0)); // another mean
          break;
        case 2:
          out.add(agg(i, i % 5, -0.0, i / 3.0)); // min 0 becomes -0
          break;
        case 3:
          out.add(agg(i, i % 5 + 1, i - 3.0, i / 3.0)); // another count
          break;
        default:
          out.add(agg(i, 3, i - 3.0, i / 3.0)); // new window
      }
    }
    return out;
  }

  static Reject reject(int i, String reason) {
    return new Reject(
        "validate",
        reason,
        RawRecord.of(
            "src",
            "file" + (i % 2) + ".csv",
            "line " + i,
            "S" + i,
            "2024-01-0" + (1 + i % 9),
            i % 3 == 0 ? "" : "x" + i,
            i % 4 == 0 ? null : "2024-04-01"));
  }

  static List<Reject> rejectsRun1() {
    List<Reject> out = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      out.add(reject(i, "bad value"));
    }
    return out;
  }

  static List<Reject> rejectsRun2() {
    List<Reject> out = new ArrayList<>();
    for (int i = 0; i < 70; i++) {
      out.add(reject(i, i % 2 == 0 ? "bad value" : "bad timestamp"));
    }
    return out;
  }

  static List<SeriesRow> seriesRun1() {
    List<SeriesRow> out = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      out.add(
          new SeriesRow(
              "src",
              "S" + i,
              "Title " + i,
              "units",
              i % 2 == 0 ? "D" : null,
              null,
              "2024-04-01",
              T0 + i * DAY,
              T0 + (i + 30) * DAY));
    }
    return out;
  }

  static List<SeriesRow> seriesRun2() {
    List<SeriesRow> out = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      switch (i >= 10 ? -1 : i % 4) {
        case 0: // identical
          out.add(
              new SeriesRow(
                  "src",
                  "S" + i,
                  "Title " + i,
                  "units",
                  i % 2 == 0 ? "D" : null,
                  null,
                  "2024-04-01",
                  T0 + i * DAY,
                  T0 + (i + 30) * DAY));
          break;
        case 1: // no metadata this time, a narrower span: nothing changes
          out.add(
              new SeriesRow(
                  "src",
                  "S" + i,
                  null,
                  null,
                  null,
                  null,
                  null,
                  T0 + (i + 1) * DAY,
                  T0 + (i + 29) * DAY));
          break;
        case 2: // wider span, new units
          out.add(
              new SeriesRow(
                  "src",
                  "S" + i,
                  null,
                  "percent",
                  null,
                  "SA",
                  null,
                  T0 + (i - 5) * DAY,
                  T0 + (i + 40) * DAY));
          break;
        case 3: // new title, no span
          out.add(
              new SeriesRow(
                  "src",
                  "S" + i,
                  "Title " + i + " (revised)",
                  null,
                  null,
                  null,
                  "2024-05-01",
                  null,
                  null));
          break;
        default:
          out.add(new SeriesRow("src", "S" + i, "New " + i, null, "M", null, null, T0, T0 + DAY));
      }
    }
    return out;
  }

  // ---- loading ----

  /** Counts what a {@link BatchWriter} did. */
  static final class Counts implements BatchWriter.Listener {
    int mergeFallbacks;
    int rowByRowBatches;
    int retries;
    long written;
    int refused;

    @Override
    public void mergeFallback() {
      mergeFallbacks++;
    }

    @Override
    public void rowByRow() {
      rowByRowBatches++;
    }

    @Override
    public void retrying(int failedAttempt, SQLException cause) {
      retries++;
    }

    @Override
    public void written(long rows) {
      written += rows;
    }

    @Override
    public void refused() {
      refused++;
    }
  }

  /** A writer isolating refused rows, with the default retries, reporting to {@code counts}. */
  static <T> BatchWriter<T> writer(
      WarehouseSpec spec, Table<T> table, boolean allowMerge, Counts counts) throws SQLException {
    return new BatchWriter<>(
        spec, table, allowMerge, true, BatchWriter.DEFAULT_RETRY, Sleeper.DEFAULT, counts);
  }

  /** Writes rows in batches with the new loader; no row may be refused. */
  static <T> void load(
      WarehouseSpec spec, Table<T> table, boolean allowMerge, List<T> rows, int batch)
      throws Exception {
    Counts counts = new Counts();
    try (BatchWriter<T> w = writer(spec, table, allowMerge, counts)) {
      if (spec.dialect instanceof PostgresDialect) {
        assertEquals(allowMerge, w.usesMerge(), "PostgreSQL 15+ is expected here");
      }
      for (int from = 0; from < rows.size(); from += batch) {
        Result<T> r = w.write(rows.subList(from, Math.min(rows.size(), from + batch)));
        assertEquals(List.of(), r.failures);
      }
      assertEquals(0, counts.rowByRowBatches, "no batch should need row-by-row isolation");
    }
  }

  /** The reference: the old single-row statement, row after row, in order. */
  static <T> void loadTheOldWay(WarehouseSpec spec, Table<T> table, List<T> rows)
      throws SQLException {
    try (Connection c = spec.open();
        PreparedStatement st = c.prepareStatement(OLD_SQL.get(table.name()))) {
      for (T row : rows) {
        table.bind(st, row);
        st.executeUpdate();
      }
      c.commit();
    }
  }

  /**
   * The reference for DuckDB: what the old loader sent it, the old statement with a VALUES row per
   * input row, a statement per batch.
   */
  static <T> void loadTheOldDuckDbWay(WarehouseSpec spec, Table<T> table, List<T> rows, int batch)
      throws SQLException {
    String sql = OLD_SQL.get(table.name());
    int open = sql.indexOf(" VALUES (") + " VALUES ".length();
    int close = sql.indexOf(')', open) + 1;
    String tuple = sql.substring(open, close);
    int width = table.columns().size();
    try (Connection c = spec.open()) {
      for (int from = 0; from < rows.size(); from += batch) {
        List<T> part = rows.subList(from, Math.min(rows.size(), from + batch));
        String multi =
            sql.substring(0, open)
                + String.join(", ", java.util.Collections.nCopies(part.size(), tuple))
                + sql.substring(close);
        try (PreparedStatement st = c.prepareStatement(multi)) {
          for (int i = 0; i < part.size(); i++) {
            table.bind(st, i * width, part.get(i));
          }
          st.executeUpdate();
        }
        c.commit();
      }
    }
  }

  interface Loader {
    <T> void load(Table<T> table, List<T> rows) throws Exception;
  }

  static void loadRun(Loader loader, int run) throws Exception {
    loader.load(Tables.observations(), run == 1 ? observationsRun1() : observationsRun2());
    loader.load(Tables.aggregates(), run == 1 ? aggregatesRun1() : aggregatesRun2());
    loader.load(
        Tables.rejects(run == 1 ? "run-1" : "run-2"), run == 1 ? rejectsRun1() : rejectsRun2());
    loader.load(Tables.series(), run == 1 ? seriesRun1() : seriesRun2());
  }

  static Map<String, List<String>> dump(WarehouseSpec spec) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String t : List.of("observations", "aggregates", "rejects", "series")) {
      out.put(t, WarehouseDump.rows(spec, DUMP.get(t)));
    }
    return out;
  }

  /** Each row's key with its tuple's xmin, xmax and ctid: any write shows. */
  static Map<String, List<String>> tupleVersions(WarehouseSpec spec) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String t : List.of("observations", "aggregates", "rejects", "series")) {
      String keys = String.join(", ", keysOf(t));
      out.put(
          t,
          WarehouseDump.rows(
              spec,
              "SELECT "
                  + keys
                  + ", xmin::text, xmax::text,"
                  + " ctid::text FROM "
                  + t
                  + " ORDER BY "
                  + keys));
    }
    return out;
  }

  private static List<String> keysOf(String table) {
    switch (table) {
      case "observations":
        return Tables.observations().keyColumns();
      case "aggregates":
        return List.of("source", "series_id", "\"window\"", "window_start");
      case "rejects":
        return Tables.rejects("x").keyColumns();
      default:
        return Tables.series().keyColumns();
    }
  }

  @Test
  void mergeOnConflictAndDuckDbGiveTheOldResultsAndARerunWritesNothing(@TempDir Path dir)
      throws Exception {
    WarehouseSpec old = freshWarehouse("upsert_old");
    WarehouseSpec merged = freshWarehouse("upsert_merge");
    WarehouseSpec conflict = freshWarehouse("upsert_conflict");
    WarehouseSpec duck = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    WarehouseSpec duckOld = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("o.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(duck);
      WarehouseSchema.ensure(duckOld);
      Loader oldWay =
          new Loader() {
            @Override
            public <T> void load(Table<T> table, List<T> rows) throws SQLException {
              loadTheOldWay(old, table, rows);
            }
          };
      Loader duckDbOldWay =
          new Loader() {
            @Override
            public <T> void load(Table<T> table, List<T> rows) throws SQLException {
              loadTheOldDuckDbWay(duckOld, table, rows, 97);
            }
          };
      Loader viaMerge =
          new Loader() {
            @Override
            public <T> void load(Table<T> table, List<T> rows) throws Exception {
              UpsertBatchesPostgresTest.load(merged, table, true, rows, 97);
            }
          };
      Loader viaOnConflict =
          new Loader() {
            @Override
            public <T> void load(Table<T> table, List<T> rows) throws Exception {
              UpsertBatchesPostgresTest.load(conflict, table, false, rows, 97);
            }
          };
      Loader intoDuckDb =
          new Loader() {
            @Override
            public <T> void load(Table<T> table, List<T> rows) throws Exception {
              UpsertBatchesPostgresTest.load(duck, table, true, rows, 97);
            }
          };
      Map<String, List<String>> mergedAfterRun2 = null;
      Map<String, List<String>> conflictAfterRun2 = null;
      for (int run = 1; run <= 3; run++) {
        int input = Math.min(run, 2);
        for (Loader l : List.of(oldWay, viaMerge, viaOnConflict, duckDbOldWay, intoDuckDb)) {
          loadRun(l, input);
        }
        Map<String, List<String>> expected = dump(old);
        assertSameRows(expected, dump(merged), "MERGE, run " + run);
        assertSameRows(expected, dump(conflict), "ON CONFLICT, run " + run);
        // DuckDB: as before, but for the sign of zeros: DuckDB may or may not keep a -0 that
        // an update brings to a stored 0 (old statement and new alike, from run to run)
        assertSameRows(
            signlessZeros(dump(duckOld)), signlessZeros(dump(duck)), "DuckDB, run " + run);
        if (run == 2) {
          mergedAfterRun2 = tupleVersions(merged);
          conflictAfterRun2 = tupleVersions(conflict);
        }
      }
      // the third run repeats the second: no tuple is rewritten, and MERGE does not even lock
      assertEquals(mergedAfterRun2, tupleVersions(merged));
      assertEquals(stripXmax(conflictAfterRun2), stripXmax(tupleVersions(conflict)));
      for (List<String> rows : tupleVersions(merged).values()) {
        for (String row : rows) {
          assertTrue(
              row.split(" \\| ")[row.split(" \\| ").length - 2].equals("0"),
              "a row MERGE left alone has no xmax: " + row);
        }
      }

      // the inputs exercise what they should
      List<String> obs = dump(merged).get("observations");
      assertEquals(800, obs.size());
      assertTrue(obs.stream().anyMatch(r -> r.contains(" | -0.0 | ")), "0 became -0");
      // i = 6: known vintage V1 kept against the older V0; i = 30: unknown replaced by V0
      assertTrue(observation(merged, 6).contains("run1.csv"), observation(merged, 6));
      assertTrue(observation(merged, 30).contains("run2.csv"), observation(merged, 30));
      assertTrue(dump(merged).get("aggregates").stream().anyMatch(r -> r.contains(" | -0.0 | ")));
    } finally {
      duck.release();
    }
  }

  /** Equal dumps; otherwise names the table and the first rows that differ. */
  /** {@code spec}'s observations are {@code expected} (rows of {@link WarehouseDump}). */
  static void assertObservations(List<String> expected, WarehouseSpec spec) throws Exception {
    assertSameRows(
        Map.of("observations", expected),
        Map.of("observations", WarehouseDump.observations(spec)),
        spec.describe());
  }

  static void assertSameRows(
      Map<String, List<String>> expected, Map<String, List<String>> actual, String what) {
    for (String t : expected.keySet()) {
      List<String> e = expected.get(t);
      List<String> a = actual.get(t);
      List<String> missing = new ArrayList<>(e);
      missing.removeAll(a);
      List<String> extra = new ArrayList<>(a);
      extra.removeAll(e);
      assertEquals(
          List.of(),
          extra.subList(0, Math.min(5, extra.size())),
          what
              + ", "
              + t
              + ": rows not expected (expected instead e.g. "
              + missing.subList(0, Math.min(5, missing.size()))
              + ")");
      assertEquals(e, a, what + ", " + t);
    }
  }

  /** The stored row of {@link #obs} number {@code i}. */
  static String observation(WarehouseSpec spec, int i) {
    List<String> rows =
        WarehouseDump.rows(
            spec,
            "SELECT source, series_id, ts, \"value\","
                + " vintage, origin, locator FROM observations WHERE series_id = 'S"
                + (i % 3)
                + "' AND ts = TIMESTAMPTZ '"
                + Instant.ofEpochMilli(T0 + i * HOUR)
                + "'");
    assertEquals(1, rows.size());
    return rows.get(0);
  }

  private static Map<String, List<String>> signlessZeros(Map<String, List<String>> dump) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    dump.forEach(
        (t, rows) ->
            out.put(
                t, rows.stream().map(r -> (r + " ").replace(" -0.0 ", " 0.0 ").trim()).toList()));
    return out;
  }

  private static Map<String, List<String>> stripXmax(Map<String, List<String>> versions) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    versions.forEach(
        (t, rows) -> {
          List<String> stripped = new ArrayList<>();
          for (String r : rows) {
            String[] f = r.split(" \\| ");
            f[f.length - 2] = "-";
            stripped.add(String.join(" | ", f));
          }
          out.put(t, stripped);
        });
    return out;
  }

  /** Writes {@code rows} in batches of {@code batch}; returns the batches copied straight in. */
  static <T> long loadCountingDirect(WarehouseSpec spec, Table<T> table, List<T> rows, int batch)
      throws Exception {
    return loadCountingDirect(spec, table, rows, batch, null);
  }

  /** As above, deciding from what the table held at launch when {@code launch} is not null. */
  static <T> long loadCountingDirect(
      WarehouseSpec spec,
      Table<T> table,
      List<T> rows,
      int batch,
      @org.checkerframework.checker.nullness.qual.Nullable StoredKeyRanges launch)
      throws Exception {
    Counts counts = new Counts();
    try (BatchWriter<T> w = writer(spec, table, true, counts).storedAtLaunch(launch)) {
      for (int from = 0; from < rows.size(); from += batch) {
        Result<T> r = w.write(rows.subList(from, Math.min(rows.size(), from + batch)));
        assertEquals(List.of(), r.failures);
      }
      assertEquals(0, counts.rowByRowBatches);
      assertEquals(0, counts.mergeFallbacks);
      return w.directBatches();
    }
  }

  @Test
  void batchesIntoEmptyKeyRangesAreCopiedStraightInWithTheSameResults() throws Exception {
    WarehouseSpec direct = freshWarehouse("upsert_direct");
    WarehouseSpec old = freshWarehouse("upsert_direct_old");
    // run 1 into empty tables: every batch goes straight in
    assertEquals(7, loadCountingDirect(direct, Tables.observations(), observationsRun1(), 97));
    assertEquals(2, loadCountingDirect(direct, Tables.aggregates(), aggregatesRun1(), 97));
    loadTheOldWay(old, Tables.observations(), observationsRun1());
    loadTheOldWay(old, Tables.aggregates(), aggregatesRun1());
    assertSameRows(dump(old), dump(direct), "run 1");

    // run 2: batches over stored keys merge, the ones past them (new hours) go straight in
    long straight = loadCountingDirect(direct, Tables.observations(), observationsRun2(), 97);
    assertTrue(straight >= 1 && straight < 9, "direct batches of run 2: " + straight);
    loadCountingDirect(direct, Tables.aggregates(), aggregatesRun2(), 97);
    loadTheOldWay(old, Tables.observations(), observationsRun2());
    loadTheOldWay(old, Tables.aggregates(), aggregatesRun2());
    assertSameRows(dump(old), dump(direct), "run 2");

    // rerun: every range holds rows, so nothing is copied straight in and no tuple is rewritten
    Map<String, List<String>> before = tupleVersions(direct);
    assertEquals(0, loadCountingDirect(direct, Tables.observations(), observationsRun2(), 97));
    assertEquals(0, loadCountingDirect(direct, Tables.aggregates(), aggregatesRun2(), 97));
    assertEquals(before, tupleVersions(direct));

    // one batch of new keys and a single stored one (a newer vintage of it): it must merge
    List<Observation> mixed = new ArrayList<>();
    for (int i = 900; i < 960; i++) {
      mixed.add(obs(i, i * 1.5, V1, "run3.csv", "line " + i));
    }
    mixed.add(obs(903 - 300, 7.0, V2 + HOUR, "run3.csv", "revised 603"));
    assertEquals(0, loadCountingDirect(direct, Tables.observations(), mixed, 1000));
    loadTheOldWay(old, Tables.observations(), mixed);
    assertSameRows(dump(old), dump(direct), "mixed batch");
    assertTrue(observation(direct, 603).contains("revised 603"), observation(direct, 603));

    // new keys between stored ones (as two writers get every other key of a series): the
    // ranges hold rows, the keys do not, so the batch still goes straight in
    List<Observation> between = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      between.add(
          new Observation(
              "src", "S" + (i % 3), T0 + i * HOUR + HOUR / 2, i * 0.5, V1, "half.csv", "h " + i));
    }
    assertEquals(1, loadCountingDirect(direct, Tables.observations(), between, 1000));
    loadTheOldWay(old, Tables.observations(), between);
    assertSameRows(dump(old), dump(direct), "keys between stored ones");
  }

  @Test
  void withTheLaunchSnapshotOnlyBatchesOutsideTheStoredRangesGoStraightInAndARetryIsIdempotent()
      throws Exception {
    WarehouseSpec spec = freshWarehouse("launch_ranges");
    WarehouseSpec old = freshWarehouse("launch_ranges_old");
    // stored before launch: every other hour of the middle of each series
    List<Observation> before = new ArrayList<>();
    for (int i = 300; i < 600; i += 2) {
      before.add(obs(i, i * 1.0, V1, "pre.csv", "line " + i));
    }
    loadTheOldWay(spec, Tables.observations(), before);
    loadTheOldWay(old, Tables.observations(), before);
    StoredKeyRanges launch = StoredKeyRanges.read(spec, List.of("src", "other"));
    assertEquals(3, launch.series());
    assertEquals(0, StoredKeyRanges.read(spec, List.of("other")).series());

    // keys before and after the stored ranges: straight in, no probe
    List<Observation> outside = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      outside.add(obs(i, i * 0.5, V1, "run.csv", "line " + i));
    }
    for (int i = 600; i < 900; i++) {
      outside.add(obs(i, i * 0.5, V1, "run.csv", "line " + i));
    }
    assertEquals(6, loadCountingDirect(spec, Tables.observations(), outside, 100, launch));
    loadTheOldWay(old, Tables.observations(), outside);
    assertSameRows(dump(old), dump(spec), "outside the stored ranges");

    // new keys between the stored ones, and stored keys again (newer and older vintages): inside
    // a stored range, so MERGE, which keeps the newest vintage
    List<Observation> inside = new ArrayList<>();
    for (int i = 301; i < 600; i += 2) {
      inside.add(obs(i, i * 0.5, V1, "run.csv", "line " + i));
    }
    for (int i = 400; i < 500; i += 2) {
      inside.add(obs(i, -i * 1.0, i % 4 == 0 ? V2 : V0, "revised.csv", "line " + i));
    }
    assertEquals(0, loadCountingDirect(spec, Tables.observations(), inside, 100, launch));
    loadTheOldWay(old, Tables.observations(), inside);
    assertSameRows(dump(old), dump(spec), "inside the stored ranges");
    assertTrue(observation(spec, 400).contains("revised.csv"), observation(spec, 400));
    assertTrue(observation(spec, 402).contains("pre.csv"), observation(spec, 402));

    // a retry of a batch that committed (its acknowledgement lost): the COPY meets its own keys,
    // the batch is written again with ON CONFLICT and nothing changes
    Map<String, List<String>> versions = tupleVersions(spec);
    Counts counts = new Counts();
    try (BatchWriter<Observation> w =
        writer(spec, Tables.observations(), true, counts).storedAtLaunch(launch)) {
      Result<Observation> r = w.write(outside.subList(0, 100));
      assertEquals(100L, r.written);
      assertEquals(List.of(), r.failures);
    }
    assertEquals(1, counts.mergeFallbacks, "the COPY met the committed keys once");
    assertEquals(0, counts.rowByRowBatches);
    assertEquals(stripXmax(versions), stripXmax(tupleVersions(spec)));
    assertSameRows(dump(old), dump(spec), "after the retry");
  }

  @Test
  void anOlderVintageNeverOverwritesANewerOneAndIsNotEvenWritten() throws Exception {
    for (boolean allowMerge : List.of(true, false)) {
      WarehouseSpec spec = freshWarehouse(allowMerge ? "vintage_merge" : "vintage_conflict");
      List<Observation> newer = new ArrayList<>();
      List<Observation> older = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        newer.add(obs(i, i * 1.0, V2, "new.csv", "line " + i));
        older.add(
            obs(i, -1.0, i % 2 == 0 ? V1 : Observation.UNKNOWN_VINTAGE, "old.csv", "line " + i));
      }
      load(spec, Tables.observations(), allowMerge, newer, 50);
      List<String> loaded = WarehouseDump.observations(spec);
      Map<String, List<String>> versions = tupleVersions(spec);
      load(spec, Tables.observations(), allowMerge, older, 50);
      assertEquals(loaded, WarehouseDump.observations(spec));
      assertEquals(stripXmax(versions), stripXmax(tupleVersions(spec)));
      assertTrue(loaded.stream().allMatch(r -> r.contains("new.csv")));
    }
  }

  @Test
  void mergeMeetingAConcurrentInsertRetriesTheBatchWithOnConflict() throws Exception {
    concurrentInsertRetriesTheBatchWithOnConflict(null);
  }

  /** The launch snapshot saw nothing; another run inserts one of the batch's keys meanwhile. */
  @Test
  void aDirectCopyDecidedAtLaunchMeetingAConcurrentInsertRetriesWithOnConflict() throws Exception {
    concurrentInsertRetriesTheBatchWithOnConflict(StoredKeyRanges.none());
  }

  private void concurrentInsertRetriesTheBatchWithOnConflict(
      @org.checkerframework.checker.nullness.qual.Nullable StoredKeyRanges launch)
      throws Exception {
    WarehouseSpec spec = freshWarehouse("merge_race");
    List<Observation> batch = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      batch.add(obs(i, i * 1.0, V2, "batch.csv", "line " + i));
    }
    Observation rival = obs(123, -5.0, V1, "rival.csv", "line 123");
    Counts counts = new Counts();
    try (BatchWriter<Observation> w =
            writer(spec, Tables.observations(), true, counts).storedAtLaunch(launch);
        Connection other = spec.open()) {
      assertTrue(w.usesMerge());
      int writerPid;
      try (Statement st = w.connection().createStatement();
          ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        writerPid = rs.getInt(1);
      }
      w.connection().rollback();
      // another transaction inserts one of the batch's keys and commits only once the MERGE
      // waits for it: MERGE did not see the row, so its insert then violates the primary key
      try (PreparedStatement st = other.prepareStatement(Tables.observations().upsertSql())) {
        Tables.observations().bind(st, rival);
        st.executeUpdate();
      }
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread committer =
          new Thread(
              () -> {
                try (Connection watch = spec.open();
                    PreparedStatement blocked =
                        watch.prepareStatement("SELECT cardinality(pg_blocking_pids(?)) > 0")) {
                  blocked.setInt(1, writerPid);
                  long deadline = System.currentTimeMillis() + 30_000;
                  while (System.currentTimeMillis() < deadline) {
                    try (ResultSet rs = blocked.executeQuery()) {
                      rs.next();
                      if (rs.getBoolean(1)) {
                        break;
                      }
                    }
                    watch.rollback();
                    Thread.sleep(20);
                  }
                  other.commit();
                } catch (Throwable t) {
                  failure.set(t);
                }
              });
      committer.start();
      Result<Observation> r = w.write(batch);
      committer.join();
      assertEquals(null, failure.get());
      assertEquals(200L, r.written);
      assertEquals(List.of(), r.failures);
      assertEquals(1, counts.mergeFallbacks, "MERGE met the concurrent insert once");
      assertEquals(0, w.directBatches(), "the batch was written with ON CONFLICT in the end");
      assertEquals(
          0, counts.rowByRowBatches, "ON CONFLICT wrote the batch; no row-by-row isolation");
    }
    List<String> rows = WarehouseDump.observations(spec);
    assertEquals(200, rows.size());
    // the batch's newer vintage replaced the rival's row
    assertTrue(rows.get(123).contains("batch.csv"), rows.get(123));
    assertTrue(rows.stream().noneMatch(row -> row.contains("rival.csv")));
  }

  @Test
  void aBatchWithAKeyTwiceIsWrittenRowByRowInOrderAsBefore(@TempDir Path dir) throws Exception {
    List<Observation> first = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      first.add(obs(i, i * 1.0, V1, "first.csv", "line " + i));
    }
    List<Observation> batch = new ArrayList<>();
    for (int i = 10; i < 40; i++) {
      batch.add(obs(i, i * 2.0, V1, "batch.csv", "line " + i));
    }
    batch.add(obs(0, 100.0, V2, "dup.csv", "a")); // stored key, newer, then an older one
    batch.add(obs(0, 101.0, V0, "dup.csv", "b"));
    batch.add(obs(25, 200.0, V0, "dup.csv", "c")); // new key: older after newer
    batch.add(obs(30, 300.0, V2, "dup.csv", "d")); // new key: newer after older
    batch.add(obs(35, 350.0, V1, "dup.csv", "e")); // new key, same vintage: the later wins
    batch.add(obs(12, 24.0, V1, "batch.csv", "line 12")); // the same row twice
    batch.add(obs(5, 5.0, V1, "first.csv", "line 5")); // as stored, then changed, same vintage
    batch.add(obs(5, 55.0, V1, "dup.csv", "f"));

    WarehouseSpec old = freshWarehouse("dup_old");
    loadTheOldWay(old, Tables.observations(), first);
    loadTheOldWay(old, Tables.observations(), batch);
    List<String> expected = WarehouseDump.observations(old);
    assertTrue(observation(old, 0).endsWith("dup.csv | a"), observation(old, 0));
    assertTrue(observation(old, 25).endsWith("batch.csv | line 25"), observation(old, 25));
    assertTrue(observation(old, 30).endsWith("dup.csv | d"), observation(old, 30));
    assertTrue(observation(old, 35).endsWith("dup.csv | e"), observation(old, 35));
    assertTrue(observation(old, 5).endsWith("dup.csv | f"), observation(old, 5));

    WarehouseSpec duck = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("d.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(duck);
      List<WarehouseSpec> specs =
          List.of(freshWarehouse("dup_merge"), freshWarehouse("dup_conflict"), duck);
      for (int k = 0; k < specs.size(); k++) {
        WarehouseSpec spec = specs.get(k);
        load(spec, Tables.observations(), k != 1, first, 100);
        Counts counts = new Counts();
        try (BatchWriter<Observation> w = writer(spec, Tables.observations(), k != 1, counts)) {
          Result<Observation> r = w.write(batch);
          assertEquals(batch.size(), r.written);
          assertEquals(List.of(), r.failures);
          assertObservations(expected, spec);
          assertEquals(1, counts.rowByRowBatches, spec.describe());
          assertEquals(0, counts.mergeFallbacks);
        }
      }
    } finally {
      duck.release();
    }
  }

  /**
   * The one-pass graph hands its aggregates the launch snapshot: a series with no observation at
   * launch has none of its windows stored, so its batches go straight in, no probe. A stale row of
   * such a series (an aggregate left without its observations) is still replaced by the upsert
   * rule, and series with stored observations are left to the per-batch decision.
   */
  @Test
  void aggregatesOfSeriesWithNothingStoredAtLaunchGoStraightInAndAStaleRowIsStillReplaced(
      @TempDir Path dir) throws Exception {
    List<Aggregate> s3 = new ArrayList<>();
    List<Aggregate> others = new ArrayList<>();
    for (Aggregate a : aggregatesRun1()) {
      (a.seriesId.equals("S3") ? s3 : others).add(a);
    }
    Aggregate stale = agg(51, 1, 99.0, 99.0); // S3, in its second batch of ten
    WarehouseSpec old = freshWarehouse("launch_aggs_old");
    loadTheOldWay(old, Tables.observations(), observationsRun1());
    loadTheOldWay(old, Tables.aggregates(), List.of(stale));
    loadTheOldWay(old, Tables.aggregates(), aggregatesRun1());
    List<String> expected = WarehouseDump.aggregates(old);

    WarehouseSpec duck = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("a.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(duck);
      for (WarehouseSpec spec : List.of(freshWarehouse("launch_aggs"), duck)) {
        // observations of S0..S2 stored before launch; S3 has none, but a stale aggregate
        loadTheOldWay(spec, Tables.observations(), observationsRun1());
        loadTheOldWay(spec, Tables.aggregates(), List.of(stale));
        StoredKeyRanges launch = StoredKeyRanges.read(spec, List.of("src"));
        assertEquals(3, launch.series(), spec.describe());

        Counts counts = new Counts();
        long direct;
        try (BatchWriter<Aggregate> w =
            writer(spec, Tables.aggregates(), true, counts).storedAtLaunch(launch)) {
          for (int from = 0; from < s3.size(); from += 10) {
            Result<Aggregate> r = w.write(s3.subList(from, Math.min(s3.size(), from + 10)));
            assertEquals(List.of(), r.failures);
          }
          direct = w.directBatches();
          // S0..S2 had observations at launch: never straight in on the snapshot's word
          Result<Aggregate> r = w.write(others);
          assertEquals(List.of(), r.failures);
          assertEquals(direct, w.directBatches(), spec.describe());
        }
        assertEquals(expected, WarehouseDump.aggregates(spec), spec.describe());
        // three batches of S3: the one holding the stale key met it and was upserted (DuckDB's
        // loader sends it through staging itself, PostgreSQL's through BatchWriter's fallback)
        assertEquals(2, direct, spec.describe());
        assertEquals(spec == duck ? 0 : 1, counts.mergeFallbacks, spec.describe());
      }
    } finally {
      duck.release();
    }
  }

  @Test
  void writeDistinctGivenAKeyTwiceAfterAllStillKeepsTheRule(@TempDir Path dir) throws Exception {
    // a first load (nothing stored at launch, so straight in) of a batch said to hold each key
    // once, though it does not: the database refuses the load and the rule still decides
    List<Observation> batch = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      batch.add(obs(i, i * 2.0, V1, "batch.csv", "line " + i));
    }
    batch.add(obs(25, 200.0, V0, "dup.csv", "c")); // older after newer
    batch.add(obs(3, 300.0, V2, "dup.csv", "d")); // newer after older
    batch.add(obs(7, 350.0, V1, "dup.csv", "e")); // same vintage: the later wins
    WarehouseSpec old = freshWarehouse("distinct_old");
    loadTheOldWay(old, Tables.observations(), batch);
    List<String> expected = WarehouseDump.observations(old);
    assertTrue(observation(old, 3).endsWith("dup.csv | d"), observation(old, 3));
    assertTrue(observation(old, 25).endsWith("batch.csv | line 25"), observation(old, 25));

    WarehouseSpec duck = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("d.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(duck);
      for (WarehouseSpec spec : List.of(freshWarehouse("distinct_pg"), duck)) {
        Counts counts = new Counts();
        try (BatchWriter<Observation> w =
            writer(spec, Tables.observations(), true, counts)
                .storedAtLaunch(StoredKeyRanges.none())) {
          Result<Observation> r = w.writeDistinct(batch);
          assertEquals(batch.size(), r.written, spec.describe());
          assertEquals(List.of(), r.failures);
        }
        assertObservations(expected, spec);
        assertEquals(1, counts.rowByRowBatches, spec.describe());
      }
    } finally {
      duck.release();
    }
  }

  @Test
  void aRefusedRowIsIsolatedOnBothStatements() throws Exception {
    for (boolean allowMerge : List.of(true, false)) {
      WarehouseSpec spec = freshWarehouse("refused");
      List<Observation> rows = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        rows.add(obs(i, i * 1.0, V1, "file.csv", "line " + i));
      }
      rows.set(77, new Observation("src", "bad\u0000id", T0, 1.0, V1, "file.csv", "line 77"));
      try (BatchWriter<Observation> w =
          new BatchWriter<>(spec, Tables.observations(), allowMerge, true)) {
        Result<Observation> r = w.write(rows);
        assertEquals(119L, r.written);
        assertEquals(1, r.failures.size());
        assertEquals("line 77", r.failures.get(0).row.locator);
        assertNotEquals(-1, r.failures.get(0).reason.indexOf("warehouse refused the row"));
      }
      assertEquals(119L, WarehouseDump.count(spec, "SELECT count(*) FROM observations"));
    }
  }
}

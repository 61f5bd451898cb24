package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.testing.WarehouseDump;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DuckDB batches through the appender and a staging table load what the VALUES statements did. */
class DuckDbAppenderLoadTest {
  private static final long T0 = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
  private static final long V1 = Instant.parse("2024-04-01T00:00:00Z").toEpochMilli();
  private static final long V2 = Instant.parse("2024-05-01T00:00:00Z").toEpochMilli();

  @TempDir Path dir;
  private final List<WarehouseSpec> specs = new ArrayList<>();

  @AfterEach
  void release() {
    specs.forEach(WarehouseSpec::release);
  }

  private WarehouseSpec warehouse(String name, DuckDbDialect.Load load) {
    WarehouseSpec spec =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve(name), null, null)
            .withDialect(DuckDbDialect.loading(load));
    specs.add(spec);
    WarehouseSchema.ensure(spec);
    return spec;
  }

  /** Loads with the dialect's loader directly; returns the rows DuckDB says it changed. */
  private static <T> long load(WarehouseSpec spec, Table<T> table, List<T> rows) throws Exception {
    try (Connection c = spec.open()) {
      return spec.dialect.loader(c, table, true).write(rows, false);
    }
  }

  private static List<Observation> awkward(long vintage, String origin) {
    String[] texts = {
      "plain", "with \"quotes\"", "a, b, c", "two\nlines", "cr\r\nlf", "", "ünïcødé €", "'single'"
    };
    List<Observation> out = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      Double value;
      switch (i % 5) {
        case 0:
          value = null;
          break;
        case 1:
          value = 0.0;
          break;
        case 2:
          value = -0.0;
          break;
        case 3:
          value = 1e-300 * i;
          break;
        default:
          value = -123456.789 * i;
      }
      out.add(
          new Observation(
              "src",
              "S" + (i % 4) + texts[i % texts.length],
              T0 + i * 3_600_001L + 1,
              value,
              i % 7 == 0 ? Observation.UNKNOWN_VINTAGE : vintage,
              origin + texts[(i + 3) % texts.length],
              "line " + i));
    }
    return out;
  }

  @Test
  void appenderLoadsZerosNullsAndAwkwardStringsAsTheValuesStatementsDid() throws Exception {
    WarehouseSpec appender = warehouse("a.duckdb", DuckDbDialect.Load.APPENDER);
    WarehouseSpec values = warehouse("v.duckdb", DuckDbDialect.Load.VALUES);
    List<Observation> rows = awkward(V1, "file ");
    assertEquals(64, load(appender, Tables.observations(), rows));
    load(values, Tables.observations(), rows);
    List<String> loaded = WarehouseDump.observations(appender);
    assertEquals(64, loaded.size());
    assertEquals(WarehouseDump.observations(values), loaded);
    String text = "SELECT CAST(\"value\" AS TEXT) FROM observations WHERE locator = 'line %d'";
    assertEquals(List.of("-0.0"), WarehouseDump.rows(appender, String.format(text, 2)));
    assertEquals(List.of("0.0"), WarehouseDump.rows(appender, String.format(text, 1)));
    assertEquals(
        13L,
        WarehouseDump.count(appender, "SELECT count(*) FROM observations WHERE \"value\" IS NULL"));
    assertEquals(
        10L,
        WarehouseDump.count(appender, "SELECT count(*) FROM observations WHERE vintage IS NULL"));
    assertEquals(
        List.of("two\nlines | 8"),
        WarehouseDump.rows(
            appender,
            "SELECT substr(series_id, 3), count(*) FROM observations"
                + " WHERE series_id LIKE '%two\nlines' GROUP BY 1"));
    assertTrue(
        loaded.stream().anyMatch(r -> r.contains("S1with \"quotes\" | ")), loaded.toString());
    assertTrue(loaded.stream().anyMatch(r -> r.contains("file a, b, c | ")), loaded.toString());
  }

  @Test
  void aRerunWritesNothingAndAnOlderVintageNeverReplacesANewerOne() throws Exception {
    WarehouseSpec spec = warehouse("r.duckdb", DuckDbDialect.Load.APPENDER);
    List<Observation> newer = awkward(V2, "new ");
    assertEquals(64, load(spec, Tables.observations(), newer));
    List<String> loaded = WarehouseDump.observations(spec);
    assertEquals(0, load(spec, Tables.observations(), newer), "identical rows are not rewritten");
    List<Observation> older = new ArrayList<>();
    for (Observation o : awkward(V1, "old ")) {
      older.add(new Observation(o.source, o.seriesId, o.ts, 42.0, o.vintage, o.origin, o.locator));
    }
    // the rows stored without a vintage (i % 7 == 0) get the same unknown one again, and may
    assertEquals(10, load(spec, Tables.observations(), older));
    List<String> after = WarehouseDump.observations(spec);
    for (int i = 0; i < after.size(); i++) {
      if (after.get(i).contains("old ")) {
        assertTrue(after.get(i).contains(" | 42.0 | "), after.get(i));
      } else {
        assertEquals(loaded.get(i), after.get(i));
      }
    }
    assertEquals(
        10L,
        WarehouseDump.count(spec, "SELECT count(*) FROM observations WHERE origin LIKE 'old%'"));
    assertEquals(0, load(spec, Tables.observations(), older), "the rerun of the older one too");
  }

  @Test
  void aggregatesAndTheBatchWriterGoThroughTheAppenderToo() throws Exception {
    WarehouseSpec spec = warehouse("g.duckdb", DuckDbDialect.Load.APPENDER);
    List<Aggregate> aggs = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      aggs.add(
          new Aggregate(
              "src",
              "S" + (i % 3),
              "P1D",
              T0 + i * 86_400_000L,
              T0 + (i + 1) * 86_400_000L,
              i,
              i % 2,
              i % 4 == 0 ? null : -0.0,
              i * 1.0,
              i % 3 == 0 ? null : i / 3.0,
              0.0,
              -i * 1.0));
    }
    UpsertBatchesPostgresTest.Counts counts = new UpsertBatchesPostgresTest.Counts();
    try (BatchWriter<Aggregate> w =
        UpsertBatchesPostgresTest.writer(spec, Tables.aggregates(), true, counts)) {
      assertEquals(30L, w.write(aggs).written);
      assertEquals(30L, w.write(aggs).written, "rows accepted again, as every run counts them");
    }
    assertEquals(0, counts.rowByRowBatches);
    assertEquals(60L, counts.written);
    List<String> dump = WarehouseDump.aggregates(spec);
    assertEquals(30, dump.size());
    assertEquals(0, load(spec, Tables.aggregates(), aggs));
  }

  private static Observation obs(int i, double value, long vintage, String origin) {
    return new Observation(
        "src", "S" + (i % 3), T0 + (i / 3) * 3_600_000L, value, vintage, origin, "line " + i);
  }

  /** Loads through a batch writer that knows {@code launch}; returns its direct batches. */
  private static <T> long loadDirect(
      WarehouseSpec spec, Table<T> table, List<T> rows, int batch, StoredKeyRanges launch)
      throws Exception {
    UpsertBatchesPostgresTest.Counts counts = new UpsertBatchesPostgresTest.Counts();
    try (BatchWriter<T> w =
        UpsertBatchesPostgresTest.writer(spec, table, true, counts).storedAtLaunch(launch)) {
      for (int from = 0; from < rows.size(); from += batch) {
        BatchWriter.Result<T> r = w.write(rows.subList(from, Math.min(rows.size(), from + batch)));
        assertEquals(List.of(), r.failures);
      }
      assertEquals(0, counts.rowByRowBatches);
      return w.directBatches();
    }
  }

  @Test
  void batchesOutsideTheRangesStoredAtLaunchAreAppendedStraightInWithTheSameResults()
      throws Exception {
    WarehouseSpec spec = warehouse("d.duckdb", DuckDbDialect.Load.APPENDER);
    WarehouseSpec old = warehouse("o.duckdb", DuckDbDialect.Load.APPENDER);
    // stored before launch: the middle of each series
    List<Observation> before = new ArrayList<>();
    for (int i = 3000; i < 6000; i++) {
      before.add(obs(i, i * 1.0, V1, "pre.csv"));
    }
    load(spec, Tables.observations(), before);
    load(old, Tables.observations(), before);
    StoredKeyRanges launch = StoredKeyRanges.read(spec, List.of("src", "other"));
    assertEquals(3, launch.series());
    assertEquals(0, StoredKeyRanges.read(spec, List.of("other")).series());

    // keys before and after the stored ranges: straight in, in batches larger than the
    // appender's chunk of 2,048 rows
    List<Observation> outside = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      outside.add(obs(i, i * 0.5, V2, "run.csv"));
    }
    for (int i = 6000; i < 9000; i++) {
      outside.add(obs(i, i * 0.5, V2, "run.csv"));
    }
    assertEquals(2, loadDirect(spec, Tables.observations(), outside, 3000, launch));
    load(old, Tables.observations(), outside);
    assertEquals(WarehouseDump.observations(old), WarehouseDump.observations(spec));
    assertEquals(9000L, WarehouseDump.count(spec, "SELECT count(*) FROM observations"));

    // stored keys again, newer and older vintages: inside the ranges, through the upsert rule
    List<Observation> inside = new ArrayList<>();
    for (int i = 3000; i < 6000; i += 2) {
      inside.add(obs(i, -i * 1.0, i % 4 == 0 ? V2 : V1 - 1, "revised.csv"));
    }
    assertEquals(0, loadDirect(spec, Tables.observations(), inside, 3000, launch));
    load(old, Tables.observations(), inside);
    assertEquals(WarehouseDump.observations(old), WarehouseDump.observations(spec));
    assertEquals(
        750L,
        WarehouseDump.count(
            spec, "SELECT count(*) FROM observations WHERE origin = 'revised.csv'"));

    // a retry of a batch that committed, as the launch snapshot saw it: the append meets its own
    // keys after the first chunk of 2,048 rows, is rolled back whole, and the batch goes through
    // staging, which changes nothing
    List<String> stored = WarehouseDump.observations(spec);
    List<Observation> retry = new ArrayList<>(outside.subList(3000, 6000));
    List<Observation> fresh = new ArrayList<>();
    for (int i = 9000; i < 9000 + 2100; i++) {
      fresh.add(obs(i, i * 0.25, V2, "late.csv"));
    }
    List<Observation> mixed = new ArrayList<>(fresh);
    mixed.addAll(retry);
    assertEquals(0, loadDirect(spec, Tables.observations(), mixed, mixed.size(), launch));
    load(old, Tables.observations(), mixed);
    assertEquals(WarehouseDump.observations(old), WarehouseDump.observations(spec));
    assertEquals(9000L + 2100, WarehouseDump.count(spec, "SELECT count(*) FROM observations"));
    assertTrue(WarehouseDump.observations(spec).containsAll(stored));

    // the same in a batch smaller than one chunk: the appender writes it when flushed, and there
    // meets the stored keys (DuckDB 1.4 lost that error on close, and the whole batch with it)
    List<Observation> small = new ArrayList<>();
    for (int i = 12_000; i < 12_020; i++) {
      small.add(obs(i, i * 0.5, V2, "small.csv"));
    }
    small.addAll(outside.subList(100, 130));
    assertEquals(0, loadDirect(spec, Tables.observations(), small, small.size(), launch));
    load(old, Tables.observations(), small);
    assertEquals(WarehouseDump.observations(old), WarehouseDump.observations(spec));
    assertEquals(9000L + 2120, WarehouseDump.count(spec, "SELECT count(*) FROM observations"));

    // vintages are keyed by source, series_id, ts and vintage: the same ranges apply
    List<Observation> vintages = new ArrayList<>();
    for (int i = 9000 + 2100; i < 9000 + 2400; i++) {
      vintages.add(obs(i, i * 1.0, V1, "v.csv"));
      vintages.add(obs(i, i * 2.0, V2, "v.csv"));
    }
    assertEquals(1, loadDirect(spec, Tables.observationVintages(), vintages, 1000, launch));
    assertEquals(600L, WarehouseDump.count(spec, "SELECT count(*) FROM observation_vintages"));
  }
}

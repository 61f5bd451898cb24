package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.testing.AggregatesInvariant;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pipelines live run after run: inputs split across runs, an older vintage arriving after a newer
 * one, the same input path rewritten between two runs of one day, replays of one ingest date and of
 * the whole lake. After every run each stored aggregate must equal the statistics of the stored
 * observations of its window ({@link AggregatesInvariant}), in DuckDB and in PostgreSQL, and the
 * result must be what one run over all the inputs gives.
 *
 * <p>Real data: the Bitstamp daily candles and the two PAYEMS vintages under testdata/, cut into
 * pieces here.
 */
@Tag("integration")
class RunAfterRunTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
  private static final Map<String, List<String>> WINDOWS =
      Map.of("bitstamp", List.of("P1W", "P1M", "P1Y"), "fred", List.of("P1M", "P3M", "P1Y"));

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("runafterrun");

  private RunRecord run(
      WarehouseSpec wh, Path lake, Path config, String runId, String date, String... extra) {
    return BatchRuns.run(wh, lake, config, runId, date, extra);
  }

  private void assertConsistent(WarehouseSpec wh, String when) {
    List<String> v = AggregatesInvariant.violations(wh, WINDOWS);
    assertTrue(
        v.isEmpty(),
        when
            + ": "
            + v.size()
            + " violations, first: "
            + v.stream().limit(5).collect(Collectors.joining("\n  ")));
  }

  private static void assertSameWarehouse(WarehouseSpec expected, WarehouseSpec actual) {
    assertEquals(WarehouseDump.observations(expected), WarehouseDump.observations(actual));
    assertEquals(WarehouseDump.aggregates(expected), WarehouseDump.aggregates(actual));
    String series =
        "SELECT source, series_id, title, units, first_ts, last_ts FROM series ORDER BY 1, 2";
    assertEquals(WarehouseDump.rows(expected, series), WarehouseDump.rows(actual, series));
  }

  /** Bitstamp's banner and header, then the data lines {@code keep} selects. */
  private Path bitstampPart(String name, java.util.function.Predicate<String> keep)
      throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(lines.subList(0, 2));
    for (String line : lines.subList(2, Math.min(lines.size(), 2 + 400))) {
      if (keep.test(line)) {
        out.add(line);
      }
    }
    Path p = dir.resolve("in").resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, out, StandardCharsets.UTF_8);
    return p;
  }

  /** Day of month of a Bitstamp line ({@code unix,2022-08-20 00:00:00,...}). */
  private static int day(String line) {
    return Integer.parseInt(line.split(",")[1].substring(8, 10));
  }

  private Path bitstampConfig(String name, Path... files) throws IOException {
    String list =
        java.util.Arrays.stream(files)
            .map(f -> "\"" + f.toAbsolutePath() + "\"")
            .collect(Collectors.joining(", "));
    return config(
        name,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1W\", \"P1M\","
            + " \"P1Y\"], \"files\": ["
            + list
            + "], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\": [\"open\","
            + " \"close\"]}]}");
  }

  private Path fredConfig(String name, String... files) throws IOException {
    String list =
        java.util.Arrays.stream(files)
            .map(f -> "\"" + Path.of("testdata/fred", f).toAbsolutePath() + "\"")
            .collect(Collectors.joining(", "));
    return config(
        name,
        "{\"sources\": [{\"name\": \"fred\", \"type\": \"fred\", \"windows\": [\"P1M\", \"P3M\","
            + " \"P1Y\"], \"files\": ["
            + list
            + "]}]}");
  }

  private Path config(String name, String json) throws IOException {
    Path p = dir.resolve(name + ".json");
    Files.writeString(p, json);
    return p;
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void inputsSplitAcrossRunsGiveWholeWindows(String kind) throws IOException {
    Path first = bitstampPart("first-half.csv", l -> day(l) <= 15);
    Path second = bitstampPart("second-half.csv", l -> day(l) > 15);
    WarehouseSpec wh = warehouses.of(kind, "split");
    run(wh, dir.resolve("lake"), bitstampConfig("c1", first), "split-1", "2026-01-01");
    assertConsistent(wh, "after the first half");
    run(wh, dir.resolve("lake"), bitstampConfig("c2", second), "split-2", "2026-01-02");
    assertConsistent(wh, "after the second half");

    WarehouseSpec once = warehouses.of(kind, "once");
    run(once, dir.resolve("lake-once"), bitstampConfig("c12", first, second), "once", "2026-01-01");
    assertSameWarehouse(once, wh);
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void anOlderVintageArrivingLateChangesNothing(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "vintage");
    run(
        wh,
        dir.resolve("lake"),
        fredConfig("new", "PAYEMS_obs_asc_from1999_vintage2023-07-18.json"),
        "new",
        "2026-01-01");
    List<String> before = WarehouseDump.observations(wh);
    List<String> aggregatesBefore = WarehouseDump.aggregates(wh);
    RunRecord late =
        run(
            wh,
            dir.resolve("lake"),
            fredConfig("old", "PAYEMS_obs_asc_from1999_vintage2023-05-05.json"),
            "old",
            "2026-01-02");
    assertConsistent(wh, "after the older vintage");
    assertEquals(before, WarehouseDump.observations(wh));
    assertEquals(aggregatesBefore, WarehouseDump.aggregates(wh));
    // every month of the old vintage is in the new one: the late records lose to stored rows
    assertEquals(0, late.observationsLoaded, late.accountingMessage());
    assertEquals(late.recordsRead - late.recordsRejected, late.duplicatesSuperseded);
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void aRevisionArrivingLaterRewritesItsWindows(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "revision");
    run(
        wh,
        dir.resolve("lake"),
        fredConfig("old", "PAYEMS_obs_asc_from1999_vintage2023-05-05.json"),
        "old",
        "2026-01-01");
    List<String> before = WarehouseDump.aggregates(wh);
    run(
        wh,
        dir.resolve("lake"),
        fredConfig("new", "PAYEMS_obs_asc_from1999_vintage2023-07-18.json"),
        "new",
        "2026-01-02");
    assertConsistent(wh, "after the revision");
    // the July vintage revised recent months: their windows changed
    assertTrue(!before.equals(WarehouseDump.aggregates(wh)), "no aggregate changed");

    WarehouseSpec once = warehouses.of(kind, "revision-once");
    run(
        once,
        dir.resolve("lake-once"),
        fredConfig(
            "both",
            "PAYEMS_obs_asc_from1999_vintage2023-05-05.json",
            "PAYEMS_obs_asc_from1999_vintage2023-07-18.json"),
        "both",
        "2026-01-01");
    assertSameWarehouse(once, wh);
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb"})
  void theLakeKeepsEveryRunAndReplaysIntoTheSameWarehouse(String kind) throws IOException {
    // a daily export rewritten in place: the same path holds other rows at each run of the day
    Path export = dir.resolve("in/export.csv");
    WarehouseSpec wh = warehouses.of(kind, "rewritten");
    Path config = bitstampConfig("export", export);
    Files.createDirectories(export.getParent());
    Files.copy(bitstampPart("a.csv", l -> day(l) <= 15), export);
    run(wh, dir.resolve("lake"), config, "morning", "2026-01-01");
    Files.copy(
        bitstampPart("b.csv", l -> day(l) > 15),
        export,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    run(wh, dir.resolve("lake"), config, "evening", "2026-01-01");
    assertConsistent(wh, "after both runs");

    WarehouseSpec replay = warehouses.of(kind, "replay");
    run(replay, dir.resolve("lake"), config, "replay", "2026-01-03", "--replayFromLake=true");
    assertSameWarehouse(wh, replay);
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb"})
  void replayingOneIngestDateKeepsWindowsWhole(String kind) throws IOException {
    Path first = bitstampPart("first-half.csv", l -> day(l) <= 15);
    Path second = bitstampPart("second-half.csv", l -> day(l) > 15);
    WarehouseSpec wh = warehouses.of(kind, "replay-one");
    Path lake = dir.resolve("lake");
    run(wh, lake, bitstampConfig("c1", first), "d1", "2026-01-01");
    run(wh, lake, bitstampConfig("c2", second), "d2", "2026-01-02");
    List<String> observations = WarehouseDump.observations(wh);
    List<String> aggregates = WarehouseDump.aggregates(wh);
    run(
        wh,
        lake,
        bitstampConfig("c12", first, second),
        "r1",
        "2026-01-03",
        "--replayFromLake=true",
        "--replayIngestDate=2026-01-01");
    assertConsistent(wh, "after replaying the first ingest date");
    assertEquals(observations, WarehouseDump.observations(wh));
    assertEquals(aggregates, WarehouseDump.aggregates(wh));
  }
}

package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.FaultyFileSystem;
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
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake is the append-only system of record: runs of one day with different run ids keep their
 * own raw and rejected files, a rerun of a run id replaces only its own, {@code pipeline_runs}
 * records how many lake files the run committed, a replay of the whole lake rebuilds the same
 * observations, and a lake write that fails fails the run.
 *
 * <p>Real data: the Bitstamp daily candles under testdata/, cut into pieces here, plus one bad line
 * per run so the rejected zone has files too. Aggregates and the series' first/last timestamps
 * after several runs are the subject of RunAfterRunTest (they need aggregates recomputed from
 * stored observations); this test compares observations and the series rows without them.
 */
@Tag("integration")
class AppendOnlyLakeTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
  private static final String DATE = "2026-01-01";

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("appendonly");

  private static RunRecord run(
      WarehouseSpec wh, String lake, Path config, String runId, String date, String... extra) {
    return BatchRuns.run(wh, lake, config, runId, date, extra);
  }

  /**
   * Writes Bitstamp's banner, header and the first 120 data lines {@code keep} selects, then a bad
   * line.
   */
  private static void export(Path to, Predicate<String> keep, String badDate) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(lines.subList(0, 2));
    for (String line : lines.subList(2, 2 + 120)) {
      if (keep.test(line)) {
        out.add(line);
      }
    }
    out.add("1,2019-01-" + badDate + " 00:00:00,BTC/USD,oops,1,1,oops,1,1");
    Files.createDirectories(to.getParent());
    Files.write(to, out, StandardCharsets.UTF_8);
  }

  private static int day(String line) {
    return Integer.parseInt(line.split(",")[1].substring(8, 10));
  }

  private Path config(Path export) throws IOException {
    Path p = dir.resolve("export.json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1M\"],"
            + " \"files\": [\""
            + export.toAbsolutePath()
            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\": [\"open\","
            + " \"close\"]}]}");
    return p;
  }

  /** Every file under the lake root, by relative path, with its bytes. */
  private static Map<String, byte[]> files(Path lake) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(lake)) {
      for (Path f : s.filter(Files::isRegularFile).collect(Collectors.toList())) {
        out.put(lake.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
      }
    }
    return out;
  }

  private static Map<String, byte[]> ofRun(Map<String, byte[]> files, String zone, String runId) {
    Map<String, byte[]> out = new TreeMap<>();
    files.forEach(
        (k, v) -> {
          if (k.startsWith(zone + "/") && k.contains("/run_id=" + runId + "/")) {
            out.put(k, v);
          }
        });
    return out;
  }

  private static long lakeFiles(WarehouseSpec wh, String runId) {
    return WarehouseDump.count(
        wh, "SELECT lake_files FROM pipeline_runs WHERE run_id = '" + runId + "'");
  }

  private static long dataRows(byte[] csv) {
    return new String(csv, StandardCharsets.UTF_8).lines().count() - 1;
  }

  @Test
  void runsOfOneDayKeepTheirFilesAReRunReplacesItsOwnAndTheLakeReplaysTheSameObservations()
      throws IOException {
    Path export = dir.resolve("in/export.csv");
    Path lake = dir.resolve("lake");
    Path config = config(export);
    WarehouseSpec wh = warehouses.duckdb("runs");

    export(export, l -> day(l) <= 15, "01");
    RunRecord morning = run(wh, lake.toString(), config, "morning", DATE);
    Map<String, byte[]> afterMorning = files(lake);
    assertEquals(1, ofRun(afterMorning, "raw", "morning").size(), afterMorning.keySet().toString());
    assertFalse(ofRun(afterMorning, "rejected", "morning").isEmpty(), "a rejected file");
    assertEquals(
        afterMorning.size(),
        ofRun(afterMorning, "raw", "morning").size()
            + ofRun(afterMorning, "rejected", "morning").size());
    assertEquals(afterMorning.size(), lakeFiles(wh, "morning"), "pipeline_runs.lake_files");

    // the same input path, other rows: the evening run, then a rerun of it (a retry)
    export(export, l -> day(l) > 15, "02");
    run(wh, lake.toString(), config, "evening", DATE);
    Map<String, byte[]> eveningFirst = ofRun(files(lake), "raw", "evening");
    RunRecord evening = run(wh, lake.toString(), config, "evening", DATE);

    Map<String, byte[]> after = files(lake);
    for (Map.Entry<String, byte[]> f : afterMorning.entrySet()) {
      assertTrue(after.containsKey(f.getKey()), "the morning run's " + f.getKey() + " is gone");
      assertArrayEquals(f.getValue(), after.get(f.getKey()), "the morning run's " + f.getKey());
    }
    Map<String, byte[]> eveningRaw = ofRun(after, "raw", "evening");
    assertEquals(eveningFirst.keySet(), eveningRaw.keySet(), "the rerun replaced its own files");
    assertEquals(evening.recordsRead, dataRows(eveningRaw.values().iterator().next()));
    assertEquals(
        morning.recordsRead, dataRows(ofRun(after, "raw", "morning").values().iterator().next()));
    assertEquals(
        after.size(),
        afterMorning.size() + eveningRaw.size() + ofRun(after, "rejected", "evening").size());
    assertEquals(
        eveningRaw.size() + ofRun(after, "rejected", "evening").size(), lakeFiles(wh, "evening"));

    WarehouseSpec replay = warehouses.duckdb("replay");
    RunRecord replayed =
        run(replay, lake.toString(), config, "replay", "2026-01-03", "--replayFromLake=true");
    assertEquals(morning.recordsRead + evening.recordsRead, replayed.recordsRead);
    assertEquals(
        ofRun(files(lake), "rejected", "replay").size(),
        lakeFiles(replay, "replay"),
        "a replay writes rejected files only");
    assertTrue(ofRun(files(lake), "raw", "replay").isEmpty(), "a replay lands no raw files");
    assertEquals(WarehouseDump.observations(wh), WarehouseDump.observations(replay));
    String series = "SELECT source, series_id, title, units FROM series ORDER BY 1, 2";
    assertEquals(WarehouseDump.rows(wh, series), WarehouseDump.rows(replay, series));
  }

  @Test
  void aLakeWriteThatFailsFailsTheRunWhichIsNeverRecordedAsSucceeded() throws IOException {
    Path export = dir.resolve("in/export.csv");
    export(export, l -> day(l) <= 15, "01");
    WarehouseSpec wh = warehouses.duckdb("broken");
    // faulty:// is read-only: every lake write fails
    String lake = FaultyFileSystem.spec(dir.resolve("read-only-lake"));
    assertThrows(RuntimeException.class, () -> run(wh, lake, config(export), "broken", DATE));
    assertEquals(
        List.of(),
        WarehouseDump.rows(wh, "SELECT run_id FROM pipeline_runs WHERE status = 'succeeded'"));
    assertFalse(Files.exists(dir.resolve("read-only-lake")));
  }
}

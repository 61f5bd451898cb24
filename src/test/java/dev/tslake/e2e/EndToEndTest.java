package dev.tslake.e2e;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.lake.LakePaths;
import dev.tslake.model.RawRecord;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default job, end to end, on the real data under testdata/: into embedded DuckDB twice, and
 * into a real PostgreSQL server; the warehouses must agree row for row, a rerun must change
 * nothing, and every record read must be accounted for.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndTest {
  private Path dir;

  private WarehouseSpec duck;
  private RunRecord duckFirst;
  private List<String> duckObservations;
  private List<String> duckAggregates;
  private String pgUrl;

  static RunRecord runJob(
      Path lake, String warehouseUrl, String user, String password, String runId, String config) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + lake,
                "--warehouseUrl=" + warehouseUrl,
                "--runId=" + runId,
                "--ingestDate=2026-11-20",
                // the checks triple the run time; the composites' own tests run with them
                "--enforceImmutability=false",
                "--enforceEncodability=false"));
    if (user != null) {
      args.add("--warehouseUser=" + user);
      args.add("--warehousePassword=" + password);
    }
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
            .withValidation()
            .as(TsLakeOptions.class);
    return TsLake.run(options);
  }

  @BeforeAll
  void runDefaultJobIntoDuckDb(@TempDir Path tempDir) {
    dir = tempDir;
    duck = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("wh.duckdb"), null, null);
    duckFirst = runJob(dir.resolve("lake"), duck.url, null, null, "duck-1", "testdata/tslake.json");
    duckObservations = WarehouseDump.observations(duck);
    duckAggregates = WarehouseDump.aggregates(duck);
  }

  @AfterAll
  void cleanUp() {
    if (duck != null) {
      duck.release();
    }
    if (pgUrl != null) {
      PostgresSupport.dropSchema(pgUrl);
    }
  }

  @Test
  @Order(1)
  void everyRecordIsAccountedFor() {
    assertTrue(duckFirst.balanced(), duckFirst.accountingMessage());
    assertThat(duckFirst.recordsRead, greaterThanOrEqualTo(90_000L));
    assertEquals(duckFirst.observationsLoaded, (long) duckObservations.size());
    assertEquals(duckFirst.aggregatesLoaded, (long) duckAggregates.size());
    long rejects = WarehouseDump.count(duck, "SELECT count(*) FROM rejects");
    assertEquals(duckFirst.recordsRejected, rejects);
    List<String> run =
        WarehouseDump.rows(
            duck,
            "SELECT run_id, runner, records_read,"
                + " records_rejected, observations_loaded, duplicates_superseded, aggregates_loaded, status"
                + " FROM pipeline_runs");
    assertEquals(
        List.of(
            "duck-1 | DirectRunner | "
                + duckFirst.recordsRead
                + " | "
                + duckFirst.recordsRejected
                + " | "
                + duckFirst.observationsLoaded
                + " | "
                + duckFirst.duplicatesSuperseded
                + " | "
                + duckFirst.aggregatesLoaded
                + " | succeeded"),
        run);
  }

  @Test
  @Order(2)
  void warehouseHoldsEverySourceAndSeveralWindowSizes() {
    List<String> sources =
        WarehouseDump.rows(duck, "SELECT DISTINCT source FROM observations ORDER BY source");
    assertThat(
        sources,
        hasItems(
            "alphavantage",
            "bitstamp",
            "coindesk",
            "fred",
            "fred_csv",
            "gemini",
            "taxi",
            "taxi_legacy"));
    List<String> windows =
        WarehouseDump.rows(duck, "SELECT DISTINCT \"window\" FROM aggregates ORDER BY 1");
    assertThat(windows, hasItems("P1D", "P1M", "P1Y", "PT1H", "P3M", "P1W"));
    // facts from the files: the 2023-07-18 PAYEMS vintage revised March 2023 to 155472
    assertEquals(
        List.of("155472.0 | 2023-07-18T00:00:00Z"),
        WarehouseDump.rows(
            duck,
            "SELECT \"value\", vintage FROM observations WHERE source = 'fred' AND series_id = 'PAYEMS'"
                + " AND ts = TIMESTAMPTZ '2023-03-01 00:00:00+00'"));
    // FRED "." is a missing value: loaded as NULL, not rejected
    assertThat(
        WarehouseDump.count(
            duck,
            "SELECT count(*) FROM observations WHERE source = 'fred'"
                + " AND series_id = 'DGS2' AND \"value\" IS NULL"),
        is(510L));
    // the two Alpha Vantage error bodies are rejects with the API's message
    assertThat(
        WarehouseDump.rows(duck, "SELECT stage, reason FROM rejects ORDER BY origin"),
        everyItem(startsWith("parse | Alpha Vantage error: Invalid API call")));
  }

  @Test
  @Order(3)
  void rawAndRejectedRecordsLandInTheLake() throws IOException {
    Path lake = dir.resolve("lake");
    try (Stream<Path> files = Files.walk(lake)) {
      List<Path> csv =
          files.filter(p -> p.toString().endsWith(".csv")).collect(Collectors.toList());
      assertThat(
          csv.stream().map(p -> lake.relativize(p).toString()).collect(Collectors.toList()),
          everyItem(
              org.hamcrest.Matchers.matchesPattern(
                  "(raw|rejected)/source=[a-z_]+/ingest_date=2026-11-20/run_id=duck-1/[^/]+\\.csv")));
    }
    // every raw record exactly once, in the one lake file of the input it was read from
    Map<String, List<List<String>>> raw = rawLake(lake);
    Set<List<String>> distinct = new HashSet<>();
    long rows = 0;
    for (Map.Entry<String, List<List<String>>> file : raw.entrySet()) {
      List<String> first = file.getValue().get(0);
      assertEquals(
          LakePaths.inputFile(LakePaths.RAW, first.get(0), "2026-11-20", "duck-1", first.get(1)),
          file.getKey(),
          "lake file of input " + first.get(1));
      for (List<String> row : file.getValue()) {
        assertEquals(
            first.subList(0, 2), row.subList(0, 2), "source and origin in " + file.getKey());
        distinct.add(row);
        rows++;
      }
    }
    assertEquals(duckFirst.recordsRead, rows);
    assertEquals(rows, distinct.size(), "no raw record twice");
    assertTrue(Files.exists(lake.resolve("rejected/source=alphavantage/ingest_date=2026-11-20")));
    try (Stream<Path> all = Files.walk(lake)) {
      assertThat(
          "no temporary files left", all.noneMatch(p -> p.toString().contains("temp")), is(true));
    }
  }

  /** The raw zone: every file by relative path, with its rows (header checked and dropped). */
  static Map<String, List<List<String>>> rawLake(Path lake) throws IOException {
    Map<String, List<List<String>>> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(lake.resolve("raw"))) {
      files = s.filter(Files::isRegularFile).collect(Collectors.toList());
    }
    for (Path f : files) {
      List<List<String>> rows = new ArrayList<>();
      try (CSVParser csv =
          CSVFormat.RFC4180
              .builder()
              .setHeader()
              .setSkipHeaderRecord(true)
              .build()
              .parse(Files.newBufferedReader(f, StandardCharsets.UTF_8))) {
        assertEquals(List.of(RawRecord.CSV_HEADER), csv.getHeaderNames(), f.toString());
        for (CSVRecord r : csv) {
          rows.add(r.toList());
        }
      }
      out.put(lake.relativize(f).toString(), rows);
    }
    return out;
  }

  @Test
  @Order(4)
  void secondRunChangesNothing() throws IOException {
    Map<String, byte[]> rawBefore = rawBytes(dir.resolve("lake"));
    RunRecord second =
        runJob(dir.resolve("lake"), duck.url, null, null, "duck-2", "testdata/tslake.json");
    // the lake is append-only: the first run's raw files stay as they were, byte for byte, and
    // the second run lands the same records in files of its own
    Map<String, byte[]> rawAfter = rawBytes(dir.resolve("lake"));
    Map<String, byte[]> firstAfter = new TreeMap<>();
    Map<String, byte[]> secondAfter = new TreeMap<>();
    rawAfter.forEach(
        (f, bytes) ->
            (f.contains("/run_id=duck-1/") ? firstAfter : secondAfter)
                .put(f.replace("/run_id=duck-2/", "/run_id=duck-1/"), bytes));
    assertEquals(rawBefore.keySet(), firstAfter.keySet());
    assertEquals(rawBefore.keySet(), secondAfter.keySet());
    for (String f : rawBefore.keySet()) {
      assertTrue(java.util.Arrays.equals(rawBefore.get(f), firstAfter.get(f)), f);
      assertTrue(java.util.Arrays.equals(rawBefore.get(f), secondAfter.get(f)), f);
    }
    assertEquals(duckFirst.recordsRead, second.recordsRead);
    assertEquals(duckFirst.observationsLoaded, second.observationsLoaded);
    assertEquals(duckObservations, WarehouseDump.observations(duck));
    assertEquals(duckAggregates, WarehouseDump.aggregates(duck));
    assertEquals(2L, WarehouseDump.count(duck, "SELECT count(*) FROM pipeline_runs"));
  }

  private static Map<String, byte[]> rawBytes(Path lake) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(lake.resolve("raw"))) {
      for (Path f : s.filter(Files::isRegularFile).collect(Collectors.toList())) {
        out.put(lake.relativize(f).toString(), Files.readAllBytes(f));
      }
    }
    return out;
  }

  @Test
  @Order(5)
  void postgresGetsExactlyTheSameObservationsAndAggregates() {
    pgUrl = PostgresSupport.freshSchemaUrl("e2e");
    RunRecord pg =
        runJob(
            dir.resolve("lake-pg"),
            pgUrl,
            PostgresSupport.user(),
            PostgresSupport.password(),
            "pg-1",
            "testdata/tslake.json");
    WarehouseSpec spec =
        new WarehouseSpec(pgUrl, PostgresSupport.user(), PostgresSupport.password());
    assertTrue(pg.balanced(), pg.accountingMessage());
    assertEquals(duckFirst.recordsRead, pg.recordsRead);
    assertEquals(duckFirst.recordsRejected, pg.recordsRejected);
    assertEquals(duckFirst.duplicatesSuperseded, pg.duplicatesSuperseded);
    assertEquals(duckObservations, WarehouseDump.observations(spec));
    assertEquals(duckAggregates, WarehouseDump.aggregates(spec));

    RunRecord again =
        runJob(
            dir.resolve("lake-pg"),
            pgUrl,
            PostgresSupport.user(),
            PostgresSupport.password(),
            "pg-2",
            "testdata/tslake.json");
    assertTrue(again.balanced(), again.accountingMessage());
    assertEquals(duckObservations, WarehouseDump.observations(spec));
    assertEquals(duckAggregates, WarehouseDump.aggregates(spec));
  }

  @Test
  @Order(6)
  void replayingTheLakeRebuildsExactlyTheSameWarehouse() {
    WarehouseSpec replay =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve("replay.duckdb"), null, null);
    try {
      TsLakeOptions options =
          PipelineOptionsFactory.fromArgs(
                  "--config=testdata/tslake.json",
                  "--lake=" + dir.resolve("lake"),
                  "--warehouseUrl=" + replay.url,
                  "--runId=replay-1",
                  "--replayFromLake=true",
                  "--replayIngestDate=2026-11-20",
                  "--enforceImmutability=false",
                  "--enforceEncodability=false")
              .withValidation()
              .as(TsLakeOptions.class);
      RunRecord run = TsLake.run(options);
      // both runs of the day (duck-1, duck-2) are in the lake: every record twice
      assertEquals(2 * duckFirst.recordsRead, run.recordsRead);
      assertEquals(duckFirst.observationsLoaded, run.observationsLoaded);
      assertTrue(run.balanced(), run.accountingMessage());
      assertEquals(duckObservations, WarehouseDump.observations(replay));
      assertEquals(duckAggregates, WarehouseDump.aggregates(replay));

      TsLakeOptions nothing =
          PipelineOptionsFactory.fromArgs(
                  "--config=testdata/tslake.json",
                  "--lake=" + dir.resolve("lake"),
                  "--warehouseUrl=" + replay.url,
                  "--replayFromLake=true",
                  "--replayIngestDate=1999-01-01")
              .as(TsLakeOptions.class);
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> TsLake.run(nothing));
      assertThat(e.getMessage(), containsString("nothing to replay"));
    } finally {
      replay.release();
    }
  }

  @Test
  @Order(7)
  void hostileSeriesIdsWriteNothingOutsideTheLake() throws IOException {
    Path sandbox = dir.resolve("sandbox");
    Path lake = sandbox.resolve("lake");
    Files.createDirectories(lake);
    // the input's own name is hostile too: it names its lake file
    Path data = dir.resolve(".. %2e%2e hostile.csv");
    Files.writeString(
        data,
        String.join(
            "\n",
            "time,name,reading",
            "2024-01-01T00:00:00Z,../../../escaped,1",
            "2024-01-01T00:00:00Z,/etc/passwd,2",
            "2024-01-01T00:00:00Z,..,3",
            "2024-01-01T00:00:00Z,a/../../../b,4",
            "2024-01-01T00:00:00Z,%2e%2e%2f,5",
            "2024-01-01T00:00:00Z,.hidden,6",
            ""));
    Path config = dir.resolve("hostile.json");
    Files.writeString(
        config,
        "{\"sources\":[{\"name\":\"hostile\",\"type\":\"csv\","
            + "\"windows\":[\"P1D\"],\"files\":[\""
            + data
            + "\"],\"timestampColumn\":\"time\","
            + "\"seriesColumn\":\"name\",\"valueColumns\":[\"reading\"]}]}");
    WarehouseSpec wh =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve("hostile.duckdb"), null, null);
    try {
      RunRecord run = runJob(lake, wh.url, null, null, "hostile", config.toString());
      assertEquals(6L, run.observationsLoaded);
    } finally {
      wh.release();
    }
    Set<String> top = new HashSet<>();
    try (Stream<Path> s = Files.list(sandbox)) {
      s.forEach(p -> top.add(p.getFileName().toString()));
    }
    assertEquals(Set.of("lake"), top, "only the lake root may be written in its parent");
    try (Stream<Path> s = Files.walk(lake)) {
      List<Path> files = s.filter(Files::isRegularFile).collect(Collectors.toList());
      // one raw file for the one input, whatever its six series ids
      assertEquals(
          List.of(
              lake.resolve(
                  LakePaths.inputFile(
                      LakePaths.RAW, "hostile", "2026-11-20", "hostile", data.toString()))),
          files);
      for (Path f : files) {
        assertThat(
            f.normalize().toString(),
            startsWith(lake.resolve("raw/source=hostile/ingest_date=2026-11-20").toString()));
        assertThat(f.getFileName().toString().startsWith("."), is(false));
      }
      assertEquals(6, rawLake(lake).values().iterator().next().size());
    }
    assertThat(
        WarehouseDump.rows(
                new WarehouseSpec(wh.url, null, null),
                "SELECT series_id FROM observations ORDER BY 1")
            .toString(),
        containsString("../../../escaped.reading"));
    new WarehouseSpec(wh.url, null, null).release();
  }
}

package dev.tslake.e2e;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.FakeApiServer;
import dev.tslake.testing.FakeApiServer.Fault;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live sources against a local server that plays FRED, Alpha Vantage, Census, SEC EDGAR and
 * CoinDesk from the real recorded responses under testdata/, with injected faults.
 */
@Tag("integration")
class LiveSourcesTest {
  static final String FRED_KEY = "fredkey-0123456789abcdef0123456789abcdef";
  static final String AV_KEY = "AVKEY7Q2XW9Z";
  static final String CENSUS_KEY = "censuskey-5f4dcc3b5aa765d61d8327deb882cf99";

  @TempDir Path dir;
  FakeApiServer server;
  final List<WarehouseSpec> warehouses = new ArrayList<>();

  @BeforeEach
  void start() {
    server = FakeApiServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
    warehouses.forEach(WarehouseSpec::release);
  }

  private WarehouseSpec warehouse(String name) {
    WarehouseSpec w = new WarehouseSpec("jdbc:duckdb:" + dir.resolve(name + ".duckdb"), null, null);
    warehouses.add(w);
    return w;
  }

  private Path config(String name, String json) throws IOException {
    Path p = dir.resolve(name + ".json");
    Files.writeString(p, json);
    return p;
  }

  private static String abs(String testdata) {
    return Path.of(testdata).toAbsolutePath().toString();
  }

  private RunRecord run(Path config, WarehouseSpec wh, String runId, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + dir.resolve("lake-" + runId),
                "--warehouseUrl=" + wh.url,
                "--runId=" + runId,
                "--ingestDate=2026-11-20",
                "--enforceImmutability=false",
                "--enforceEncodability=false",
                "--fredBaseUrl=" + server.baseUrl(),
                "--fredApiKey=" + FRED_KEY,
                "--alphaVantageBaseUrl=" + server.baseUrl(),
                "--alphaVantageApiKey=" + AV_KEY,
                "--censusBaseUrl=" + server.baseUrl(),
                "--censusApiKey=" + CENSUS_KEY,
                "--edgarBaseUrl=" + server.baseUrl(),
                "--edgarUserAgent=tslake tests ops@example.com",
                "--coindeskBaseUrl=" + server.baseUrl(),
                "--httpBackoffMillis=40",
                "--httpTimeoutMillis=1500",
                "--httpMaxAttempts=4"));
    args.addAll(Arrays.asList(extra));
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
            .withValidation()
            .as(TsLakeOptions.class);
    return TsLake.run(options);
  }

  private void serveAllFive() {
    server.fredSeries("DGS2", Path.of("testdata/fred/series_metadata_DGS2_2022-12-09.json"));
    server.fredObservations(
        "DGS2", Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json"), 5000);
    server.fredSeries("PAYEMS", Path.of("testdata/fred/series_metadata_DGS2_2022-12-09.json"));
    server.fredObservations(
        "PAYEMS", Path.of("testdata/fred/PAYEMS_obs_asc_from1999_vintage2023-07-18.json"), 5000);
    server.alphaVantage(
        "TIME_SERIES_DAILY_ADJUSTED",
        "IBM",
        Path.of("testdata/alphavantage/TIME_SERIES_DAILY_ADJUSTED_IBM_compact_2023-03-24.json"));
    server.census(
        "2012/acs5",
        q -> true,
        Path.of("testdata/census/acs5_2012_B15003_education_by_state.json"));
    server.edgar(
        "/api/xbrl/companyfacts/CIK0001640147.json",
        Path.of("testdata/sec_edgar/companyfacts_CIK0001640147_SNOW_pretty.json"));
    server.coinDesk(
        Path.of("testdata/bitcoin/coindesk/eltonkola_05_2021-02-17T1820_69ba1c50.json"));
  }

  private static final String LIVE_ALL =
      "{\"sources\":["
          + "{\"name\":\"fred\",\"type\":\"fred\",\"windows\":[\"P1M\"],\"series\":[\"DGS2\",\"PAYEMS\"],"
          + "\"maxRequestsPerSecond\":20,\"maxConcurrentRequests\":2},"
          + "{\"name\":\"av\",\"type\":\"alphavantage\",\"windows\":[\"P1M\"],"
          + "\"function\":\"TIME_SERIES_DAILY_ADJUSTED\",\"symbols\":[\"IBM\"],\"maxRequestsPerSecond\":50},"
          + "{\"name\":\"census\",\"type\":\"census\",\"windows\":[\"P1Y\"],\"dataset\":\"2012/acs5\","
          + "\"get\":[\"B15003_001E\",\"B15003_022E\"],\"for\":\"state:*\",\"maxRequestsPerSecond\":50},"
          + "{\"name\":\"edgar\",\"type\":\"edgar\",\"windows\":[\"P1Y\"],\"ciks\":[\"1640147\"],"
          + "\"maxRequestsPerSecond\":50},"
          + "{\"name\":\"coindesk\",\"type\":\"coindesk\",\"windows\":[\"PT1H\"],\"maxRequestsPerSecond\":50}]}";

  private static String filesConfig() {
    return "{\"sources\":["
        + "{\"name\":\"fred\",\"type\":\"fred\",\"windows\":[\"P1M\"],\"files\":[\""
        + abs("testdata/fred/DGS2_obs_asc_full_2022-12-09.json")
        + "\",\""
        + abs("testdata/fred/PAYEMS_obs_asc_from1999_vintage2023-07-18.json")
        + "\"]},"
        + "{\"name\":\"av\",\"type\":\"alphavantage\",\"windows\":[\"P1M\"],\"files\":[\""
        + abs("testdata/alphavantage/TIME_SERIES_DAILY_ADJUSTED_IBM_compact_2023-03-24.json")
        + "\"]},"
        + "{\"name\":\"census\",\"type\":\"census\",\"windows\":[\"P1Y\"],\"get\":[\"B15003_001E\","
        + "\"B15003_022E\"],\"for\":\"state:*\",\"files\":[\""
        + abs("testdata/census/acs5_2012_B15003_education_by_state.json")
        + "\"]},"
        + "{\"name\":\"edgar\",\"type\":\"edgar\",\"windows\":[\"P1Y\"],\"files\":[\""
        + abs("testdata/sec_edgar/companyfacts_CIK0001640147_SNOW_pretty.json")
        + "\"]},"
        + "{\"name\":\"coindesk\",\"type\":\"coindesk\",\"windows\":[\"PT1H\"],\"files\":[\""
        + abs("testdata/bitcoin/coindesk/eltonkola_05_2021-02-17T1820_69ba1c50.json")
        + "\"]}]}";
  }

  /** What was loaded, without the origin (a URL live, a path from files). */
  private static List<String> content(WarehouseSpec w) {
    return WarehouseDump.rows(
        w,
        "SELECT source, series_id, ts, \"value\", vintage FROM observations"
            + " ORDER BY source, series_id, ts");
  }

  @Test
  void liveFetchLoadsWhatTheSameResponsesLoadAsFiles() throws IOException {
    serveAllFive();
    WarehouseSpec live = warehouse("live");
    RunRecord run = run(config("live", LIVE_ALL), live, "live-1");
    WarehouseSpec files = warehouse("files");
    run(config("files", filesConfig()), files, "files-1");

    assertTrue(run.balanced(), run.accountingMessage());
    assertEquals(0L, run.recordsRejected);
    List<String> fromLive = content(live);
    assertThat(fromLive.size(), greaterThan(12_000));
    assertEquals(content(files), fromLive);
    assertEquals(WarehouseDump.aggregates(files), WarehouseDump.aggregates(live));
    for (String source : List.of("fred", "av", "census", "edgar", "coindesk")) {
      assertThat(
          WarehouseDump.rows(live, "SELECT DISTINCT source FROM observations"), hasItem(source));
    }
    // FRED metadata arrives through /fred/series
    assertThat(
        WarehouseDump.rows(live, "SELECT units FROM series WHERE series_id = 'DGS2'"),
        hasItem("Percent"));
    // every page fetched exactly once: DGS2 has 12138 observations, pages of 5000
    for (String offset : List.of("0", "5000", "10000")) {
      assertEquals(
          1L,
          server.count(
              "/fred/series/observations",
              q -> "DGS2".equals(q.get("series_id")) && offset.equals(q.get("offset"))),
          offset);
    }
    assertEquals(
        3L, server.count("/fred/series/observations", q -> "DGS2".equals(q.get("series_id"))));
    // every record names the request that produced it, without the key
    String origins =
        WarehouseDump.rows(live, "SELECT DISTINCT origin FROM observations WHERE source = 'fred'")
            .toString();
    assertThat(
        origins,
        containsString(
            "/fred/series/observations?series_id=DGS2&file_type=json"
                + "&limit=100000&offset=5000"));
    assertThat(origins, not(containsString(FRED_KEY)));
    // and every request carried the key
    assertEquals(6L, server.count("/fred/", q -> FRED_KEY.equals(q.get("api_key"))));
    // FRED: 2 metadata + 3 DGS2 pages + 1 PAYEMS page; then AV, Census, EDGAR, CoinDesk
    assertEquals(10L, run.httpRequests);
    assertEquals(0L, run.httpRetries);
  }

  @Test
  void incrementalRunsFetchOnlyWhatIsNew() throws IOException {
    server.fredSeries("DGS2", Path.of("testdata/fred/series_metadata_DGS2_2022-12-09.json"));
    server.fredObservations(
        "DGS2", Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json"), 5000);
    Path config =
        config(
            "fred",
            "{\"sources\":[{\"name\":\"fred\",\"type\":\"fred\","
                + "\"windows\":[\"P1M\"],\"series\":[\"DGS2\"],\"maxRequestsPerSecond\":50}]}");
    WarehouseSpec wh = warehouse("incremental");
    RunRecord first = run(config, wh, "inc-1");
    assertEquals(12138L, first.observationsLoaded);
    server.clearRequests();

    RunRecord second = run(config, wh, "inc-2");
    List<FakeApiServer.Recorded> obs =
        server.requests().stream()
            .filter(r -> r.path().equals("/fred/series/observations"))
            .collect(Collectors.toList());
    assertEquals(1, obs.size(), obs.toString());
    assertEquals("2022-12-09", obs.get(0).query().get("observation_start"));
    assertEquals(0L, second.recordsRead);
    assertEquals(12138L, WarehouseDump.count(wh, "SELECT count(*) FROM observations"));

    server.clearRequests();
    run(config, wh, "inc-3", "--fullRefetch=true");
    assertEquals(3L, server.count("/fred/series/observations"));
  }

  @Test
  void faultsAreRetriedRejectedAndLimitsHold() throws IOException {
    serveAllFive();
    server.fail(
        "/fred/series/observations",
        q -> "5000".equals(q.get("offset")),
        Fault.status(429),
        Fault.status(503));
    server.fail(
        "/fred/series",
        q -> "PAYEMS".equals(q.get("series_id")) && !q.containsKey("offset"),
        Fault.status(429).retryAfterSeconds(1));
    server.fail("/query", q -> "IBM".equals(q.get("symbol")), Fault.alphaVantageNote());
    server.fail("/v1/bpi/currentprice.json", Fault.stall(Duration.ofSeconds(3)));
    server.fail("/data/2012/acs5", Fault.status(500));
    // a symbol whose answer is always cut off, and one whose server is down for good
    server.alphaVantage(
        "TIME_SERIES_DAILY_ADJUSTED",
        "CUT",
        Path.of("testdata/alphavantage/TIME_SERIES_DAILY_ADJUSTED_IBM_compact_2023-03-24.json"));
    server.fail("/query", q -> "CUT".equals(q.get("symbol")), Fault.truncated());
    for (String symbol : List.of("HTML", "EMPTY")) {
      server.alphaVantage(
          "TIME_SERIES_DAILY_ADJUSTED",
          symbol,
          Path.of("testdata/alphavantage/TIME_SERIES_DAILY_ADJUSTED_IBM_compact_2023-03-24.json"));
    }
    server.fail(
        "/query",
        q -> "DOWN".equals(q.get("symbol")),
        Fault.status(503),
        Fault.status(503),
        Fault.status(503),
        Fault.status(503));
    // an HTML error page and an empty body, both with status 200
    server.fail(
        "/query",
        q -> "HTML".equals(q.get("symbol")),
        Fault.body(
            200,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>"));
    server.fail(
        "/query", q -> "EMPTY".equals(q.get("symbol")), Fault.body(200, "application/json", ""));
    String config =
        LIVE_ALL.replace(
            "\"symbols\":[\"IBM\"]", "\"symbols\":[\"IBM\",\"CUT\",\"DOWN\",\"HTML\",\"EMPTY\"]");

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream err = System.err;
    RunRecord run;
    WarehouseSpec wh = warehouse("faults");
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      run = run(config("faults", config), wh, "faults-1");
    } finally {
      System.setErr(err);
    }
    assertTrue(run.balanced(), run.accountingMessage());
    // DOWN failed for good: the run says so (issue 10 item 3) and names the URL, without the key
    assertEquals(RunRecord.INCOMPLETE, run.status, run.message);
    assertThat(run.message, containsString("symbol=DOWN"));
    // 2 FRED + 1 Retry-After + 1 Note + 1 stall + 1 Census 500 + 3 DOWN
    // + truncated, HTML and empty bodies with status 200, retried like 5xx = 12 retries
    assertEquals(12L, run.httpRetries);
    assertEquals(1L, run.httpFailures);
    List<String> rejects =
        WarehouseDump.rows(wh, "SELECT stage, reason FROM rejects ORDER BY stage, reason");
    assertEquals(1, rejects.size(), rejects.toString());
    assertThat(rejects.get(0), containsString("fetch | request failed: gave up after 4 attempts"));
    assertThat(rejects.get(0), containsString("HTTP 503"));
    // despite the faults, everything else loaded
    WarehouseSpec files = warehouse("files-for-faults");
    run(config("files", filesConfig()), files, "files-2");
    assertEquals(content(files), content(wh));
    // the limits of the FRED entry held across the run
    assertThat(server.maxRate("/fred/", Duration.ofSeconds(1)), lessThanOrEqualTo(22.0));
    // the Retry-After of 1 s was honoured
    List<FakeApiServer.Recorded> payems =
        server.requests().stream()
            .filter(
                r -> r.path().equals("/fred/series") && "PAYEMS".equals(r.query().get("series_id")))
            .collect(Collectors.toList());
    assertEquals(2, payems.size());
    assertThat(
        payems.get(1).startNanos() - payems.get(0).endNanos(),
        greaterThanOrEqualTo(Duration.ofMillis(950).toNanos()));
    assertNoKeyIn(dir, log.toString(StandardCharsets.UTF_8), wh);
  }

  @Test
  void concurrencyAndRateStayWithinTheConfiguredLimits() throws IOException {
    String[] series = {"DGS2", "PAYEMS", "UNRATE", "FEDFUNDS", "DGS10", "DCOILWTICO", "ICSA"};
    String[] files = {
      "DGS2_obs_asc_full_2022-12-09",
      "PAYEMS_obs_asc_from1999_vintage2023-07-18",
      "UNRATE_obs_asc_from2000_2025-11-20",
      "FEDFUNDS_obs_asc_full_2023-07-18",
      "DGS10_obs_desc_limit365_2025-11-27",
      "DCOILWTICO_obs_desc_limit60_2025-11-27",
      "ICSA_obs_desc_limit24_2025-11-27"
    };
    for (int i = 0; i < series.length; i++) {
      server.fredSeries(series[i], Path.of("testdata/fred/series_metadata_DGS2_2022-12-09.json"));
      server.fredObservations(series[i], Path.of("testdata/fred/" + files[i] + ".json"), 1000);
    }
    // slow answers, so that requests overlap and the concurrency bound is what stops them
    Fault[] slow = new Fault[12];
    Arrays.fill(slow, Fault.stall(Duration.ofMillis(400)));
    server.fail("/fred/series/observations", slow);
    Path config =
        config(
            "limits",
            "{\"sources\":[{\"name\":\"fred\",\"type\":\"fred\","
                + "\"windows\":[\"P1M\"],\"series\":"
                + Arrays.stream(series)
                    .map(s -> "\"" + s + "\"")
                    .collect(Collectors.joining(",", "[", "]"))
                + ",\"maxRequestsPerSecond\":12,\"maxConcurrentRequests\":3}]}");
    RunRecord run = run(config, warehouse("limits"), "limits-1");
    assertTrue(run.balanced(), run.accountingMessage());
    assertEquals(0L, run.recordsRejected);
    assertThat(server.count("/fred/"), greaterThan(25L));
    assertThat(server.maxConcurrent(), lessThanOrEqualTo(3));
    assertThat(server.maxConcurrent(), greaterThanOrEqualTo(2));
    // Starts are spaced 1/12 s apart: at most rate * window + 1 per window. The server sees
    // arrivals, and a thread woken late can arrive closer to its successor: one request of slack.
    assertThat(server.maxRate("/fred/", Duration.ofSeconds(1)), lessThanOrEqualTo(14.0));
    assertThat(server.maxRate("/fred/", Duration.ofSeconds(2)), lessThanOrEqualTo(13.0));
  }

  @Test
  void failOnSourceErrorFailsTheRunWithoutLeakingTheKey() throws IOException {
    serveAllFive();
    Fault[] down = new Fault[20];
    Arrays.fill(down, Fault.status(500));
    server.fail("/fred/series/observations", down);
    Exception e =
        assertThrows(
            Exception.class,
            () ->
                run(
                    config("fail", LIVE_ALL),
                    warehouse("fail"),
                    "fail-1",
                    "--failOnSourceError=true"));
    String all = stackText(e);
    assertThat(all, containsString("--failOnSourceError"));
    assertThat(all, containsString("HTTP 500"));
    assertThat(all, not(containsString(FRED_KEY)));
  }

  @Test
  void missingCredentialsAreClearErrorsBeforeAnythingRuns() throws IOException {
    Path fred =
        config(
            "nokey",
            "{\"sources\":[{\"name\":\"fred\",\"type\":\"fred\"," + "\"series\":[\"DGS2\"]}]}");
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(
                "--config=" + fred, "--warehouseUrl=jdbc:duckdb:" + dir.resolve("nokey.duckdb"))
            .as(TsLakeOptions.class);
    if (System.getenv("FRED_API_KEY") == null) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> TsLake.run(options));
      assertThat(e.getMessage(), containsString("FRED_API_KEY"));
    }
    Path edgar =
        config(
            "noua",
            "{\"sources\":[{\"name\":\"sec\",\"type\":\"edgar\"," + "\"ciks\":[\"1640147\"]}]}");
    TsLakeOptions noUa =
        PipelineOptionsFactory.fromArgs(
                "--config=" + edgar, "--warehouseUrl=jdbc:duckdb:" + dir.resolve("noua.duckdb"))
            .as(TsLakeOptions.class);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TsLake.run(noUa));
    assertThat(e.getMessage(), containsString("--edgarUserAgent"));
    new WarehouseSpec("jdbc:duckdb:" + dir.resolve("nokey.duckdb"), null, null).release();
    new WarehouseSpec("jdbc:duckdb:" + dir.resolve("noua.duckdb"), null, null).release();
  }

  private static String stackText(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c).append('\n');
    }
    return b.toString();
  }

  /** No key in any file under the test folder, in the log, or anywhere in the warehouse. */
  private static void assertNoKeyIn(Path root, String log, WarehouseSpec wh) throws IOException {
    List<String> keys = List.of(FRED_KEY, AV_KEY, CENSUS_KEY);
    for (String key : keys) {
      assertThat("log", log, not(containsString(key)));
    }
    assertThat("the log shows the retries", log, containsString("retry"));
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f :
          files
              .filter(Files::isRegularFile)
              .filter(f -> f.toString().endsWith(".csv"))
              .collect(Collectors.toList())) {
        String text = Files.readString(f);
        for (String key : keys) {
          assertThat(f.toString(), text, not(containsString(key)));
        }
      }
    }
    for (String table :
        List.of("observations", "rejects", "series", "pipeline_runs", "aggregates")) {
      String dump = String.join("\n", WarehouseDump.rows(wh, "SELECT * FROM " + table));
      for (String key : keys) {
        assertThat(table, dump, not(containsString(key)));
      }
    }
  }
}

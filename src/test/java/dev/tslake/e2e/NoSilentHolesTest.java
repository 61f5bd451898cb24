package dev.tslake.e2e;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.FakeApiServer;
import dev.tslake.testing.FakeApiServer.Fault;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 10 item 3: a FRED stand-in that caps pages at 1000 and fails requests; everything served
 * ends in observations, or the run is {@code incomplete} and the next run repairs the hole.
 */
@Tag("integration")
class NoSilentHolesTest {
  static final String KEY = "fredkey-0123456789abcdef0123456789abcdef";
  static final long DGS2_ROWS = 12138;
  static final Path OBS = Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json");
  static final Path META = Path.of("testdata/fred/series_metadata_DGS2_2022-12-09.json");

  @TempDir Path dir;
  FakeApiServer server;
  WarehouseSpec wh;

  @BeforeEach
  void start() {
    server = FakeApiServer.start();
    server.fredSeries("DGS2", META);
    server.fredObservations("DGS2", OBS, 1000);
    wh = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
  }

  @AfterEach
  void stop() {
    server.close();
    wh.release();
  }

  private Path config(String extra) throws IOException {
    Path p = dir.resolve("fred" + extra.hashCode() + ".json");
    Files.writeString(
        p,
        "{\"sources\":[{\"name\":\"fred\",\"type\":\"fred\",\"windows\":[\"P1M\"],"
            + "\"series\":[\"DGS2\"],\"maxRequestsPerSecond\":100"
            + extra
            + "}]}");
    return p;
  }

  private RunRecord run(Path config, String runId, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + dir.resolve("lake"),
                "--warehouseUrl=" + wh.url,
                "--runId=" + runId,
                "--ingestDate=2026-11-20",
                "--enforceImmutability=false",
                "--enforceEncodability=false",
                "--fredBaseUrl=" + server.baseUrl(),
                "--fredApiKey=" + KEY,
                "--httpBackoffMillis=20",
                "--httpTimeoutMillis=1500",
                "--httpMaxAttempts=2"));
    args.addAll(Arrays.asList(extra));
    return TsLake.run(
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
            .withValidation()
            .as(TsLakeOptions.class));
  }

  private long observations() {
    return WarehouseDump.count(wh, "SELECT count(*) FROM observations");
  }

  @Test
  void everyFourthRequestFailingOnceLosesNothingAndLookbackRefetches() throws IOException {
    server.failEveryNth(
        "/fred/",
        q -> true,
        4,
        Fault.status(429).retryAfterSeconds(1),
        Fault.status(503),
        Fault.truncated(),
        Fault.body(200, "text/html", "<html><body>502 Bad Gateway</body></html>"),
        Fault.body(200, "application/json", ""));
    RunRecord first = run(config(""), "holes-1");
    assertEquals(RunRecord.SUCCEEDED, first.status, first.message);
    assertEquals(DGS2_ROWS, first.observationsLoaded);
    assertEquals(DGS2_ROWS, observations());
    assertEquals(0L, WarehouseDump.count(wh, "SELECT count(*) FROM rejects"));
    assertEquals(
        List.of("fred | DGS2 | 2022-12-08 | holes-1"),
        WarehouseDump.rows(
            wh,
            "SELECT source, series_id, CAST(complete_through AS TEXT), run_id FROM fetch_state"));

    server.clearRequests();
    RunRecord second = run(config(",\"lookback\":\"P1M\""), "holes-2");
    assertEquals(RunRecord.SUCCEEDED, second.status, second.message);
    List<String> starts =
        server.requests().stream()
            .filter(r -> r.path().equals("/fred/series/observations"))
            .map(r -> r.query().get("observation_start"))
            .distinct()
            .toList();
    assertEquals(List.of("2022-11-09"), starts);
    assertEquals(DGS2_ROWS, observations());
  }

  static Predicate<Map<String, String>> at(String position) {
    switch (position) {
      case "metadata":
        return q -> !q.containsKey("offset");
      case "first":
        return q -> "0".equals(q.get("offset"));
      case "middle":
        return q -> "6000".equals(q.get("offset"));
      default:
        return q -> "12000".equals(q.get("offset"));
    }
  }

  static Fault fault(String kind) {
    switch (kind) {
      case "429":
        return Fault.status(429).retryAfterSeconds(0);
      case "503":
        return Fault.status(503);
      case "truncated":
        return Fault.truncated();
      case "html":
        return Fault.body(200, "text/html", "<html><body>upstream error</body></html>");
      case "huge":
        return Fault.huge(3_000_000);
      case "trickle":
        return Fault.trickle(Duration.ofMillis(100));
      default:
        return Fault.body(200, "application/json", "");
    }
  }

  @ParameterizedTest
  @CsvSource({
    "metadata, 503",
    "first, truncated",
    "middle, html",
    "last, empty",
    "middle, 429",
    "first, huge",
    "last, trickle"
  })
  void aRequestThatFailsForGoodEndsIncompleteAndTheNextRunRepairs(String position, String kind)
      throws IOException {
    server.fail("/fred/series", at(position), fault(kind), fault(kind));
    Path config = config("");
    RunRecord first = run(config, "hole-1", "--httpMaxResponseBytes=2000000");
    assertEquals(RunRecord.INCOMPLETE, first.status, first.message);
    assertEquals(TsLake.EXIT_INCOMPLETE, TsLake.exitCode(first));
    assertThat(first.message, containsString(server.baseUrl() + "/fred/series"));
    assertThat(first.message, not(containsString(KEY)));
    List<String> rejects = WarehouseDump.rows(wh, "SELECT origin, reason FROM rejects");
    assertEquals(1, rejects.size(), rejects.toString());
    assertThat(rejects.get(0), containsString("request failed"));
    assertThat(String.join("\n", rejects), not(containsString(KEY)));
    assertEquals(
        List.of("hole-1 | incomplete"),
        WarehouseDump.rows(wh, "SELECT run_id, status FROM pipeline_runs"));

    RunRecord second = run(config, "hole-2", "--httpMaxResponseBytes=2000000");
    assertEquals(RunRecord.SUCCEEDED, second.status, second.message);
    assertEquals(DGS2_ROWS, observations());
    assertEquals(
        List.of(
            "Market Yield on U.S. Treasury Securities at 2-Year Constant Maturity, Quoted on an Investment Basis"),
        WarehouseDump.rows(wh, "SELECT title FROM series"));
    // the first run's reject stays: rejects keep their history
    assertEquals(1L, WarehouseDump.count(wh, "SELECT count(*) FROM rejects"));
  }
}

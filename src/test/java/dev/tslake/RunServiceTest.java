package dev.tslake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.testing.AggregatesInvariant;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run service: one JVM, several runs over HTTP, each what {@code TsLake} would do with the same
 * options. Real data (the Bitstamp daily candles under testdata/, cut in two), a real PostgreSQL.
 */
@Tag("integration")
class RunServiceTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("runservice");

  private final HttpClient http = HttpClient.newHttpClient();

  /** Bitstamp's banner and header, then the first 400 data lines that {@code keep} selects. */
  private Path bitstampPart(Path folder, String name, Predicate<String> keep) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(lines.subList(0, 2));
    for (String line : lines.subList(2, 2 + 400)) {
      if (keep.test(line)) {
        out.add(line);
      }
    }
    Files.createDirectories(folder);
    Path p = folder.resolve(name);
    Files.write(p, out, StandardCharsets.UTF_8);
    return p;
  }

  private static int day(String line) {
    return Integer.parseInt(line.split(",")[1].substring(8, 10));
  }

  private Path config(String name, String glob) throws IOException {
    Path p = dir.resolve(name + ".json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1W\","
            + " \"P1M\"], \"files\": [\""
            + glob
            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\": [\"open\","
            + " \"close\"]}]}");
    return p;
  }

  private String[] args(WarehouseSpec wh, Path config, Path lake, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + lake,
                "--warehouseUrl=" + wh.url,
                "--warehouseUser=" + PostgresSupport.user(),
                "--warehousePassword=" + PostgresSupport.password(),
                "--servicePort=0"));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }

  private HttpResponse<String> post(RunService s) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/runs"))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode health(RunService s) throws Exception {
    return JSON.readTree(
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/health"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  /** The warehouse equals what one DirectRunner run over every file of {@code in} stores. */
  private void assertSameAsOneRunOver(Path in, WarehouseSpec wh) throws IOException {
    WarehouseSpec once = warehouses.of("postgres", "once");
    BatchRuns.run(
        once, dir.resolve("lake-once"), config("once", in + "/*.csv"), "once", "2026-01-01");
    assertEquals(WarehouseDump.observations(once), WarehouseDump.observations(wh));
    assertEquals(WarehouseDump.aggregates(once), WarehouseDump.aggregates(wh));
  }

  @Test
  void runsAfterRunsInOneJvmEqualOneRunOverEverything() throws Exception {
    Path in = dir.resolve("in");
    bitstampPart(in, "a-first-half.csv", l -> day(l) <= 15);
    WarehouseSpec wh = warehouses.postgres();
    try (RunService service =
        RunService.start(args(wh, config("svc", in + "/*.csv"), dir.resolve("lake")))) {
      assertEquals(-1, service.sharedClusterJobs()); // the DirectRunner: no Flink cluster
      JsonNode idle = health(service);
      assertEquals("idle", idle.get("state").asText());
      assertEquals(0, idle.get("runs").asLong());

      HttpResponse<String> first = post(service);
      assertEquals(200, first.statusCode(), first.body());
      JsonNode r1 = JSON.readTree(first.body());
      assertEquals("succeeded", r1.get("status").asText(), first.body());
      assertEquals(0, r1.get("exit_code").asInt());
      assertTrue(r1.get("observations_loaded").asLong() > 0, first.body());
      assertEquals(
          r1.get("records_read").asLong(),
          r1.get("records_rejected").asLong()
              + r1.get("observations_loaded").asLong()
              + r1.get("duplicates_superseded").asLong(),
          first.body());
      assertFalse(first.body().contains(PostgresSupport.password()), first.body());

      // the next increment lands: a second file in the watched folder, then a second run
      bitstampPart(in, "b-second-half.csv", l -> day(l) > 15);
      HttpResponse<String> second = post(service);
      assertEquals(200, second.statusCode(), second.body());
      JsonNode r2 = JSON.readTree(second.body());
      assertNotEquals(r1.get("run_id").asText(), r2.get("run_id").asText());
      assertTrue(r2.get("observations_loaded").asLong() > 0, second.body());

      JsonNode after = health(service);
      assertEquals(2, after.get("runs").asLong());
      assertEquals(r2.get("run_id").asText(), after.get("last").get("run_id").asText());

      // pipeline_runs has both runs, as the service answered them
      List<String> runs =
          WarehouseDump.rows(
              wh, "SELECT run_id, status, records_read FROM pipeline_runs ORDER BY started_at");
      assertEquals(
          List.of(
              r1.get("run_id").asText() + " | succeeded | " + r1.get("records_read").asLong(),
              r2.get("run_id").asText() + " | succeeded | " + r2.get("records_read").asLong()),
          runs);
    }
    assertTrue(
        AggregatesInvariant.violations(wh, Map.of("bitstamp", List.of("P1W", "P1M"))).isEmpty());
    assertSameAsOneRunOver(in, wh);
  }

  @Test
  void onFlinkTheRunsShareOneMiniClusterAndStoreWhatTheDirectRunnerStores() throws Exception {
    Path in = dir.resolve("in");
    bitstampPart(in, "a-first-half.csv", l -> day(l) <= 15);
    WarehouseSpec wh = warehouses.postgres();
    try (RunService service =
        RunService.start(
            args(
                wh,
                config("svc", in + "/*.csv"),
                dir.resolve("lake"),
                "--runner=FlinkRunner",
                "--parallelism=2"))) {
      assertEquals(0, service.sharedClusterJobs());
      HttpResponse<String> first = post(service);
      assertEquals(200, first.statusCode(), first.body());
      bitstampPart(in, "b-second-half.csv", l -> day(l) > 15);
      HttpResponse<String> second = post(service);
      assertEquals(200, second.statusCode(), second.body());
      assertEquals(2, service.sharedClusterJobs());
    }
    assertSameAsOneRunOver(in, wh);
  }

  @Test
  void onFlinkTheServiceRunsWhileAnotherProcessHoldsFlinksRestPort() throws Exception {
    Path in = dir.resolve("in");
    Path file = bitstampPart(in, "part.csv", l -> day(l) <= 5);
    WarehouseSpec wh = warehouses.postgres();
    // Flink's default REST port, as a session cluster or a second service on the machine holds it
    java.net.ServerSocket held = null;
    try {
      held = new java.net.ServerSocket(8081, 1, java.net.InetAddress.getLoopbackAddress());
    } catch (java.net.BindException alreadyHeld) {
      // held by another process: the same situation
    }
    try (RunService service =
        RunService.start(
            args(
                wh, config("svc", file.toString()), dir.resolve("lake"), "--runner=FlinkRunner"))) {
      HttpResponse<String> run = post(service);
      assertEquals(200, run.statusCode(), run.body());
      assertEquals(1, service.sharedClusterJobs());
    } finally {
      if (held != null) {
        held.close();
      }
    }
  }

  @Test
  void aFailedRunAnswers500AndTheServiceGoesOn() throws Exception {
    Path in = dir.resolve("in");
    Path file = bitstampPart(in, "part.csv", l -> day(l) <= 10);
    WarehouseSpec wh = warehouses.postgres();
    try (RunService service =
        RunService.start(args(wh, config("svc", file.toString()), dir.resolve("lake")))) {
      Path aside = dir.resolve("aside.csv");
      Files.move(file, aside);
      HttpResponse<String> failed = post(service);
      assertEquals(500, failed.statusCode(), failed.body());
      JsonNode f = JSON.readTree(failed.body());
      assertEquals("failed", f.get("status").asText());
      assertEquals(TsLake.EXIT_FAILED, f.get("exit_code").asInt());
      assertTrue(f.get("message").asText().contains("part.csv"), failed.body());
      assertFalse(failed.body().contains(PostgresSupport.password()), failed.body());

      Files.move(aside, file);
      HttpResponse<String> ok = post(service);
      assertEquals(200, ok.statusCode(), ok.body());
      List<String> statuses =
          WarehouseDump.rows(wh, "SELECT status FROM pipeline_runs ORDER BY started_at");
      assertEquals(List.of("failed", "succeeded"), statuses);
    }
  }

  @Test
  void aRequestWhileARunGoesOnIsRefused() throws Exception {
    Path in = dir.resolve("in");
    Path file = bitstampPart(in, "part.csv", l -> day(l) <= 3);
    WarehouseSpec wh = warehouses.postgres();
    try (RunService service =
        RunService.start(args(wh, config("svc", file.toString()), dir.resolve("lake")))) {
      assertTrue(service.tryBegin("a-run-in-progress"));
      try {
        HttpResponse<String> refused = post(service);
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("a-run-in-progress"), refused.body());
        assertEquals("running", health(service).get("state").asText());
      } finally {
        service.end();
      }
      assertEquals(200, post(service).statusCode());
    }
  }

  @Test
  void closingWaitsForTheRunInProgress() throws Exception {
    Path in = dir.resolve("in");
    Path file = bitstampPart(in, "part.csv", l -> day(l) <= 3);
    WarehouseSpec wh = warehouses.postgres();
    RunService service =
        RunService.start(args(wh, config("svc", file.toString()), dir.resolve("lake")));
    assertTrue(service.tryBegin("a-run-in-progress"));
    Thread closing = new Thread(service::close, "closing");
    closing.start();
    closing.join(1_000);
    assertTrue(closing.isAlive(), "close() returned while a run was in progress");
    assertEquals(409, post(service).statusCode());
    service.end();
    closing.join(60_000);
    assertFalse(closing.isAlive(), "close() did not return after the run ended");
  }

  @Test
  void optionsAreCheckedAtStart() {
    WarehouseSpec wh = warehouses.postgres();
    Path cfg = dir.resolve("missing.json");
    assertThrows(
        IllegalArgumentException.class,
        () -> RunService.start(args(wh, cfg, dir.resolve("lake"), "--runId=fixed")));
    assertThrows(
        IllegalArgumentException.class,
        () -> RunService.start(args(wh, cfg, dir.resolve("lake"), "--streaming=true")));
    assertThrows(
        RuntimeException.class, () -> RunService.start(args(wh, cfg, dir.resolve("lake"))));
  }
}

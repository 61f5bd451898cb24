package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.AggregatesInvariant;
import dev.tslake.testing.FakeApiServer;
import dev.tslake.testing.FreePorts;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The default job on a real Flink 1.19 session cluster (a JobManager and a TaskManager JVM started
 * by {@code runners/flink/start-cluster.sh}), submitted as the bundled jar from a separate launcher
 * process ({@code runners/flink/submit.sh}), must leave exactly the warehouse the DirectRunner
 * leaves. Run by maven-failsafe in {@code mvn verify}, after {@code package} built the jar.
 *
 * <p>Both runs write PostgreSQL (fresh schemas): an embedded DuckDB file would be held open by the
 * TaskManager JVM. Without a server this test is skipped locally and fails under CI=true.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlinkClusterIT {
  private static final String CONFIG = "testdata/tslake.json";
  private static final String INGEST_DATE = "2026-11-20";
  private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);
  // long enough on a loaded machine: the launcher builds the graph (the sources start) a minute or
  // more before the job's tasks run, and the kill needs a checkpoint after before.csv plus 20 s
  private static final Duration STOP_AFTER = Duration.ofMinutes(5);

  private final Path root = Path.of("").toAbsolutePath();
  private final Path workDir = root.resolve("target/flink-cluster/it");
  private final String token = UUID.randomUUID().toString().substring(0, 8);
  private final String jobName = "tslake-flink-it-" + token;
  private final ObjectMapper json = new ObjectMapper();
  private Map<String, String> clusterEnv;
  private boolean clusterStarted;
  private int restPort;
  private PostgresSupport.TestSchema clusterSchema;
  private PostgresSupport.TestSchema directSchema;
  private PostgresSupport.TestSchema continuousSchema;

  @BeforeAll
  void startCluster() throws Exception {
    PostgresSupport.requireServer();
    bundledJar(); // fail early, with the reason, if `package` did not run
    Files.createDirectories(workDir);
    clusterStarted = true; // from here on, @AfterAll stops whatever was started
    // a port is chosen before the JobManager binds it, so another process can take it in between:
    // on that one failure (and only that one) stop what started and try again with new ports
    for (int attempt = 1; ; attempt++) {
      restPort = freePort();
      clusterEnv =
          Map.of(
              "FLINK_REST_PORT", Integer.toString(restPort),
              "FLINK_RPC_PORT", Integer.toString(freePort()),
              "FLINK_CLUSTER_DIR", workDir.resolve("cluster").toString());
      try {
        run("start-cluster", START_TIMEOUT, List.of(script("start-cluster.sh")));
        break;
      } catch (AssertionError failed) {
        if (attempt == 3 || !String.valueOf(failed.getMessage()).contains("BindException")) {
          throw failed;
        }
        System.err.println("[FlinkClusterIT] port taken, starting again: " + failed.getMessage());
        run("stop-cluster", Duration.ofMinutes(1), List.of(script("stop-cluster.sh")));
      }
    }
    clusterSchema = PostgresSupport.freshSchema("flink_cluster");
    directSchema = PostgresSupport.freshSchema("flink_direct");
    continuousSchema = PostgresSupport.freshSchema("flink_continuous");
  }

  @AfterAll
  void stopCluster() throws Exception {
    try {
      if (clusterStarted) {
        run("stop-cluster", Duration.ofMinutes(1), List.of(script("stop-cluster.sh")));
        // no JobManager or TaskManager of this cluster (a replacement included) may outlive it
        String conf = workDir.resolve("cluster/conf").toString();
        List<ProcessHandle> left =
            ProcessHandle.allProcesses()
                .filter(ph -> ph.info().commandLine().orElse("").contains(conf))
                .toList();
        left.forEach(ProcessHandle::destroyForcibly);
        assertEquals(
            List.of(),
            left.stream().map(ph -> ph.pid() + " " + ph.info().command().orElse("")).toList(),
            "cluster JVMs still running after stop-cluster.sh");
      }
    } finally {
      if (clusterSchema != null) {
        clusterSchema.close();
      }
      if (directSchema != null) {
        directSchema.close();
      }
      if (continuousSchema != null) {
        continuousSchema.close();
      }
    }
  }

  @Test
  void defaultJobOnTheClusterLeavesTheWarehouseTheDirectRunnerLeaves() throws Exception {
    String clusterRunId = "flink-cluster-" + token;
    List<String> submit = new ArrayList<>(List.of(script("submit.sh")));
    submit.addAll(jobArgs(workDir.resolve("lake-cluster"), clusterSchema.url(), clusterRunId));
    submit.add("--jobName=" + jobName);
    // the options the benchmark runs Flink with: they must not change a single row
    submit.add("--parallelism=2");
    submit.add("--objectReuse=true");
    submit.add("--dedupShards=0");
    long t0 = System.nanoTime();
    String output = run("submit", JOB_TIMEOUT, submit);
    System.out.printf("job on the Flink cluster took %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertTrue(
        output.contains("tslake run " + clusterRunId + " (FlinkRunner"),
        "the launcher should print the run summary:\n" + tail(output));

    JsonNode job = jobOverview(jobName);
    assertEquals(
        "FINISHED", job.path("state").asText(), "job " + jobName + " on the cluster: " + job);
    assertTrue(job.path("tasks").path("failed").asInt() == 0, "failed tasks: " + job);

    t0 = System.nanoTime();
    List<String> args =
        jobArgs(workDir.resolve("lake-direct"), directSchema.url(), "flink-direct-" + token);
    args.add("--enforceImmutability=false");
    args.add("--enforceEncodability=false");
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
            .withValidation()
            .as(TsLakeOptions.class);
    RunRecord direct = TsLake.run(options);
    System.out.printf("same job on the DirectRunner took %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertEquals("DirectRunner", direct.runner);

    WarehouseSpec onCluster =
        new WarehouseSpec(clusterSchema.url(), PostgresSupport.user(), PostgresSupport.password());
    WarehouseSpec onDirect =
        new WarehouseSpec(directSchema.url(), PostgresSupport.user(), PostgresSupport.password());
    assertEquals(
        List.of("FlinkRunner"),
        WarehouseDump.rows(
            onCluster, "SELECT runner FROM pipeline_runs WHERE run_id = '" + clusterRunId + "'"));
    List<String> observations = WarehouseDump.observations(onDirect);
    List<String> aggregates = WarehouseDump.aggregates(onDirect);
    assertFalse(observations.isEmpty(), "the DirectRunner run loaded no observations");
    assertFalse(aggregates.isEmpty(), "the DirectRunner run loaded no aggregates");
    assertSameRows("observations", observations, WarehouseDump.observations(onCluster));
    assertSameRows("aggregates", aggregates, WarehouseDump.aggregates(onCluster));
  }

  /**
   * Issue 11: a continuous job (FRED growing series, a moving CoinDesk price, a watched folder;
   * checkpoints every 2 s) on the session cluster; once a file dropped before the kill is stored
   * and a checkpoint completed after that, with >= 20 s of the run left, the TaskManager is killed
   * with SIGKILL and a replacement started by start-cluster.sh --taskmanager; a second file lands
   * after the kill. The job must go RUNNING -> RESTARTING, restore and drain; what a restore keeps
   * and what it may lose (the current price during the outage) is in docs/running.md, "Continuous
   * runs on Flink", and asserted here exactly as written there.
   */
  @Test
  void continuousJobSurvivesAKilledTaskManager() throws Exception {
    try (FakeApiServer server = FakeApiServer.start()) {
      FakeApiServer.Moving fred =
          server.growingFredSeries("GROW", LocalDate.parse("2026-01-01"), 3, 1);
      FakeApiServer.Moving btc =
          server.movingCoinDesk(Instant.now().truncatedTo(ChronoUnit.SECONDS));
      Path watched = Files.createDirectories(workDir.resolve("incoming-" + token));
      Path config = workDir.resolve("continuous.json");
      Files.writeString(config, FakeApiServer.continuousConfig(watched, "P1M"));
      String runId = "flink-continuous-" + token;
      String name = jobName + "-continuous";
      List<String> submit = new ArrayList<>(List.of(script("submit.sh")));
      submit.addAll(jobArgs(workDir.resolve("lake-continuous"), continuousSchema.url(), runId));
      submit.set(1, "--config=" + config);
      submit.removeIf(a -> a.startsWith("--ingestDate="));
      Files.writeString(
          workDir.resolve("secrets.properties"),
          "fredApiKey=continuous-it-key\n",
          java.nio.file.StandardOpenOption.APPEND);
      submit.addAll(
          List.of(
              "--jobName=" + name,
              "--streaming=true",
              "--stopAfter=" + STOP_AFTER,
              "--earlyFiringPeriod=PT1S",
              "--allowedLateness=PT5S",
              "--runUpdatePeriod=PT1S",
              "--fredBaseUrl=" + server.baseUrl(),
              "--coindeskBaseUrl=" + server.baseUrl(),
              "--parallelism=2",
              "--checkpointingInterval=2000",
              "--shutdownSourcesAfterIdleMs=1000",
              "--numberOfExecutionRetries=5",
              "--executionRetryDelay=" + RESTART_DELAY.toMillis(),
              "--stateBackend=filesystem",
              "--stateBackendStoragePath=" + workDir.resolve("checkpoints").toUri()));
      Path log = workDir.resolve("submit-continuous.log");
      ProcessBuilder pb =
          new ProcessBuilder(submit)
              .directory(root.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().putAll(clusterEnv);
      pb.environment().put("FLINK_MASTER", "127.0.0.1:" + restPort);
      Instant launched = Instant.now();
      Process launcher = pb.start();
      String jid;
      Instant checkpointBeforeKill;
      Instant outageEnd;
      try {
        jid = waitForJob(name, launcher, log);
        // a file lands before the kill; wait until it is stored and a checkpoint has completed
        // after that (so the restored job has it in its state)
        dropFile(watched, "before.csv", LocalDate.parse("2025-01-01"));
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        long lastPrint = 0;
        WarehouseSpec wh0 =
            new WarehouseSpec(
                continuousSchema.url(), PostgresSupport.user(), PostgresSupport.password());
        Instant storedAt = null;
        while (true) {
          if (storedAt == null && dropsStored(wh0) >= FILE_ROWS) {
            storedAt = Instant.now();
          }
          Instant latest = latestCompletedTrigger(jid);
          if (storedAt != null && latest != null && latest.isAfter(storedAt)) {
            checkpointBeforeKill = latest;
            break;
          }
          if (System.nanoTime() - lastPrint > 5_000_000_000L) {
            lastPrint = System.nanoTime();
            System.out.println("[kill-it] " + checkpointDiagnosis(jid));
          }
          assertTrue(launcher.isAlive(), "the launcher ended early:\n" + tail(read(log)));
          assertTrue(
              System.nanoTime() < deadline,
              "before.csv stored at "
                  + storedAt
                  + ", but no checkpoint completed after it: "
                  + checkpointDiagnosis(jid));
          Thread.sleep(500);
        }
        System.out.println("[kill-it] before the kill: " + checkpointDiagnosis(jid));
        // the sources end STOP_AFTER after their first tick, which is after the launcher built the
        // graph: >= 20 s left by this lower bound
        Duration left = Duration.between(Instant.now(), launched.plus(STOP_AFTER));
        assertTrue(
            left.compareTo(Duration.ofSeconds(20)) >= 0,
            "only " + left + " of the run left at the kill: it would not land mid-run");

        Path tmPid = workDir.resolve("cluster/taskmanager.pid");
        long pid = Long.parseLong(Files.readString(tmPid).trim());
        ProcessHandle tm = ProcessHandle.of(pid).orElseThrow();
        Instant killSent = Instant.now();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start().waitFor();
        tm.onExit().get(60, TimeUnit.SECONDS);
        // The outage ends when the restarted attempt can first poll: not before the TaskManager is
        // gone (seen here, after the fact) plus the restart delay (--executionRetryDelay). A poll
        // answered before that came from the killed attempt (sent before it died, or while the
        // kill was on its way) and may be lost; taking the time before the kill counted such a
        // poll as one the restored job must have stored (CI, stop 20).
        Instant gone = Instant.now();
        outageEnd = gone.plus(RESTART_DELAY);
        System.out.printf(
            "[kill-it] kill -9 TaskManager %d sent %s, gone %s (%s of the run left; last"
                + " completed checkpoint triggered %s); outage until %s%n",
            pid, killSent, gone, left, checkpointBeforeKill, outageEnd);
        run(
            "start-taskmanager",
            START_TIMEOUT,
            List.of(script("start-cluster.sh"), "--taskmanager"));
        dropFile(watched, "after.csv", LocalDate.parse("2025-06-01"));

        assertTrue(
            launcher.waitFor(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS),
            "the continuous job did not end:\n" + tail(read(log)));
        assertEquals(0, launcher.exitValue(), "launcher:\n" + tail(read(log)));
      } finally {
        launcher.destroyForcibly();
      }
      JsonNode job = jobOverview(name);
      assertEquals("FINISHED", job.path("state").asText(), job.toString());
      String jmLog = read(workDir.resolve("cluster/log/jobmanager.log"));
      assertTrue(
          jmLog.contains("(" + jid + ") switched from state RUNNING to RESTARTING"),
          "the job should have restarted after the kill: " + job);
      JsonNode counts = get("/jobs/" + jid + "/checkpoints").path("counts");
      assertTrue(counts.path("restored").asInt() >= 1, "restored from a checkpoint: " + counts);

      WarehouseSpec wh =
          new WarehouseSpec(
              continuousSchema.url(), PostgresSupport.user(), PostgresSupport.password());
      // FRED: every date served is stored, once (what the outage served is served again)
      List<String> fredStored =
          WarehouseDump.rows(
              wh,
              "SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM observations"
                  + " WHERE source = 'fred' ORDER BY ts");
      List<String> fredDates =
          fred.served().stream().flatMap(List::stream).sorted().distinct().toList();
      assertEquals(fredDates, fredStored);

      // btc: a current price, no history. Stored at most once each; every price served outside
      // the outage (last completed checkpoint before the kill .. kill; after the kill only the
      // restored job polls) is stored; one served inside it may be lost (docs/running.md)
      List<String> btcStored =
          WarehouseDump.rows(
              wh,
              "SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                  + " FROM observations WHERE source = 'btc' ORDER BY ts");
      assertEquals(btcStored.size(), new HashSet<>(btcStored).size(), "btc stored twice");
      List<List<String>> btcServed = btc.served();
      List<Instant> btcAt = btc.servedAt();
      List<String> mustHave = new ArrayList<>();
      List<String> mayLack = new ArrayList<>();
      for (int i = 0; i < btcServed.size(); i++) {
        boolean outage =
            !btcAt.get(i).isBefore(checkpointBeforeKill) && !btcAt.get(i).isAfter(outageEnd);
        (outage ? mayLack : mustHave).add(btcServed.get(i).get(0));
      }
      List<String> missing = new ArrayList<>(mustHave);
      missing.removeAll(btcStored);
      assertEquals(List.of(), missing, "btc prices served outside the outage, not stored");
      List<String> unknown = new ArrayList<>(btcStored);
      unknown.removeAll(mustHave);
      unknown.removeAll(mayLack);
      assertEquals(List.of(), unknown, "btc prices stored but never served");
      long afterKill = btcAt.stream().filter(t -> t.isAfter(outageEnd)).count();
      assertTrue(
          afterKill >= 3, "the restored job polled btc " + afterKill + " times after the outage");

      // each watched file, before and after the kill, stored
      assertEquals(2L * FILE_ROWS, dropsStored(wh), "rows of before.csv and after.csv");

      List<String> violations =
          AggregatesInvariant.violations(
              wh,
              Map.of(
                  "btc", List.of("PT1M", "PT1H"), "fred", List.of("P1M"), "drops", List.of("P1M")));
      assertEquals(List.of(), violations);

      // the run's row: succeeded, balanced; records_read counts what the restored job's state
      // holds: everything served outside the outage and each file once, at most what was served
      RunRecord row = RunRecord.read(wh, runId);
      assertEquals(RunRecord.SUCCEEDED, row.status, row.summary());
      assertTrue(row.balanced(), row.accountingMessage());
      long outside = 2L * FILE_ROWS;
      long all = 2L * FILE_ROWS;
      for (FakeApiServer.Moving m : List.of(fred, btc)) {
        List<List<String>> served = m.served();
        List<Instant> at = m.servedAt();
        for (int i = 0; i < served.size(); i++) {
          all += served.get(i).size();
          if (at.get(i).isBefore(checkpointBeforeKill) || at.get(i).isAfter(outageEnd)) {
            outside += served.get(i).size();
          }
        }
      }
      long slack = all - outside;
      System.out.printf(
          "[kill-it] run %s; records served outside the outage %d, inside %d; stored fred %d,"
              + " btc %d (%d served in the outage, %d of them stored)%n",
          row.summary(),
          outside,
          slack,
          fredStored.size(),
          btcStored.size(),
          mayLack.size(),
          mayLack.stream().filter(btcStored::contains).count());
      // a file read twice would add FILE_ROWS: more than the outage's slack, so it would show
      assertTrue(slack < FILE_ROWS, "outage slack " + slack + " hides a file read twice");
      assertTrue(
          row.recordsRead >= outside && row.recordsRead <= all,
          row.summary() + ": records_read outside [" + outside + ", " + all + "]");
    }
  }

  private static final int FILE_ROWS = 300;

  /** Flink's fixed delay before a failed job's restart, and so before its first poll. */
  private static final Duration RESTART_DELAY = Duration.ofSeconds(2);

  /** Writes FILE_ROWS daily rows from {@code first} into the watched folder, atomically. */
  private void dropFile(Path watched, String name, LocalDate first) throws IOException {
    StringBuilder csv = new StringBuilder("ts,series,value\n");
    for (int i = 0; i < FILE_ROWS; i++) {
      csv.append(first.plusDays(i))
          .append(" 00:00:00,")
          .append(name.replace(".csv", ""))
          .append(',')
          .append(i)
          .append('\n');
    }
    Path tmp = watched.resolveSibling(name + ".tmp");
    Files.writeString(tmp, csv.toString());
    Files.move(tmp, watched.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static long dropsStored(WarehouseSpec wh) {
    try {
      return Long.parseLong(
          WarehouseDump.rows(wh, "SELECT count(*) FROM observations WHERE source = 'drops'")
              .get(0));
    } catch (Exception | AssertionError e) {
      return 0; // no table yet
    }
  }

  /** When the job's latest completed checkpoint was triggered, or null if none completed. */
  private Instant latestCompletedTrigger(String jid) throws Exception {
    JsonNode c = get("/jobs/" + jid + "/checkpoints").path("latest").path("completed");
    return c.isMissingNode() || c.isNull()
        ? null
        : Instant.ofEpochMilli(c.path("trigger_timestamp").asLong());
  }

  private String checkpointDiagnosis(String jid) throws Exception {
    JsonNode cps = get("/jobs/" + jid + "/checkpoints");
    StringBuilder b = new StringBuilder();
    b.append(Instant.now()).append(" counts=").append(cps.path("counts"));
    b.append(" latestFailed=").append(cps.path("latest").path("failed").path("failure_message"));
    JsonNode hist = cps.path("history");
    if (hist.size() > 0) {
      b.append(" last=")
          .append(hist.get(0).path("status"))
          .append("/")
          .append(hist.get(0).path("num_acknowledged_subtasks"))
          .append("of")
          .append(hist.get(0).path("num_subtasks"));
    }
    JsonNode job = get("/jobs/" + jid);
    b.append(" vertices:");
    for (JsonNode v : job.path("vertices")) {
      b.append(" [")
          .append(
              v.path("name").asText().replaceAll("\\s+", " "),
              0,
              Math.min(60, v.path("name").asText().length()))
          .append(" ")
          .append(v.path("status").asText())
          .append(" ")
          .append(v.path("tasks"))
          .append("]");
    }
    return b.toString();
  }

  private String waitForJob(String name, Process launcher, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    while (true) {
      for (JsonNode job : get("/jobs/overview").path("jobs")) {
        if (name.equals(job.path("name").asText())
            && "RUNNING".equals(job.path("state").asText())) {
          return job.path("jid").asText();
        }
      }
      assertTrue(launcher.isAlive(), "the launcher ended before the job ran:\n" + tail(read(log)));
      assertTrue(System.nanoTime() < deadline, "job " + name + " never ran:\n" + tail(read(log)));
      Thread.sleep(500);
    }
  }

  private long completedCheckpoints(String jid) throws Exception {
    return get("/jobs/" + jid + "/checkpoints").path("counts").path("completed").asLong();
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), path + ": " + response.body());
    return json.readTree(response.body());
  }

  /**
   * The job's options. The password goes in a secrets file the TaskManager reads when it connects:
   * a password on the command line stays in the launching JVM, and the cluster runs elsewhere.
   */
  private List<String> jobArgs(Path lake, String warehouseUrl, String runId) throws IOException {
    Path secrets = workDir.resolve("secrets.properties");
    Files.writeString(secrets, "warehousePassword=" + PostgresSupport.password() + "\n");
    return new ArrayList<>(
        List.of(
            "--config=" + CONFIG,
            "--lake=" + lake,
            "--warehouseUrl=" + warehouseUrl,
            "--warehouseUser=" + PostgresSupport.user(),
            "--secretsFile=" + secrets.toAbsolutePath(),
            "--runId=" + runId,
            "--ingestDate=" + INGEST_DATE));
  }

  private static void assertSameRows(String table, List<String> expected, List<String> actual) {
    if (expected.equals(actual)) {
      return;
    }
    List<String> missing = new ArrayList<>(expected);
    missing.removeAll(actual);
    List<String> extra = new ArrayList<>(actual);
    extra.removeAll(expected);
    fail(
        table
            + " differ: DirectRunner "
            + expected.size()
            + " rows, Flink cluster "
            + actual.size()
            + " rows; only in DirectRunner (first 5): "
            + missing.subList(0, Math.min(5, missing.size()))
            + "; only on the cluster (first 5): "
            + extra.subList(0, Math.min(5, extra.size())));
  }

  /** The job's entry in the cluster's {@code GET /jobs/overview}. */
  private JsonNode jobOverview(String name) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + "/jobs/overview"))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    for (JsonNode job : json.readTree(response.body()).path("jobs")) {
      if (name.equals(job.path("name").asText())) {
        return job;
      }
    }
    return fail("no job named " + name + " in /jobs/overview: " + response.body());
  }

  private Path bundledJar() throws IOException {
    try (Stream<Path> files = Files.list(root.resolve("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("tslake-.*-bundled\\.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new AssertionError(
                      "no target/tslake-*-bundled.jar: this test runs"
                          + " in `mvn verify` after `package` (maven-shade) built it"));
    }
  }

  private String script(String name) {
    return root.resolve("runners/flink").resolve(name).toString();
  }

  /** Runs a command with the cluster's environment; its output goes to a log file and back. */
  private String run(String what, Duration timeout, List<String> command)
      throws IOException, InterruptedException {
    Path log = workDir.resolve(what + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(clusterEnv);
    pb.environment().put("FLINK_MASTER", "127.0.0.1:" + restPort);
    Process process = pb.start();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail(what + " did not finish within " + timeout + "; " + log + ":\n" + tail(read(log)));
    }
    String output = read(log);
    if (process.exitValue() != 0) {
      fail(
          what
              + " exited with "
              + process.exitValue()
              + " ("
              + String.join(" ", command)
              + "); "
              + log
              + ":\n"
              + tail(output));
    }
    return output;
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
  }

  private static String tail(String text) {
    String[] lines = text.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 60), lines.length));
  }

  private static int freePort() {
    return FreePorts.pick();
  }
}

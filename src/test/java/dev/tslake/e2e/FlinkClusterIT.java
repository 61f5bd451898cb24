package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

  @BeforeAll
  void startCluster() throws Exception {
    PostgresSupport.requireServer();
    bundledJar(); // fail early, with the reason, if `package` did not run
    Files.createDirectories(workDir);
    restPort = freePort();
    clusterEnv =
        Map.of(
            "FLINK_REST_PORT", Integer.toString(restPort),
            "FLINK_RPC_PORT", Integer.toString(freePort()),
            "FLINK_CLUSTER_DIR", workDir.resolve("cluster").toString());
    clusterStarted = true; // from here on, @AfterAll stops whatever was started
    run("start-cluster", START_TIMEOUT, List.of(script("start-cluster.sh")));
    clusterSchema = PostgresSupport.freshSchema("flink_cluster");
    directSchema = PostgresSupport.freshSchema("flink_direct");
  }

  @AfterAll
  void stopCluster() throws Exception {
    try {
      if (clusterStarted) {
        run("stop-cluster", Duration.ofMinutes(1), List.of(script("stop-cluster.sh")));
      }
    } finally {
      if (clusterSchema != null) {
        clusterSchema.close();
      }
      if (directSchema != null) {
        directSchema.close();
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

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

package dev.tslake;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.flink.SharedMiniCluster;
import dev.tslake.warehouse.RunRecord;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JVM for many batch runs: it parses the job's options once and runs the job each time it is
 * asked, so repeated small runs (an increment every few minutes) do not each pay the JVM's start,
 * Beam's option registry, class loading and a cold JIT. Each run is exactly what {@code
 * dev.tslake.TsLake} with the same options does: its own run id, the warehouse's run lock, its
 * {@code pipeline_runs} row, the same exit status.
 *
 * <pre>{@code
 * java -cp ... dev.tslake.RunService --runner=FlinkRunner --config=my.json \
 *     --warehouseUrl=jdbc:postgresql://127.0.0.1:5432/tslake --servicePort=8090
 * curl -fsS -X POST http://127.0.0.1:8090/runs     # one run; answers when it has ended
 * curl -fsS http://127.0.0.1:8090/health           # idle or running, runs so far, the last one
 * }</pre>
 *
 * <p>{@code POST /runs} answers 200 with the run's record as JSON when the run succeeded, 500 with
 * the same fields (and {@code exit_code}, as the command line's) when it did not, and 409 when a
 * run of this service is still going. Answers hold counts, status and the redacted message, never
 * an option's value. Batch runs only: {@code --streaming} and {@code --runId} are refused at start.
 */
public final class RunService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunService.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The service's own options; every other option is the job's. */
  public interface RunServiceOptions extends PipelineOptions {
    @Description("Port the run service listens on (0: any free port).")
    @Default.Integer(8090)
    int getServicePort();

    void setServicePort(int value);

    @Description("Address the run service binds (127.0.0.1: this machine only).")
    @Default.String("127.0.0.1")
    String getServiceBind();

    void setServiceBind(String value);

    @Description(
        "On the Flink runner with --flinkMaster=[auto] (the default): keep one Flink mini-cluster"
            + " for all runs instead of starting one per run.")
    @Default.Boolean(true)
    boolean getServiceSharedCluster();

    void setServiceSharedCluster(boolean value);
  }

  private final List<String> jobArgs;
  private final Javalin app;
  private final ReentrantLock running = new ReentrantLock();
  private volatile @Nullable String currentRun;
  private volatile long runs;
  private volatile @Nullable Map<String, Object> last;
  private final @Nullable SharedMiniCluster cluster;

  private RunService(
      List<String> jobArgs, String bind, int port, @Nullable SharedMiniCluster cluster) {
    this.jobArgs = jobArgs;
    this.cluster = cluster;
    this.app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.jetty.host = bind;
              c.jetty.port = port;
              c.routes.post("/runs", this::run);
              c.routes.get("/health", this::health);
            });
    app.start();
  }

  /**
   * Checks the options (as the job would: a bad option fails here, not at the first request), then
   * listens.
   */
  public static RunService start(String[] args) {
    PipelineOptionsFactory.register(TsLakeOptions.class);
    PipelineOptionsFactory.register(RunServiceOptions.class);
    List<String> job = new ArrayList<>();
    for (String a : args) {
      if (!a.startsWith("--service")) {
        job.add(a);
      }
    }
    RunServiceOptions own =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(RunServiceOptions.class);
    TsLakeOptions options = parse(job);
    if (options.as(StreamingOptions.class).isStreaming()) {
      throw new IllegalArgumentException(
          "the run service runs batch runs; run a continuous job with dev.tslake.TsLake");
    }
    if (options.getRunId() != null) {
      throw new IllegalArgumentException(
          "--runId: the run service gives every run its own id; leave it out");
    }
    RunSettings.from(options); // the settings' own checks (config, secrets), before listening
    SharedMiniCluster cluster = own.getServiceSharedCluster() ? sharedCluster(options) : null;
    try {
      return new RunService(job, own.getServiceBind(), own.getServicePort(), cluster);
    } catch (RuntimeException e) {
      closeQuietly(cluster);
      throw e;
    }
  }

  /** The one mini-cluster of a Flink service whose runs would each start their own; else null. */
  private static @Nullable SharedMiniCluster sharedCluster(TsLakeOptions options) {
    if (!options.getRunner().getName().equals("org.apache.beam.runners.flink.FlinkRunner")) {
      return null;
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    if (!"[auto]".equals(flink.getFlinkMaster())) {
      return null;
    }
    int slots =
        flink.getParallelism() > 0
            ? flink.getParallelism()
            : Runtime.getRuntime().availableProcessors();
    try {
      SharedMiniCluster c = SharedMiniCluster.start(flink.getFlinkConfDir(), slots);
      LOG.info("run service: one Flink mini-cluster with {} slots for all runs", slots);
      return c;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the Flink mini-cluster: " + e.getMessage(), e);
    }
  }

  private static void closeQuietly(@Nullable SharedMiniCluster c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("stopping the Flink mini-cluster: {}", e.toString());
      }
    }
  }

  private static TsLakeOptions parse(List<String> args) {
    String[] a = args.toArray(new String[0]);
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(a).withValidation().as(TsLakeOptions.class);
    TsLake.relaxDirectRunnerChecks(options, a);
    return options;
  }

  /** Jobs the service's one Flink mini-cluster ran; -1 when runs start their own (or no Flink). */
  long sharedClusterJobs() {
    return cluster == null ? -1 : cluster.jobsSubmitted();
  }

  public int port() {
    return app.port();
  }

  /** Takes the service's one run slot for {@code runId}; false when a run holds it. */
  boolean tryBegin(String runId) {
    if (!running.tryLock()) {
      return false;
    }
    currentRun = runId;
    return true;
  }

  /** Gives the run slot back. */
  void end() {
    currentRun = null;
    running.unlock();
  }

  private void run(Context ctx) throws Exception {
    if (!running.tryLock()) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", "a run of this service is still going");
      body.put("run_id", currentRun);
      ctx.status(409).contentType("application/json").result(JSON.writeValueAsString(body));
      return;
    }
    Map<String, Object> body;
    try {
      body = runOnce();
    } finally {
      currentRun = null;
      running.unlock();
    }
    int exit = (Integer) body.get("exit_code");
    ctx.status(exit == 0 ? 200 : 500)
        .contentType("application/json")
        .result(JSON.writeValueAsString(body));
  }

  /** One run with fresh options (a fresh run id); its record, or its failure, as JSON fields. */
  Map<String, Object> runOnce() {
    long started = System.nanoTime();
    Map<String, Object> body = new LinkedHashMap<>();
    TsLakeOptions options = parse(jobArgs); // checked at start: the same arguments parse again
    RunSettings settings = null;
    try {
      settings = RunSettings.from(options); // reads the secrets file again: it may have changed
      options.setRunId(settings.runId);
      currentRun = settings.runId;
      body.put("run_id", settings.runId);
      RunRecord run = TsLake.run(options);
      body.put("status", run.status);
      body.put("exit_code", TsLake.exitCode(run));
      body.putAll(run.counts());
      body.put("message", run.message);
    } catch (RuntimeException e) {
      body.put("status", RunRecord.FAILED);
      body.put("exit_code", TsLake.EXIT_FAILED);
      body.put("message", redact(settings, options, TsLake.failureMessage(e)));
      LOG.warn("run {} failed: {}", body.get("run_id"), body.get("message"));
    }
    body.put("millis", (System.nanoTime() - started) / 1_000_000);
    // release the finished job's direct buffers and Flink memory segments before the next run
    System.gc();
    body.put("ended_at", Instant.now().toString());
    runs++;
    last = body;
    return body;
  }

  /** API keys and the warehouse password masked (the message may quote a URL or an error). */
  static String redact(
      @Nullable RunSettings settings, TsLakeOptions options, @Nullable String message) {
    String out =
        settings != null ? settings.api.secrets().redact(message) : String.valueOf(message);
    for (String secret :
        new String[] {options.getWarehousePassword(), System.getenv("TSLAKE_WAREHOUSE_PASSWORD")}) {
      if (secret != null && !secret.isEmpty()) {
        out = out.replace(secret, "***");
      }
    }
    return out;
  }

  private void health(Context ctx) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    String current = currentRun;
    body.put("state", current == null ? "idle" : "running");
    body.put("run_id", current);
    body.put("runs", runs);
    body.put("last", last);
    ctx.contentType("application/json").result(JSON.writeValueAsString(body));
  }

  @Override
  public void close() {
    // a run in progress ends first (meanwhile new requests get 409), then the server and cluster
    running.lock();
    try {
      app.stop();
      closeQuietly(cluster);
    } finally {
      running.unlock();
    }
  }

  public static void main(String[] args) throws Exception {
    RunService service;
    try {
      service = start(args);
    } catch (RuntimeException e) {
      System.err.println("tslake run service: " + e.getMessage());
      System.exit(TsLake.EXIT_FAILED);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(service::close, "tslake-run-service-stop"));
    System.out.println("tslake run service: POST http://127.0.0.1:" + service.port() + "/runs");
    System.out.flush();
    Thread.currentThread().join();
  }
}

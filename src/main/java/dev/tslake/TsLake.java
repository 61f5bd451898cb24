package dev.tslake;

import dev.tslake.aggregate.AggregateTriggering;
import dev.tslake.aggregate.TouchedSpans;
import dev.tslake.aggregate.WindowFolds;
import dev.tslake.aggregate.WindowIntoAggregates;
import dev.tslake.alert.AlertWebhook;
import dev.tslake.alert.RunAlert;
import dev.tslake.analytics.Resample;
import dev.tslake.analytics.RollingStats;
import dev.tslake.lake.LakeHousekeeping;
import dev.tslake.lake.LandRawFiles;
import dev.tslake.lake.ReadRawLake;
import dev.tslake.lake.WriteToLake;
import dev.tslake.model.Aggregate;
import dev.tslake.model.CheckResult;
import dev.tslake.model.KnownStrings;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.model.RollingStat;
import dev.tslake.model.SeriesInfo;
import dev.tslake.onepass.OnePassBatch;
import dev.tslake.progress.Progress;
import dev.tslake.progress.ProgressBoard;
import dev.tslake.quality.QualityChecks;
import dev.tslake.sources.FileTask;
import dev.tslake.sources.ReadSources;
import dev.tslake.sources.live.FetchSources;
import dev.tslake.transform.CountElements;
import dev.tslake.transform.DedupLatestVintage;
import dev.tslake.transform.ValidateAndClean;
import dev.tslake.warehouse.DeleteRows;
import dev.tslake.warehouse.ReadNewestStored;
import dev.tslake.warehouse.ReadSpanNeighbours;
import dev.tslake.warehouse.ReadStoredObservations;
import dev.tslake.warehouse.RecordRun;
import dev.tslake.warehouse.RunLock;
import dev.tslake.warehouse.RunProgress;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.SeriesRow;
import dev.tslake.warehouse.SeriesRows;
import dev.tslake.warehouse.Tables;
import dev.tslake.warehouse.UpsertBatches;
import dev.tslake.warehouse.WarehouseSchema;
import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tslake job: sources → raw CSV lake → validate/clean (rejects to lake and warehouse) → dedup
 * by latest vintage → observations and windowed aggregates in the warehouse → the run's accounting
 * in {@code pipeline_runs}.
 */
public final class TsLake {
  private static final Logger LOG = LoggerFactory.getLogger(TsLake.class);

  private TsLake() {}

  public static void main(String[] args) {
    long mainAt = System.nanoTime();
    preloadDuckDb(args);
    long jvmToMain =
        System.currentTimeMillis()
            - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
    PipelineOptionsFactory.register(TsLakeOptions.class);
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(TsLakeOptions.class);
    relaxDirectRunnerChecks(options, args);
    LOG.info(
        "launcher: JVM start to main {} ms, options parsed in {} ms, JIT {}",
        jvmToMain,
        (System.nanoTime() - mainAt) / 1_000_000,
        jit());
    RunRecord run;
    try {
      run = run(options);
    } catch (RuntimeException e) {
      System.err.println("tslake run failed: " + e.getMessage());
      System.exit(EXIT_FAILED);
      return;
    }
    System.out.println(run.summary());
    System.out.flush();
    // The run is over (loaded, committed, recorded): end the JVM now, whatever threads a library
    // left behind. Flink's shaded Netty starts a non-daemon GlobalEventExecutor thread while the
    // mini-cluster shuts down, and it lingers for its one-second quiet period: a fifth of a 10k
    // run's wall time on Flink local (docs/performance.md, "The JVM's exit").
    System.exit(exitCode(run));
  }

  /**
   * Loads DuckDB's native library on the second core while this thread parses the options (about a
   * second of Beam validating every options interface on the class path), when the warehouse is the
   * embedded default: the driver copies 57 MB out of its jar and loads it, which took about 0.4 s
   * of the launch step before. Nothing is opened; a failure here is met again, and reported, where
   * the launch step opens the warehouse.
   */
  static @Nullable Thread preloadDuckDb(String[] args) {
    boolean duckdb = true;
    for (String a : args) {
      if (a.startsWith("--warehouseUrl") && !a.contains("jdbc:duckdb:")) {
        duckdb = false;
      }
    }
    if (!duckdb) {
      return null;
    }
    ClassLoader loader = TsLake.class.getClassLoader();
    Thread t =
        new Thread(
            () -> {
              try {
                Class.forName("org.duckdb.DuckDBNative", true, loader);
              } catch (Throwable e) {
                LOG.debug("preloading: {}", e.toString());
              }
            },
            "tslake-preload-duckdb");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Exit status of a run that failed (recorded as {@code failed} when the warehouse allowed). */
  public static final int EXIT_FAILED = 1;

  /** Exit status of a run that ended {@code incomplete}: rerun to fetch what is missing. */
  public static final int EXIT_INCOMPLETE = 2;

  /** Exit status of a run that ended {@code failed_checks}: an error check failed, data loaded. */
  public static final int EXIT_FAILED_CHECKS = 3;

  /**
   * 0 for succeeded, {@link #EXIT_INCOMPLETE}, {@link #EXIT_FAILED_CHECKS} or {@link #EXIT_FAILED}
   * otherwise.
   */
  public static int exitCode(RunRecord run) {
    if (run.succeeded()) {
      return 0;
    }
    if (RunRecord.FAILED_CHECKS.equals(run.status)) {
      return EXIT_FAILED_CHECKS;
    }
    return RunRecord.INCOMPLETE.equals(run.status) ? EXIT_INCOMPLETE : EXIT_FAILED;
  }

  /**
   * The DirectRunner encodes every element before and after each step to catch DoFns that mutate
   * their input; on the default data that tripled run time and memory (35 s and 2 GB without, 118 s
   * and 6 GB with). Tests keep the checks (TestPipeline); the job turns them off unless the command
   * line sets them.
   */
  static void relaxDirectRunnerChecks(TsLakeOptions options, String[] args) {
    if (options.getRunner() != DirectRunner.class) {
      return;
    }
    String all = String.join(" ", args);
    DirectOptions direct = options.as(DirectOptions.class);
    if (!all.contains("--enforceImmutability")) {
      direct.setEnforceImmutability(false);
    }
    if (!all.contains("--enforceEncodability")) {
      direct.setEnforceEncodability(false);
    }
  }

  /**
   * Runs the job to completion and returns its accounting; throws if it failed or does not add up.
   */
  public static RunRecord run(TsLakeOptions options) {
    RunSettings initial = RunSettings.from(options);
    AlertWebhook alerts = alertWebhook(options);
    RunRecord run;
    // One run at a time per warehouse: a second one waits here (RunLock).
    try (RunLock lock =
        RunLock.acquire(
            initial.warehouse,
            initial.runId,
            Duration.ofSeconds(options.getWarehouseRunLockWaitSeconds()))) {
      run = runLocked(options, initial);
    } catch (RuntimeException e) {
      if (alerts != null) {
        alerts.send(failedAlert(initial, e));
      }
      throw e;
    }
    if (alerts != null && !run.succeeded()) {
      alerts.send(alert(run));
    }
    return run;
  }

  /** The webhook of {@code --alertWebhook} (or TSLAKE_ALERT_WEBHOOK); null when there is none. */
  static AlertWebhook alertWebhook(TsLakeOptions options) {
    String url = options.getAlertWebhook();
    if (url == null || url.isBlank()) {
      url = System.getenv("TSLAKE_ALERT_WEBHOOK");
    }
    if (url == null || url.isBlank()) {
      return null;
    }
    try {
      return AlertWebhook.to(URI.create(url.trim()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--alertWebhook: "
              + (e.getMessage() != null && e.getMessage().startsWith("--alertWebhook")
                  ? e.getMessage().substring("--alertWebhook ".length())
                  : "not a URL"),
          null);
    }
  }

  static RunAlert alert(RunRecord run) {
    Map<String, Long> counts = run.counts();
    return new RunAlert(
        run.runId,
        run.status == null ? RunRecord.FAILED : run.status,
        run.message,
        run.config,
        run.runner,
        run.startedAt,
        run.finishedAt,
        counts);
  }

  /**
   * The alert of a run that threw: what {@code pipeline_runs} recorded when it can be read (the
   * message there is already free of secrets), else the redacted failure message alone.
   */
  static RunAlert failedAlert(RunSettings s, RuntimeException e) {
    try {
      RunRecord recorded = RunRecord.read(s.warehouse, s.runId);
      if (recorded != null && RunRecord.FAILED.equals(recorded.status)) {
        return alert(recorded);
      }
    } catch (SQLException | RuntimeException unreadable) {
      // fall through: the alert still goes out, with what is known here
    }
    return new RunAlert(
        s.runId,
        RunRecord.FAILED,
        s.api.secrets().redact(String.valueOf(failureMessage(e))),
        s.configName,
        s.runner,
        s.startedAt,
        Instant.now(),
        Map.of());
  }

  private static RunRecord runLocked(TsLakeOptions options, RunSettings base) {
    RunSettings settings;
    long launchAt = System.nanoTime();
    try {
      settings = Launch.prepare(options, base);
      RunRecord.started(
          settings.warehouse,
          settings.runId,
          settings.startedAt,
          settings.runner,
          settings.configName);
    } catch (RuntimeException | SQLException e) {
      throw recordFailure(base, e);
    }
    LOG.info(
        "run {}: launch (file systems, schema, stored ranges, pipeline_runs row) {} ms",
        settings.runId,
        (System.nanoTime() - launchAt) / 1_000_000);
    try {
      return runPrepared(options, settings);
    } catch (RuntimeException e) {
      throw recordFailure(settings, e);
    }
  }

  /**
   * Ends the run's {@code pipeline_runs} row as {@code failed} with the reason (secrets removed),
   * if the warehouse can still be written; returns the exception to throw.
   */
  static RuntimeException recordFailure(RunSettings s, Exception e) {
    String message = s.api.secrets().redact(String.valueOf(failureMessage(e)));
    try {
      WarehouseSchema.ensure(s.warehouse);
      RunRecord.finish(
          s.warehouse, s.runId, s.startedAt, s.runner, s.configName, RunRecord.FAILED, message);
    } catch (RuntimeException | SQLException unrecorded) {
      e.addSuppressed(unrecorded);
    }
    return e instanceof RuntimeException
        ? (RuntimeException) e
        : new IllegalStateException(message, e);
  }

  /** The innermost message that says something (Beam wraps a DoFn's exception). */
  static String failureMessage(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
    }
    return e.getMessage() != null && !e.getMessage().equals(message)
        ? e.getClass().getSimpleName() + ": " + message
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /** The JVM's compilers: "C1 alone" ({@code -XX:TieredStopAtLevel=1}), "tiered" or "C2 alone". */
  static String jit() {
    try {
      com.sun.management.HotSpotDiagnosticMXBean vm =
          java.lang.management.ManagementFactory.getPlatformMXBean(
              com.sun.management.HotSpotDiagnosticMXBean.class);
      if ("false".equals(vm.getVMOption("TieredCompilation").getValue())) {
        return "C2 alone";
      }
      String level = vm.getVMOption("TieredStopAtLevel").getValue();
      return "1".equals(level) ? "C1 alone" : "tiered (up to level " + level + ")";
    } catch (RuntimeException notHotSpot) {
      return "unknown";
    }
  }

  /** Whether {@code --streaming=true} (Beam's {@link StreamingOptions}). */
  static boolean streaming(TsLakeOptions options) {
    return options.as(StreamingOptions.class).isStreaming();
  }

  /** The timing of a continuous run from its options; a clear error for a bad value. */
  static ContinuousGraph.Timing timing(TsLakeOptions options) {
    String text = options.getRunUpdatePeriod();
    java.time.Duration every;
    try {
      every = java.time.Duration.parse(text == null ? "" : text.trim());
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--runUpdatePeriod '" + text + "' is not an ISO-8601 duration such as PT1M or PT10S");
    }
    if (every.isZero() || every.isNegative()) {
      throw new IllegalArgumentException("--runUpdatePeriod must be positive, got " + text);
    }
    return new ContinuousGraph.Timing(
        AggregateTriggering.fromOptions(options), org.joda.time.Duration.millis(every.toMillis()));
  }

  private static RunRecord runPrepared(TsLakeOptions options, RunSettings settings) {
    long graphAt = System.nanoTime();
    Pipeline pipeline = Pipeline.create(options);
    boolean continuous = streaming(options);
    if (continuous) {
      ContinuousGraph.build(pipeline, settings, timing(options));
    } else {
      buildPipeline(pipeline, settings);
    }
    PipelineResult result;
    PipelineResult.State state;
    // Flink's local execution leaves its (closed) user-code class loader as the thread's context
    // class loader: Beam's service lookups (FileSystems) in a later run would then fail
    ClassLoader contextLoader = Thread.currentThread().getContextClassLoader();
    long runAt = System.nanoTime();
    LOG.info("run {}: graph built in {} ms", settings.runId, (runAt - graphAt) / 1_000_000);
    try {
      result = pipeline.run();
      long ranAt = System.nanoTime();
      state = result.waitUntilFinish();
      LOG.info(
          "run {}: runner's run() {} ms (the job; on Flink local also the translation and the"
              + " mini-cluster's start and shutdown), waitUntilFinish {} ms",
          settings.runId,
          (ranAt - runAt) / 1_000_000,
          (System.nanoTime() - ranAt) / 1_000_000);
    } finally {
      Thread.currentThread().setContextClassLoader(contextLoader);
      String last = ProgressBoard.finish(settings.runId);
      if (last != null && settings.progressMillis > 0) {
        LOG.info(last);
      }
    }
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("run " + settings.runId + " ended " + state);
    }
    long afterAt = System.nanoTime();
    LakeHousekeeping.removeEmptyTempFolders(settings.lakeRoot);
    if (continuous) {
      finishContinuous(result, settings);
    }
    RunRecord run;
    try {
      run = RunRecord.read(settings.warehouse, settings.runId);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "run "
              + settings.runId
              + " finished but its pipeline_runs"
              + " row cannot be read from "
              + settings.warehouse.describe()
              + ": "
              + e.getMessage(),
          e);
    }
    if (run == null) {
      throw new IllegalStateException(
          "run "
              + settings.runId
              + " finished without recording"
              + " itself in pipeline_runs of "
              + settings.warehouse.describe());
    }
    if (RunRecord.RUNNING.equals(run.status)) {
      throw new IllegalStateException(
          "run " + settings.runId + " finished but never recorded how it ended");
    }
    if (!run.settled()) {
      throw new IllegalStateException(
          "run "
              + settings.runId
              + " does not account for every"
              + " record: "
              + run.accountingMessage());
    }
    if (!settings.requests.isEmpty()) {
      run =
          run.withHttp(
              counter(result, "requests"), counter(result, "retries"), counter(result, "failures"));
      try {
        run.recordHttp(settings.warehouse);
      } catch (SQLException e) {
        throw new IllegalStateException(
            "cannot record HTTP counts of run "
                + settings.runId
                + " in "
                + settings.warehouse.describe()
                + ": "
                + e.getMessage(),
            e);
      }
    }
    LOG.info(
        "run {}: after the run (lake housekeeping, pipeline_runs read back) {} ms",
        settings.runId,
        (System.nanoTime() - afterAt) / 1_000_000);
    return run;
  }

  /**
   * A continuous run drained ({@code --stopAfter}): its row holds the committed counts; it ends
   * {@code succeeded} when they account for every raw record read, else {@code failed} with the
   * difference. The records read are those RunProgress summed in Beam state (exactly once, also
   * across a restore from a checkpoint), not Beam's counter {@code tslake.run/records_read}: on
   * Flink counters are accumulators of task attempts and a restore restarts them, so the counter
   * under- or over-counts; it is only logged.
   */
  static void finishContinuous(PipelineResult result, RunSettings s) {
    long counted = 0;
    try {
      for (MetricResult<Long> c :
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(
                          MetricNameFilter.named(
                              ContinuousGraph.METRICS, ContinuousGraph.RECORDS_READ))
                      .build())
              .getCounters()) {
        counted += c.getAttempted();
      }
    } catch (RuntimeException e) {
      counted = -1;
    }
    try {
      RunRecord row = RunRecord.read(s.warehouse, s.runId);
      boolean whole = row != null && row.settled() && !RunRecord.FAILED.equals(row.status);
      if (row != null && counted != row.recordsRead) {
        LOG.info(
            "run {}: Beam's counter says {} raw records read, the run's state {} (the state is"
                + " exactly once; counters are not across restores)",
            s.runId,
            counted,
            row.recordsRead);
      }
      RunRecord.finish(
          s.warehouse,
          s.runId,
          s.startedAt,
          s.runner,
          s.configName,
          whole ? RunRecord.SUCCEEDED : RunRecord.FAILED,
          whole ? null : continuousFailure(row));
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot finish run " + s.runId + " in " + s.warehouse.describe() + ": " + e.getMessage(),
          e);
    }
  }

  /** Why a drained continuous run failed: its last row's accounting. */
  static String continuousFailure(
      @org.checkerframework.checker.nullness.qual.Nullable RunRecord row) {
    if (row == null) {
      return "the run recorded no counts";
    }
    if (RunRecord.FAILED.equals(row.status) && row.message != null) {
      return row.message; // RunProgress found the accounting broken during the run
    }
    if (row.recordsInFlight < 0) {
      return RunProgress.negative(row.recordsInFlight);
    }
    long accounted = row.recordsRejected + row.observationsLoaded + row.duplicatesSuperseded;
    return "the run read "
        + row.recordsRead
        + " raw records but accounted for "
        + accounted
        + " (loaded, superseded or rejected): "
        + (row.recordsRead - accounted)
        + " still in flight when the input ended";
  }

  /** A counter of the live sources (attempted: the value every runner reports). */
  static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(FetchSources.METRICS, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  /** The whole graph, as tests build it. */
  public static void buildPipeline(Pipeline p, RunSettings s) {
    // sources and matched files travel as small ids in the coders (a graph-fixed dictionary)
    List<FileTask> matched = s.replayFromLake ? List.of() : ReadSources.expandFiles(s.config);
    KnownStrings known = ReadSources.knownStrings(s.config, matched);
    known.registerIn(p);
    LOG.info("coders: {} source names and files written as ids", known.size());
    if (onePass(s, matched)) {
      LOG.info("one-pass batch graph: {} file tasks", matched.size());
      buildOnePass(p, s, matched);
      return;
    }
    // every lake write's committed-file count: RecordRun waits for all of them
    List<PCollection<Long>> lakeFiles = new ArrayList<>();
    LandRawFiles landing = LandRawFiles.to(s.lakeRoot, s.ingestDate, s.runId, s.config);
    PCollectionTuple files =
        s.replayFromLake
            ? p.apply(
                "ReplayRawLake",
                ReadRawLake.of(s.lakeRoot, s.config, s.replayDate)
                    .withOutputTags(ReadSources.RAW, ReadSources.SERIES))
            : p.apply(
                "ReadSources",
                ReadSources.from(s.config)
                    .withMatchedFiles(matched)
                    .withRawLanding(landing)
                    .withFlinkWorkers(flinkWorkers(p.getOptions())));
    if (!s.replayFromLake) {
      lakeFiles.add(landing.committedFiles(p));
    }
    PCollectionTuple read = files;
    PCollectionTuple fetched = null;
    if (!s.requests.isEmpty()) {
      fetched = p.apply("FetchSources", FetchSources.of(s.config, s.api, s.requests));
      if (!s.replayFromLake) {
        // file sources land their raw records as they read them; fetched ones go by series
        lakeFiles.add(
            WriteToLake.committedFiles(
                fetched
                    .get(ReadSources.RAW)
                    .apply("WriteRawToLake", WriteToLake.raw(s.lakeRoot, s.ingestDate, s.runId)),
                "FetchedRawLake"));
      }
      read =
          PCollectionTuple.of(
                  ReadSources.RAW,
                  PCollectionList.of(files.get(ReadSources.RAW))
                      .and(fetched.get(ReadSources.RAW))
                      .apply("AllRaw", Flatten.pCollections()))
              .and(
                  ReadSources.SERIES,
                  PCollectionList.of(files.get(ReadSources.SERIES))
                      .and(fetched.get(ReadSources.SERIES))
                      .apply("AllSeries", Flatten.pCollections()));
    }
    PCollection<RawRecord> raw =
        read.get(ReadSources.RAW)
            .apply("ProgressRead", Progress.of(s.runId, 0, "read", s.progressMillis));

    PCollectionTuple validated = raw.apply("ValidateAndClean", ValidateAndClean.of(s.config));
    // what the warehouse holds for the windows this run touches: dedup decides against it, and
    // the aggregates of those windows are recomputed whole
    PCollection<Observation> valid =
        validated
            .get(ValidateAndClean.VALID)
            .apply("ProgressValid", Progress.of(s.runId, 1, "valid", s.progressMillis));
    // A batch run into a warehouse that held no observation of its sources at launch (read under
    // the run lock) has nothing to read back: no spans, no stored rows, no flattens (each is a
    // pass over every observation on Flink)
    boolean readBack = s.storedAtLaunch == null || s.storedAtLaunch.series() > 0;
    Set<String> freshness = QualityChecks.freshnessSources(s.config);
    PCollection<KV<String, KV<Long, Long>>> touchedSpans =
        readBack || Resample.wanted(s.config) || !freshness.isEmpty()
            ? spreadSpans(valid.apply("TouchedSpans", TouchedSpans.of(s.config)), s.runner)
            : null;
    PCollection<Observation> toDedup =
        readBack
            ? PCollectionList.of(valid)
                .and(
                    touchedSpans.apply(
                        "ReadStoredObservations", ReadStoredObservations.from(s.warehouse)))
                .apply("WithStored", Flatten.pCollections())
            : valid;
    PCollectionTuple deduped =
        toDedup.apply(
            "DedupLatestVintage",
            DedupLatestVintage.create()
                .withShards(s.dedupShards)
                .bySeries("DirectRunner".equals(s.runner)));
    PCollection<Observation> observations =
        deduped
            .get(DedupLatestVintage.LATEST)
            .apply("ProgressDeduped", Progress.of(s.runId, 2, "deduped", s.progressMillis));
    // what observations keeps in the touched windows: this run's winners and the stored rows
    PCollection<Observation> current =
        readBack
            ? PCollectionList.of(observations)
                .and(deduped.get(DedupLatestVintage.STORED))
                .apply("CurrentObservations", Flatten.pCollections())
            : observations;

    PCollectionTuple loadedObservations =
        observations.apply(
            "LoadObservations",
            UpsertBatches.into(s.warehouse, Tables.observations())
                .withBatchSize(s.batchSize)
                .withStoredAtLaunch(s.storedAtLaunch)
                .withDeadLetter(f -> new Reject("warehouse", f.reason, asRawRecord(f.row))));

    loadedObservations
        .get(UpsertBatches.WRITTEN)
        .apply("ProgressLoaded", Progress.summing(s.runId, 3, "loaded", s.progressMillis));
    // every distinct vintage this run read (from sources or replayed from the lake): history
    deduped
        .get(DedupLatestVintage.VINTAGES)
        .apply(
            "LoadObservationVintages",
            UpsertBatches.into(s.warehouse, Tables.observationVintages())
                .withBatchSize(s.batchSize)
                .withStoredAtLaunch(s.storedAtLaunch));

    PCollectionTuple loadedRejects =
        landAndLoadRejects(
            validated.get(ValidateAndClean.REJECTED),
            loadedObservations.get(UpsertBatches.FAILED),
            s,
            lakeFiles);

    PCollectionTuple loadedAggregates =
        loadAggregates(
            current.apply("WindowedAggregates", WindowIntoAggregates.of(s.config)), s, null);
    if (Resample.wanted(s.config)) {
      // gap filling on a grid, apart from observations and aggregates (docs/resample.md)
      current
          .apply(
              "Resample",
              Resample.of(
                  s.config,
                  touchedSpans.apply(
                      "ReadSpanNeighbours",
                      ReadSpanNeighbours.from(s.warehouse, resampledSources(s)))))
          .apply(
              "LoadResampled",
              UpsertBatches.into(s.warehouse, Tables.resampled())
                  .withBatchSize(s.batchSize)
                  .withRegrouping(s.dedupShards));
    }
    // moving statistics over trailing windows, from what the warehouse holds after this run
    PCollection<RollingStat> rolling = current.apply("RollingStats", RollingStats.of(s.config));
    rolling
        .apply("RollingRows", Filter.by((RollingStat r) -> !r.deleted))
        .apply(
            "LoadRolling",
            UpsertBatches.into(s.warehouse, Tables.rolling())
                .withBatchSize(s.batchSize)
                .withRegrouping(s.dedupShards));
    rolling
        .apply("RollingDeletions", Filter.by((RollingStat r) -> r.deleted))
        .apply("DeleteRolling", DeleteRows.from(s.warehouse, Tables.rolling()));

    PCollectionTuple loadedSeries = loadSeries(observations, read.get(ReadSources.SERIES), s);

    RecordRun recordRun =
        new RecordRun(
                s.warehouse,
                s.runId,
                s.startedAt,
                s.runner,
                s.configName,
                raw.apply("CountRead", CountElements.perBundle()),
                written(loadedRejects),
                written(loadedObservations),
                deduped.get(DedupLatestVintage.SUPERSEDED),
                written(loadedAggregates),
                written(loadedSeries))
            .afterLake(PCollectionList.of(lakeFiles).apply("AllLakeFiles", Flatten.pCollections()));
    QualityChecks checks = QualityChecks.of(s.config, s.startedAt);
    if (!freshness.isEmpty()) {
      // a run that only revises old points: freshness still judges the series' newest point
      checks =
          checks.withNewestStored(
              touchedSpans.apply(
                  "ReadNewestStored", ReadNewestStored.from(s.warehouse, freshness)));
    }
    if (checks.any()) {
      // declared checks on what the run sees: `current` (docs/checks.md)
      PCollection<CheckResult> results = current.apply("QualityChecks", checks);
      PCollectionTuple loadedChecks =
          results.apply(
              "LoadQualityResults",
              UpsertBatches.into(s.warehouse, Tables.qualityResults(s.runId))
                  .withBatchSize(s.batchSize)
                  .withRegrouping(s.dedupShards));
      recordRun =
          recordRun.withChecks(
              results
                  .apply("PassedChecks", Filter.by((CheckResult r) -> !r.failed()))
                  .apply("CountPassed", CountElements.perBundle()),
              results.apply("FailedChecks", Filter.by((CheckResult r) -> r.failed())),
              written(loadedChecks));
    }
    if (fetched != null) {
      recordRun = recordRun.withFetchOutcomes(fetched.get(FetchSources.OUTCOMES));
    }
    p.apply("RecordRun", recordRun);
  }

  /**
   * Whether this run takes the one-pass graph ({@code --onePass}): a batch run of text-file sources
   * only (no live sources, no Parquet, not a replay) into a warehouse that held none of their
   * series at launch, with nothing that needs the stored rows or every observation (resample,
   * rolling windows, checks).
   */
  static boolean onePass(RunSettings s, List<FileTask> matched) {
    if (!s.onePass
        || s.replayFromLake
        || !s.requests.isEmpty()
        || s.storedAtLaunch == null
        || s.storedAtLaunch.series() > 0
        || matched.isEmpty()
        || Resample.wanted(s.config)
        || QualityChecks.of(s.config, s.startedAt).any()) {
      return false;
    }
    for (dev.tslake.config.SourceConfig c : s.config.sources) {
      if (c.type == dev.tslake.config.SourceType.PARQUET || !c.rolling.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The one-pass batch graph ({@link OnePassBatch}): the same tables, lake files and run record as
   * the staged graph for the runs {@link #onePass} admits.
   */
  /**
   * The parallelism of a Flink job (its {@code --parallelism}, else the cores of a local
   * mini-cluster); 0 for other runners and a remote cluster's default.
   */
  static int flinkWorkers(org.apache.beam.sdk.options.PipelineOptions options) {
    if (!"FlinkRunner".equals(options.getRunner().getSimpleName())) {
      return 0;
    }
    org.apache.beam.runners.flink.FlinkPipelineOptions flink =
        options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class);
    if (flink.getParallelism() > 0) {
      return flink.getParallelism();
    }
    String master = flink.getFlinkMaster();
    return "[auto]".equals(master) || "[local]".equals(master)
        ? Runtime.getRuntime().availableProcessors()
        : 0;
  }

  static void buildOnePass(Pipeline p, RunSettings s, List<FileTask> matched) {
    PCollectionTuple one =
        p.apply(
            "OnePass",
            OnePassBatch.of(s.config, matched, Observation.Coder.in(p))
                .landingIn(s.lakeRoot, s.ingestDate, s.runId)
                .loadingInto(s.warehouse, s.batchSize, s.storedAtLaunch)
                .withBucketMillis(
                    s.onePassBucketMillis >= 0
                        ? s.onePassBucketMillis
                        : "DirectRunner".equals(s.runner) ? 0 : OnePassBatch.DAY)
                .withFlinkWorkers(flinkWorkers(p.getOptions())));
    PCollection<Long> read =
        one.get(OnePassBatch.READ)
            .apply("ProgressRead", Progress.summing(s.runId, 0, "read", s.progressMillis));
    one.get(OnePassBatch.VALID)
        .apply("ProgressValid", Progress.summing(s.runId, 1, "valid", s.progressMillis));
    one.get(OnePassBatch.DEDUPED)
        .apply("ProgressDeduped", Progress.summing(s.runId, 2, "deduped", s.progressMillis));
    PCollection<Long> loaded =
        one.get(OnePassBatch.LOADED)
            .apply("ProgressLoaded", Progress.summing(s.runId, 3, "loaded", s.progressMillis));

    List<PCollection<Long>> lakeFiles = new ArrayList<>();
    lakeFiles.add(one.get(OnePassBatch.LAKE_FILES));
    PCollectionTuple loadedRejects =
        landAndLoadRejects(
            one.get(OnePassBatch.REJECTED), one.get(OnePassBatch.LOAD_FAILED), s, lakeFiles);

    // windows a group saw whole come out of the dedup step as rows; the others are merged first
    PCollection<Aggregate> aggregates =
        PCollectionList.of(one.get(OnePassBatch.WHOLE_WINDOWS))
            .and(
                one.get(OnePassBatch.WINDOW_STATS)
                    .apply("WindowedAggregates", WindowFolds.toAggregates()))
            .apply("AllAggregates", Flatten.pCollections());
    // nothing of these series was stored at launch, so none of their windows' rows is either
    PCollectionTuple loadedAggregates = loadAggregates(aggregates, s, s.storedAtLaunch);

    // the series' spans from each bundle's first and last winner per series, as from all of them
    PCollectionTuple loadedSeries =
        loadSeries(one.get(OnePassBatch.SPAN_ENDS), one.get(OnePassBatch.SERIES), s);

    p.apply(
        "RecordRun",
        new RecordRun(
                s.warehouse,
                s.runId,
                s.startedAt,
                s.runner,
                s.configName,
                read,
                written(loadedRejects),
                loaded,
                one.get(OnePassBatch.SUPERSEDED),
                written(loadedAggregates),
                written(loadedSeries))
            .afterLake(
                PCollectionList.of(lakeFiles).apply("AllLakeFiles", Flatten.pCollections())));
  }

  /**
   * Rejects of validation and of the warehouse, written to the lake's rejected zone (its committed
   * files added to {@code lakeFiles}) and loaded into {@code rejects}.
   */
  private static PCollectionTuple landAndLoadRejects(
      PCollection<Reject> invalid,
      PCollection<Reject> refused,
      RunSettings s,
      List<PCollection<Long>> lakeFiles) {
    PCollection<Reject> rejects =
        PCollectionList.of(invalid).and(refused).apply("AllRejects", Flatten.pCollections());
    lakeFiles.add(
        WriteToLake.committedFiles(
            rejects.apply(
                "WriteRejectedToLake", WriteToLake.rejected(s.lakeRoot, s.ingestDate, s.runId)),
            "RejectedLake"));
    return rejects.apply(
        "LoadRejects",
        UpsertBatches.into(s.warehouse, Tables.rejects(s.runId)).withBatchSize(s.batchSize));
  }

  /** The {@code aggregates} rows loaded, with their progress. */
  /**
   * Loads the {@code aggregates} rows; with {@code storedAtLaunch} (the one-pass graph's first
   * loads) a batch of series that had no observation at launch goes straight into the table without
   * a probe per batch.
   */
  private static PCollectionTuple loadAggregates(
      PCollection<Aggregate> aggregates,
      RunSettings s,
      dev.tslake.warehouse.@Nullable StoredKeyRanges storedAtLaunch) {
    PCollectionTuple loaded =
        aggregates.apply(
            "LoadAggregates",
            UpsertBatches.into(s.warehouse, Tables.aggregates())
                .withBatchSize(s.batchSize)
                .withRegrouping(s.dedupShards)
                .withStoredAtLaunch(storedAtLaunch));
    loaded
        .get(UpsertBatches.WRITTEN)
        .apply("ProgressAggregates", Progress.summing(s.runId, 4, "aggregates", s.progressMillis));
    return loaded;
  }

  /**
   * The {@code series} rows, from the spans of {@code winners} (every winner, or each group's first
   * and last: the same spans) and the sources' metadata, loaded.
   */
  private static PCollectionTuple loadSeries(
      PCollection<Observation> winners, PCollection<SeriesInfo> info, RunSettings s) {
    PCollection<SeriesRow> series =
        PCollectionTuple.of(DedupLatestVintage.LATEST, winners)
            .and(ReadSources.SERIES, info)
            .apply(
                "SeriesDimension",
                SeriesRows.of(s.config, DedupLatestVintage.LATEST, ReadSources.SERIES));
    return series.apply(
        "LoadSeries",
        UpsertBatches.into(s.warehouse, Tables.series())
            .withBatchSize(s.batchSize)
            .withRegrouping(s.dedupShards));
  }

  /**
   * The spans the warehouse readers query, spread over workers once for all of them: they come out
   * of a per-series combine, which a fusing runner would otherwise run the queries after on few
   * workers. Not on the DirectRunner, which does not fuse and already hands each series' span over
   * as a bundle of its own; there the reshuffle only added bundles.
   */
  static PCollection<KV<String, KV<Long, Long>>> spreadSpans(
      PCollection<KV<String, KV<Long, Long>>> spans, String runner) {
    return "DirectRunner".equals(runner)
        ? spans
        : spans.apply("SpreadSpans", Reshuffle.viaRandomKey());
  }

  private static java.util.Set<String> resampledSources(RunSettings s) {
    java.util.Set<String> names = new java.util.HashSet<>();
    for (dev.tslake.config.SourceConfig c : s.config.sources) {
      if (c.resample != null) {
        names.add(c.name);
      }
    }
    return names;
  }

  /** A load's rows written, one partial count per batch (RecordRun sums them). */
  private static PCollection<Long> written(PCollectionTuple loaded) {
    return loaded.get(UpsertBatches.WRITTEN);
  }

  /** An observation the warehouse refused, back in raw form for the rejects table and lake. */
  static RawRecord asRawRecord(Observation o) {
    return o.asRawRecord();
  }
}

package dev.tslake.warehouse;

import dev.tslake.model.CheckResult;
import dev.tslake.model.FetchOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step of a run: once every load has finished, writes the run's row to {@code
 * pipeline_runs} and fails the run with the numbers if they do not add up.
 *
 * <p>Every count arrives as a main input, not a side input: each named count collection (partial
 * counts, per bundle or per batch, whose sum is the count), the failed checks and the live sources'
 * outcomes are gathered by one {@link CoGroupByKey} on the run id, which emits only when all of
 * them have ended, so the row cannot be written earlier. A side input per count, as before, cost
 * the DirectRunner a re-evaluation of every waiting step at each watermark change (about 1,500
 * bundles of the default job went to that).
 *
 * <pre>{@code
 * p.apply("RecordRun",
 *     new RecordRun(warehouse, runId, startedAt, "DirectRunner", "tslake.json",
 *             read, rejected, loaded, superseded, aggregates, series)   // PCollection<Long> each
 *         .afterLake(lakeFileCounts)
 *         .withChecks(passedCounts, failedChecks, writtenCounts)
 *         .withFetchOutcomes(outcomes));
 * }</pre>
 */
public final class RecordRun extends PTransform<PBegin, PDone> {
  private static final Logger LOG = LoggerFactory.getLogger(RecordRun.class);

  static final String READ = "read";
  static final String REJECTED = "rejected";
  static final String LOADED = "loaded";
  static final String SUPERSEDED = "superseded";
  static final String AGGREGATES = "aggregates";
  static final String SERIES = "series";
  static final String LAKE_FILES = "lake_files";
  static final String CHECKS_PASSED = "checks_passed";
  static final String CHECKS_WRITTEN = "checks_written";

  private static final TupleTag<String> ID = new TupleTag<String>() {};
  private static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<KV<String, Long>>() {};
  private static final TupleTag<CheckResult> FAILED = new TupleTag<CheckResult>() {};
  private static final TupleTag<FetchOutcome> FETCHES = new TupleTag<FetchOutcome>() {};

  private final WarehouseSpec spec;
  private final String runId;
  private final Instant startedAt;
  private final String runner;
  private final String config;

  /** Named partial counts; graph construction only. */
  private final transient Map<String, PCollection<Long>> counts = new LinkedHashMap<>();

  private transient @Nullable PCollection<FetchOutcome> fetches;
  private transient @Nullable PCollection<CheckResult> checksFailed;

  /**
   * Each count is a collection of partial counts (0 or more elements) whose sum is the count: per
   * bundle ({@code CountElements}) or per batch ({@code UpsertBatches.WRITTEN}).
   */
  public RecordRun(
      WarehouseSpec spec,
      String runId,
      Instant startedAt,
      String runner,
      String config,
      PCollection<Long> read,
      PCollection<Long> rejected,
      PCollection<Long> loaded,
      PCollection<Long> superseded,
      PCollection<Long> aggregates,
      PCollection<Long> series) {
    this.spec = spec;
    this.runId = runId;
    this.startedAt = startedAt;
    this.runner = runner;
    this.config = config;
    counts.put(READ, read);
    counts.put(REJECTED, rejected);
    counts.put(LOADED, loaded);
    counts.put(SUPERSEDED, superseded);
    counts.put(AGGREGATES, aggregates);
    counts.put(SERIES, series);
  }

  /**
   * Waits for the lake too: {@code lakeFiles} (partial counts of the lake files the run committed)
   * must be emitted only after every lake write committed, so the run is recorded as succeeded only
   * once its lake files are in place; a lake write that fails fails the run before this step runs.
   * The count goes to {@code pipeline_runs.lake_files}.
   */
  public RecordRun afterLake(PCollection<Long> lakeFiles) {
    counts.put(LAKE_FILES, lakeFiles);
    return this;
  }

  /**
   * The live sources' outcomes: any request that failed for good makes the run {@code incomplete}
   * (its URLs in {@code message}); series fetched completely advance {@code fetch_state}, in the
   * same transaction as the run's row and only when the run accounts for every record.
   */
  public RecordRun withFetchOutcomes(PCollection<FetchOutcome> outcomes) {
    this.fetches = outcomes;
    return this;
  }

  /**
   * The declared checks' outcome: partial counts of those that passed, the failed ones, and partial
   * counts of the rows written to {@code quality_results} (so the run is recorded after them). A
   * failed {@code error} check ends a balanced run as {@code failed_checks}.
   */
  public RecordRun withChecks(
      PCollection<Long> passed, PCollection<CheckResult> failed, PCollection<Long> written) {
    counts.put(CHECKS_PASSED, passed);
    counts.put(CHECKS_WRITTEN, written);
    this.checksFailed = failed;
    return this;
  }

  /** {@link #outcome(RunRecord, List)}, then {@code failed_checks} if an error check failed. */
  static RunRecord outcome(
      RunRecord run, List<FetchOutcome> outcomes, List<CheckResult> failedChecks) {
    RunRecord out = outcome(run, outcomes);
    List<String> errors = new ArrayList<>();
    for (CheckResult r : failedChecks) {
      if (dev.tslake.config.CheckSpec.ERROR.equals(r.severity)) {
        errors.add(r.source + "/" + r.seriesId + " " + r.check);
      }
    }
    if (errors.isEmpty() || RunRecord.FAILED.equals(out.status)) {
      return out;
    }
    java.util.Collections.sort(errors);
    return out.withStatus(
        RunRecord.FAILED_CHECKS,
        errors.size()
            + " error check(s) failed (the data is loaded; see quality_results): "
            + String.join(", ", errors.subList(0, Math.min(20, errors.size())))
            + (errors.size() > 20 ? ", ..." : "")
            + "; "
            + out.message);
  }

  /** The run's status and message from its accounting and the live sources' outcomes. */
  static RunRecord outcome(RunRecord run, List<FetchOutcome> outcomes) {
    if (!run.settled()) {
      return run.withStatus(
          RunRecord.FAILED,
          "run " + run.runId + " does not account for every record: " + run.accountingMessage());
    }
    List<String> failed = new ArrayList<>();
    for (FetchOutcome o : outcomes) {
      if (!o.complete) {
        failed.add(
            o.failure != null && o.failure.contains(o.url) ? o.failure : o.url + ": " + o.failure);
      }
    }
    if (!failed.isEmpty()) {
      return run.withStatus(
          RunRecord.INCOMPLETE,
          failed.size()
              + " request(s) failed for good; the next run fetches them again: "
              + String.join("; ", failed)
              + "; "
              + run.accountingMessage());
    }
    return run.withStatus(RunRecord.SUCCEEDED, run.accountingMessage());
  }

  /** Advances each completely fetched series' start point (never backwards). */
  static void advanceFetchState(Connection c, String runId, List<FetchOutcome> outcomes)
      throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO fetch_state (source, series_id, complete_through, run_id, updated_at)"
                + " VALUES (?, ?, CAST(? AS DATE), ?, ?) ON CONFLICT (source, series_id) DO UPDATE"
                + " SET complete_through = GREATEST(fetch_state.complete_through,"
                + " EXCLUDED.complete_through), run_id = EXCLUDED.run_id,"
                + " updated_at = EXCLUDED.updated_at")) {
      for (FetchOutcome o : outcomes) {
        if (!o.complete || o.seriesId == null || o.completeThrough == null) {
          continue;
        }
        st.setString(1, o.source);
        st.setString(2, o.seriesId);
        st.setString(3, o.completeThrough);
        st.setString(4, runId);
        st.setObject(5, OffsetDateTime.now(ZoneOffset.UTC));
        st.executeUpdate();
      }
    }
  }

  @Override
  public PDone expand(PBegin begin) {
    KvCoder<String, KV<String, Long>> named =
        KvCoder.of(StringUtf8Coder.of(), KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    PCollectionList<KV<String, KV<String, Long>>> all = PCollectionList.empty(begin.getPipeline());
    for (Map.Entry<String, PCollection<Long>> e : counts.entrySet()) {
      all =
          all.and(
              e.getValue()
                  .apply("Tally " + e.getKey(), ParDo.of(new TallyFn(runId, e.getKey())))
                  .setCoder(named));
    }
    KeyedPCollectionTuple<String> gathered =
        KeyedPCollectionTuple.of(
                ID,
                begin
                    .apply("RunId", Create.of(KV.of(runId, runId)))
                    .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())))
            .and(COUNTS, all.apply("AllCounts", Flatten.pCollections()));
    PCollection<CheckResult> failed = checksFailed;
    if (failed != null) {
      gathered =
          gathered.and(
              FAILED,
              failed
                  .apply("KeyFailedChecks", WithKeys.of(runId))
                  .setCoder(KvCoder.of(StringUtf8Coder.of(), failed.getCoder())));
    }
    PCollection<FetchOutcome> outcomes = fetches;
    if (outcomes != null) {
      gathered =
          gathered.and(
              FETCHES,
              outcomes
                  .apply("KeyFetchOutcomes", WithKeys.of(runId))
                  .setCoder(KvCoder.of(StringUtf8Coder.of(), outcomes.getCoder())));
    }
    gathered
        .apply("Gather", CoGroupByKey.create())
        .apply(
            "WritePipelineRun",
            ParDo.of(
                new WriteRunFn(
                    spec,
                    runId,
                    startedAt,
                    runner,
                    config,
                    counts.containsKey(LAKE_FILES),
                    failed != null)));
    return PDone.in(begin.getPipeline());
  }

  /** A count collection's partial counts, each named and keyed by the run id. */
  static final class TallyFn extends DoFn<Long, KV<String, KV<String, Long>>> {
    private final String runId;
    private final String name;

    TallyFn(String runId, String name) {
      this.runId = runId;
      this.name = name;
    }

    @ProcessElement
    public void process(@Element Long n, OutputReceiver<KV<String, KV<String, Long>>> out) {
      out.output(KV.of(runId, KV.of(name, n)));
    }
  }

  /** The gathered elements of {@code tag}; empty when the run has no such input. */
  static <T> List<T> listOf(CoGbkResult all, TupleTag<T> tag) {
    List<T> out = new ArrayList<>();
    if (all.getSchema().getTupleTagList().getAll().contains(tag)) {
      all.getAll(tag).forEach(out::add);
    }
    return out;
  }

  /** Sums the gathered counts and writes the run's row (one element: the run id's group). */
  static final class WriteRunFn extends DoFn<KV<String, CoGbkResult>, Void> {
    private final WarehouseSpec spec;
    private final String runId;
    private final Instant startedAt;
    private final String runner;
    private final String config;
    private final boolean lake;
    private final boolean checks;

    WriteRunFn(
        WarehouseSpec spec,
        String runId,
        Instant startedAt,
        String runner,
        String config,
        boolean lake,
        boolean checks) {
      this.spec = spec;
      this.runId = runId;
      this.startedAt = startedAt;
      this.runner = runner;
      this.config = config;
      this.lake = lake;
      this.checks = checks;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> gathered) throws Exception {
      CoGbkResult all = gathered.getValue();
      Map<String, Long> sums = new HashMap<>();
      for (KV<String, Long> c : all.getAll(COUNTS)) {
        sums.merge(c.getKey(), c.getValue(), Long::sum);
      }
      RunRecord run =
          new RunRecord(
              runId,
              startedAt,
              Instant.now(),
              runner,
              config,
              sums.getOrDefault(READ, 0L),
              sums.getOrDefault(REJECTED, 0L),
              sums.getOrDefault(LOADED, 0L),
              sums.getOrDefault(SUPERSEDED, 0L),
              sums.getOrDefault(AGGREGATES, 0L),
              sums.getOrDefault(SERIES, 0L));
      List<FetchOutcome> outcomes = listOf(all, FETCHES);
      List<CheckResult> failedChecks = listOf(all, FAILED);
      run = outcome(run, outcomes, failedChecks);
      try (Connection conn = spec.open()) {
        if (run.settled()) {
          advanceFetchState(conn, runId, outcomes);
        }
        run.insert(conn); // commits both
        if (lake) {
          RunRecord.recordLakeFiles(conn, runId, sums.getOrDefault(LAKE_FILES, 0L));
        }
        if (checks) {
          RunRecord.recordChecks(
              conn, runId, sums.getOrDefault(CHECKS_PASSED, 0L), failedChecks.size());
        }
      }
      LOG.info("recorded run {} in pipeline_runs: {}", runId, run.accountingMessage());
      if (!run.settled()) {
        throw new IllegalStateException(
            "run " + runId + " does not account for every record: " + run.accountingMessage());
      }
    }
  }
}

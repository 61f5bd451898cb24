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
import java.util.List;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PDone;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step of a run: once every load has finished (its counts are side inputs, so this cannot
 * run earlier), writes the run's row to {@code pipeline_runs} and fails the run with the numbers if
 * they do not add up.
 */
public final class RecordRun extends PTransform<PBegin, PDone> {
  private static final Logger LOG = LoggerFactory.getLogger(RecordRun.class);

  private final WarehouseSpec spec;
  private final String runId;
  private final Instant startedAt;
  private final String runner;
  private final String config;
  private final PCollectionView<Long> read;
  private final PCollectionView<Long> rejected;
  private final PCollectionView<Long> loaded;
  private final PCollectionView<Long> superseded;
  private final PCollectionView<Long> aggregates;
  private final PCollectionView<Long> series;
  private PCollectionView<List<FetchOutcome>> fetches;

  /** Declared checks (see {@link #withChecks}); null: the run has none. */
  private @Nullable PCollectionView<Long> checksPassed;

  private @Nullable PCollectionView<List<CheckResult>> checksFailed;
  private @Nullable PCollectionView<Long> checksWritten;

  /** Lake files committed by the run (see {@link #afterLake}); null: not waited for. */
  private @Nullable PCollectionView<Long> lakeFiles;

  public RecordRun(
      WarehouseSpec spec,
      String runId,
      Instant startedAt,
      String runner,
      String config,
      PCollectionView<Long> read,
      PCollectionView<Long> rejected,
      PCollectionView<Long> loaded,
      PCollectionView<Long> superseded,
      PCollectionView<Long> aggregates,
      PCollectionView<Long> series) {
    this.spec = spec;
    this.runId = runId;
    this.startedAt = startedAt;
    this.runner = runner;
    this.config = config;
    this.read = read;
    this.rejected = rejected;
    this.loaded = loaded;
    this.superseded = superseded;
    this.aggregates = aggregates;
    this.series = series;
  }

  /**
   * Waits for the lake too: {@code lakeFiles} (the number of lake files the run committed) must
   * become available only after every lake write committed, so the run is recorded as succeeded
   * only once its lake files are in place; a lake write that fails fails the run before this step
   * runs. The count goes to {@code pipeline_runs.lake_files}.
   */
  public RecordRun afterLake(PCollectionView<Long> lakeFiles) {
    this.lakeFiles = lakeFiles;
    return this;
  }

  /**
   * The live sources' outcomes: any request that failed for good makes the run {@code incomplete}
   * (its URLs in {@code message}); series fetched completely advance {@code fetch_state}, in the
   * same transaction as the run's row and only when the run accounts for every record.
   */
  public RecordRun withFetchOutcomes(PCollectionView<List<FetchOutcome>> outcomes) {
    this.fetches = outcomes;
    return this;
  }

  /**
   * The declared checks' outcome: how many passed, the failed ones, and the number of rows written
   * to {@code quality_results} (so the run is recorded after them). A failed {@code error} check
   * ends a balanced run as {@code failed_checks}.
   */
  public RecordRun withChecks(
      PCollectionView<Long> passed,
      PCollectionView<List<CheckResult>> failed,
      PCollectionView<Long> written) {
    this.checksPassed = passed;
    this.checksFailed = failed;
    this.checksWritten = written;
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
    PCollectionView<Long> lakeFiles = this.lakeFiles;
    PCollection<String> id = begin.apply("RunId", Create.of(runId));
    PCollectionView<List<FetchOutcome>> outcomesView = fetches;
    PCollectionView<Long> passedView = checksPassed;
    PCollectionView<List<CheckResult>> failedView = checksFailed;
    List<PCollectionView<?>> sideInputs =
        new ArrayList<>(List.of(read, rejected, loaded, superseded, aggregates, series));
    if (lakeFiles != null) {
      sideInputs.add(lakeFiles);
    }
    if (outcomesView != null) {
      sideInputs.add(outcomesView);
    }
    if (passedView != null) {
      sideInputs.addAll(List.of(passedView, failedView, checksWritten));
    }
    id.apply(
        "WritePipelineRun",
        ParDo.of(
                new DoFn<String, Void>() {
                  @ProcessElement
                  public void process(ProcessContext c) throws Exception {
                    RunRecord run =
                        new RunRecord(
                            runId,
                            startedAt,
                            Instant.now(),
                            runner,
                            config,
                            c.sideInput(read),
                            c.sideInput(rejected),
                            c.sideInput(loaded),
                            c.sideInput(superseded),
                            c.sideInput(aggregates),
                            c.sideInput(series));
                    List<FetchOutcome> outcomes =
                        outcomesView == null ? List.of() : c.sideInput(outcomesView);
                    List<CheckResult> failedChecks =
                        failedView == null ? List.of() : c.sideInput(failedView);
                    run = outcome(run, outcomes, failedChecks);
                    try (Connection conn = spec.open()) {
                      if (run.settled()) {
                        advanceFetchState(conn, runId, outcomes);
                      }
                      run.insert(conn); // commits both
                      if (lakeFiles != null) {
                        RunRecord.recordLakeFiles(conn, runId, c.sideInput(lakeFiles));
                      }
                      if (passedView != null) {
                        RunRecord.recordChecks(
                            conn, runId, c.sideInput(passedView), failedChecks.size());
                      }
                    }
                    LOG.info(
                        "recorded run {} in pipeline_runs: {}", runId, run.accountingMessage());
                    if (!run.settled()) {
                      throw new IllegalStateException(
                          "run "
                              + runId
                              + " does not account for every record: "
                              + run.accountingMessage());
                    }
                  }
                })
            .withSideInputs(sideInputs));
    return PDone.in(begin.getPipeline());
  }
}

package dev.tslake.warehouse;

import java.sql.Connection;
import java.time.Instant;
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

  @Override
  public PDone expand(PBegin begin) {
    PCollectionView<Long> lakeFiles = this.lakeFiles;
    List<PCollectionView<?>> sideInputs =
        new java.util.ArrayList<>(List.of(read, rejected, loaded, superseded, aggregates, series));
    if (lakeFiles != null) {
      sideInputs.add(lakeFiles);
    }
    PCollection<String> id = begin.apply("RunId", Create.of(runId));
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
                    try (Connection conn = spec.open()) {
                      run.insert(conn);
                      if (lakeFiles != null) {
                        RunRecord.recordLakeFiles(conn, runId, c.sideInput(lakeFiles));
                      }
                    }
                    LOG.info(
                        "recorded run {} in pipeline_runs: {}", runId, run.accountingMessage());
                    if (!run.balanced()) {
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

package dev.tslake;

import dev.tslake.aggregate.AggregateTriggering;
import dev.tslake.aggregate.ContinuousAggregates;
import dev.tslake.analytics.LatestStats;
import dev.tslake.config.SourceConfig;
import dev.tslake.lake.WriteToLake;
import dev.tslake.model.LatestStat;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.model.SeriesInfo;
import dev.tslake.progress.Progress;
import dev.tslake.sources.ReadSources;
import dev.tslake.sources.WatchFiles;
import dev.tslake.sources.live.PollSources;
import dev.tslake.transform.DedupLatestVintage;
import dev.tslake.transform.StreamingDedup;
import dev.tslake.transform.ValidateAndClean;
import dev.tslake.warehouse.RunProgress;
import dev.tslake.warehouse.SeriesRows;
import dev.tslake.warehouse.Tables;
import dev.tslake.warehouse.UpsertBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.joda.time.Duration;

/**
 * The graph of a continuous run ({@code --streaming=true}): the sources with {@code poll} and
 * {@code watch} read again and again, the same validation as in batch, dedup across polls with
 * bounded state, observations loaded as they come, the aggregates of the windows they fall in
 * rewritten pane by pane ({@link ContinuousAggregates}), the trailing statistics of each series in
 * {@code latest}, raw and rejected records in windowed lake files, and the run's row in {@code
 * pipeline_runs} kept current ({@link RunProgress}). With {@code --stopAfter} the sources end, the
 * watermarks reach the end of time, the last panes fire and the job finishes by itself.
 */
public final class ContinuousGraph {
  /** Beam counter of the raw records read: the launcher checks the run's accounting against it. */
  public static final String METRICS = "tslake.run";

  public static final String RECORDS_READ = "records_read";

  private ContinuousGraph() {}

  /** What a continuous run needs beyond {@link RunSettings}. */
  public static final class Timing implements java.io.Serializable {
    final AggregateTriggering triggering;
    final Duration runUpdates;

    public Timing(AggregateTriggering triggering, Duration runUpdates) {
      this.triggering = triggering;
      this.runUpdates = runUpdates;
    }
  }

  /**
   * The sources a continuous run reads: every one must have {@code poll} (live) or {@code watch}
   * (files); a clear error names the others.
   */
  static void checkContinuousSources(RunSettings s) {
    List<String> still = new ArrayList<>();
    for (SourceConfig c : s.config.sources) {
      if ((c.isLive() && c.poll == null) || (!c.isLive() && c.watch == null)) {
        still.add(c.name);
      }
    }
    if (!still.isEmpty()) {
      throw new IllegalArgumentException(
          "--streaming=true reads sources continuously, but "
              + String.join(", ", still)
              + (still.size() == 1 ? " has" : " have")
              + " neither 'poll' (live APIs) nor 'watch' (files) in "
              + s.configName
              + ": add one, or run them in batch (without --streaming)");
    }
    if (s.replayFromLake) {
      throw new IllegalArgumentException(
          "--replayLake replays the lake in batch; it cannot be combined with --streaming=true");
    }
  }

  /** The continuous graph, as tests build it. */
  public static void build(Pipeline p, RunSettings s, Timing timing) {
    checkContinuousSources(s);
    List<PCollection<RawRecord>> raws = new ArrayList<>();
    List<PCollection<SeriesInfo>> infos = new ArrayList<>();
    if (!PollSources.polled(s.config).isEmpty()) {
      Map<String, java.time.LocalDate> seed = Launch.pollSeed(s);
      PCollectionTuple polled =
          p.apply("PollSources", PollSources.of(s.config, s.api, seed, s.stopAfter));
      raws.add(polled.get(ReadSources.RAW));
      infos.add(polled.get(ReadSources.SERIES));
    }
    if (!WatchFiles.watched(s.config).isEmpty()) {
      PCollectionTuple watched = p.apply("WatchFiles", WatchFiles.of(s.config, s.stopAfter));
      raws.add(watched.get(ReadSources.RAW));
      infos.add(watched.get(ReadSources.SERIES));
    }
    PCollection<RawRecord> raw =
        PCollectionList.of(raws)
            .apply("AllRaw", Flatten.pCollections())
            .apply("CountRead", ParDo.of(new CountReadFn()))
            .setCoder(RawRecord.Coder.of())
            .apply("ProgressRead", Progress.of(s.runId, 0, "read", s.progressMillis));
    Duration period = lakePeriod(s);
    raw.apply(
        "WriteRawToLake",
        WriteToLake.rawWindowed(s.lakeRoot, s.runId, period)
            .withAllowedLateness(lakeLateness(timing)));

    PCollectionTuple validated = raw.apply("ValidateAndClean", ValidateAndClean.of(s.config));
    PCollectionTuple deduped =
        validated
            .get(ValidateAndClean.VALID)
            .apply(
                "StreamingDedup",
                StreamingDedup.create().withAllowedLateness(timing.triggering.allowedLateness()));
    PCollection<Observation> winners =
        deduped
            .get(StreamingDedup.LATEST)
            .apply("ProgressDeduped", Progress.of(s.runId, 2, "deduped", s.progressMillis));
    PCollectionTuple loaded =
        winners.apply(
            "LoadObservations",
            UpsertBatches.into(s.warehouse, Tables.observations())
                .withBatchSize(s.batchSize)
                .withDeadLetter(f -> new Reject("warehouse", f.reason, TsLake.asRawRecord(f.row)))
                .withCommittedRows());
    PCollection<Observation> committed = loaded.get(UpsertBatches.committed());
    loaded
        .get(UpsertBatches.WRITTEN)
        .apply("ProgressLoaded", Progress.summing(s.runId, 3, "loaded", s.progressMillis));

    PCollection<Reject> rejects =
        PCollectionList.of(validated.get(ValidateAndClean.REJECTED))
            .and(loaded.get(UpsertBatches.FAILED))
            .apply("AllRejects", Flatten.pCollections());
    rejects.apply(
        "WriteRejectedToLake",
        WriteToLake.rejectedWindowed(s.lakeRoot, s.runId, period)
            .withAllowedLateness(lakeLateness(timing)));
    PCollectionTuple loadedRejects =
        rejects.apply(
            "LoadRejects",
            UpsertBatches.into(s.warehouse, Tables.rejects(s.runId)).withBatchSize(s.batchSize));

    PCollection<Long> aggregates =
        committed.apply(
            "ContinuousAggregates",
            ContinuousAggregates.of(s.config, s.warehouse, timing.triggering));
    aggregates.apply(
        "ProgressAggregates", Progress.summing(s.runId, 4, "aggregates", s.progressMillis));

    PCollection<LatestStat> latest = committed.apply("LatestStats", LatestStats.of(s.config));
    latest.apply(
        "LoadLatest", UpsertBatches.into(s.warehouse, Tables.latest()).withBatchSize(s.batchSize));

    // the series dimension: first/last ts merge with what is stored (LEAST/GREATEST)
    Window<Observation> everyPeriodObs = everyPeriod(timing.triggering.earlyPeriod());
    Window<SeriesInfo> everyPeriodInfo = everyPeriod(timing.triggering.earlyPeriod());
    PCollectionTuple loadedSeries =
        PCollectionTuple.of(
                DedupLatestVintage.LATEST, committed.apply("SeriesPeriod", everyPeriodObs))
            .and(
                ReadSources.SERIES,
                PCollectionList.of(infos)
                    .apply("AllSeries", Flatten.pCollections())
                    .apply("InfoPeriod", everyPeriodInfo))
            .apply(
                "SeriesDimension",
                SeriesRows.of(s.config, DedupLatestVintage.LATEST, ReadSources.SERIES))
            .apply(
                "LoadSeries",
                UpsertBatches.into(s.warehouse, Tables.series()).withBatchSize(s.batchSize));

    p.apply(
        "RunProgress",
        RunProgress.of(s.warehouse, s.runId, s.startedAt, s.runner, s.configName)
            .every(timing.runUpdates)
            .rejected(loadedRejects.get(UpsertBatches.WRITTEN))
            .loaded(loaded.get(UpsertBatches.WRITTEN))
            .superseded(deduped.get(StreamingDedup.SUPERSEDED))
            .aggregates(aggregates)
            .series(loadedSeries.get(UpsertBatches.WRITTEN))
            .read(
                raw.apply(
                    "CountReadInState",
                    org.apache.beam.sdk.transforms.MapElements.into(
                            org.apache.beam.sdk.values.TypeDescriptors.longs())
                        .via((RawRecord r) -> 1L))));
  }

  private static <T> Window<T> everyPeriod(Duration period) {
    return Window.<T>into(new GlobalWindows())
        .triggering(
            Repeatedly.forever(AfterProcessingTime.pastFirstElementInPane().plusDelayOf(period)))
        .discardingFiredPanes()
        .withAllowedLateness(Duration.ZERO);
  }

  /**
   * How long the windowed lake files of a period accept late records: the run's {@code
   * --allowedLateness} (default PT1H), not {@link
   * dev.tslake.lake.WriteWindowedToLake#DEFAULT_ALLOWED_LATENESS} (a day). Each period window (a
   * second when a source polls every second) keeps its trigger state, watermark hold and
   * garbage-collection timer per source until its end plus this lateness, so with a day the state
   * of a continuous run grew with every poll for 24 hours (86,400 windows per source); with the
   * run's lateness it is bounded by that much time. Raw records carry their fetch time, which the
   * polling sources' watermark follows, so none is late in practice.
   */
  static Duration lakeLateness(Timing timing) {
    return timing.triggering.allowedLateness();
  }

  /**
   * Lake files per source and period: the shortest poll or watch interval of the config, at least a
   * second and at most an hour.
   */
  static Duration lakePeriod(RunSettings s) {
    long millis = Long.MAX_VALUE;
    for (SourceConfig c : s.config.sources) {
      java.time.Duration d = c.isLive() ? c.pollInterval() : c.watchInterval();
      if (d != null) {
        millis = Math.min(millis, d.toMillis());
      }
    }
    if (millis == Long.MAX_VALUE) {
      millis = 60_000;
    }
    return Duration.millis(Math.max(1_000, Math.min(3_600_000, millis)));
  }

  /** Counts the raw records read (a Beam counter the launcher compares with the run's row). */
  static final class CountReadFn extends DoFn<RawRecord, RawRecord> {
    private final Counter read = Metrics.counter(METRICS, RECORDS_READ);

    @ProcessElement
    public void process(@Element RawRecord r, OutputReceiver<RawRecord> out) {
      read.inc();
      out.output(r);
    }
  }
}

package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The {@code aggregates} rows: observations stamped with their event time, then {@code
 * Window.into(SourceWindows)}, which puts each observation in one window per window size its source
 * asks for (the windows of {@link SpecWindows} for that size), and {@code Combine.perKey} keyed by
 * (window size, source, series), the window's size and bounds taken from the pane's {@link
 * SizedWindow}. One branch for all sizes, not one per size: on Flink's batch (DataSet) runner every
 * branch was a consumer of every observation, so a full decode pass per window size.
 *
 * <p>Batch only (the job's step {@code WindowedAggregates}): the default trigger, one pane per
 * window, and the {@link SeriesStats} combiner, which runners lift before the shuffle (the
 * DirectRunner and Flink fold each bundle's points into one partial per key and window). A
 * continuous run's aggregates are {@link ContinuousAggregates}: panes of the same windows that
 * rewrite each window's row from the stored observations.
 */
public final class WindowIntoAggregates
    extends PTransform<PCollection<Observation>, PCollection<Aggregate>> {
  private final PipelineConfig config;

  private WindowIntoAggregates(PipelineConfig config) {
    this.config = config;
  }

  /** Batch: one pane per window when the input is complete. */
  public static WindowIntoAggregates of(PipelineConfig config) {
    return new WindowIntoAggregates(config);
  }

  @Override
  public PCollection<Aggregate> expand(PCollection<Observation> observations) {
    Coder<Observation> obsCoder = observations.getCoder();
    return observations
        .apply("EventTime", ParDo.of(new WindowedSourcesFn(SourceWindows.of(config))))
        .setCoder(obsCoder)
        .apply("Window", Window.into(SourceWindows.of(config)))
        .apply("InWindow", ParDo.of(new InWindowFn()))
        .setCoder(KvCoder.of(SizedWindow.CODER, obsCoder))
        .apply("Unwindowed", Window.<KV<SizedWindow, Observation>>into(new GlobalWindows()))
        .apply("PartialStatsPerBundle", ParDo.of(new PartialStatsFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), WindowedStats.CODER))
        .apply("Stats", Combine.perKey(new WindowedStats.MergeFn()))
        .apply("ToAggregates", ParDo.of(new WindowedToAggregatesFn()))
        .setCoder(Aggregate.coder());
  }

  /** Each point with each window {@link SourceWindows} put it in (one output per window). */
  static final class InWindowFn extends DoFn<Observation, KV<SizedWindow, Observation>> {
    @ProcessElement
    public void process(
        @Element Observation o,
        BoundedWindow window,
        OutputReceiver<KV<SizedWindow, Observation>> out) {
      out.output(KV.of((SizedWindow) window, o));
    }
  }

  /**
   * Combines before the shuffle: each bundle's points are folded into one {@link WindowedStats} per
   * (window size, series), and only those partial statistics cross it (on Flink's batch runner
   * combiner lifting encodes and sorts every input element first). The buffer is flushed early when
   * it holds {@link #MAX_BUFFERED_WINDOWS} windows, so memory stays bounded whatever the bundle
   * size.
   */
  static final class PartialStatsFn
      extends DoFn<KV<SizedWindow, Observation>, KV<String, WindowedStats>> {
    static final int MAX_BUFFERED_WINDOWS = 200_000;
    private transient Map<String, WindowedStats> partials;
    private transient int buffered;

    @StartBundle
    public void startBundle() {
      partials = new HashMap<>();
      buffered = 0;
    }

    @ProcessElement
    public void process(
        @Element KV<SizedWindow, Observation> kv, OutputReceiver<KV<String, WindowedStats>> out) {
      Observation o = kv.getValue();
      SizedWindow w = kv.getKey();
      WindowedStats stats =
          partials.computeIfAbsent(
              w.size() + '\u0000' + key(o.source, o.seriesId), k -> new WindowedStats());
      int before = stats.stats.size();
      stats.window(w.start(), w.end()).add(o.ts, o.value, !o.stored);
      buffered += stats.stats.size() - before;
      if (buffered >= MAX_BUFFERED_WINDOWS) {
        partials.forEach((k, v) -> out.output(KV.of(k, v)));
        partials = new HashMap<>();
        buffered = 0;
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) {
      partials.forEach(
          (k, v) ->
              ctx.output(KV.of(k, v), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE));
      partials = new HashMap<>();
      buffered = 0;
    }
  }

  /**
   * One {@link Aggregate} per window of a series that holds a record of this run; the key is the
   * window size, source and series, separated by NUL.
   */
  static final class WindowedToAggregatesFn extends DoFn<KV<String, WindowedStats>, Aggregate> {
    @ProcessElement
    public void process(@Element KV<String, WindowedStats> kv, OutputReceiver<Aggregate> out) {
      String[] parts = kv.getKey().split("\u0000", 3);
      WindowedStats w = kv.getValue();
      for (Map.Entry<Long, SeriesStats> e : w.stats.entrySet()) {
        Aggregate a =
            toAggregate(
                parts[1], parts[2], parts[0], e.getKey(), w.ends.get(e.getKey()), e.getValue());
        if (a != null) {
          out.output(a);
        }
      }
    }
  }

  /**
   * The row of one series' window, or null when only rows read back from the warehouse lie in it
   * (at the edges of the read range the window may be partial).
   */
  static @Nullable Aggregate toAggregate(
      String source, String series, String size, long start, long end, SeriesStats s) {
    if (!s.touched) {
      return null;
    }
    boolean any = s.n > 0;
    return new Aggregate(
        source,
        series,
        size,
        start,
        end,
        s.n,
        s.missing,
        any ? s.min : null,
        any ? s.max : null,
        s.mean(),
        any ? s.first : null,
        any ? s.last : null,
        s.stddev());
  }

  /** Key: source and series, separated by NUL (which no series id contains). */
  static String key(String source, String series) {
    return source + '\u0000' + series;
  }

  /**
   * The observations of the sources that ask for windows, each stamped with its event time ({@link
   * Observation#ts}); the others are dropped here, since a {@code Window.into} must give every
   * element a window.
   */
  static final class WindowedSourcesFn extends DoFn<Observation, Observation> {
    private final SourceWindows windows;

    WindowedSourcesFn(SourceWindows windows) {
      this.windows = windows;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<Observation> out) {
      if (windows.windows(o.source)) {
        out.outputWithTimestamp(o, new Instant(o.ts));
      }
    }

    /** As {@link EventTimeFn}'s. */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }

  /** Each observation's element timestamp becomes its event time, {@link Observation#ts}. */
  static final class EventTimeFn extends DoFn<Observation, Observation> {
    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<Observation> out) {
      out.outputWithTimestamp(o, new Instant(o.ts));
    }

    /** Upstream stamps are processing artefacts (a batch read, a bundle's end), not event time. */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}

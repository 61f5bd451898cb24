package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The {@code aggregates} rows: per distinct window size of the config one branch that puts each
 * observation of the size's sources in the window {@link SpecWindows} assigns to its time ({@link
 * SpecWindows#windowOf}, what {@code Window.into(SpecWindows.of(size))} assigns from an element's
 * event time), folds each bundle's points per series into {@link WindowedStats} and merges them
 * with {@code Combine.perKey} keyed by (source, series). The branches are flattened.
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
    // Window size (normalized text) -> the sources that ask for it, in a stable order.
    Map<String, HashSet<String>> sourcesBySize = new TreeMap<>();
    for (SourceConfig s : config.sources) {
      for (WindowSpec w : s.windowSpecs()) {
        sourcesBySize.computeIfAbsent(w.text(), k -> new HashSet<>()).add(s.name);
      }
    }
    List<PCollection<Aggregate>> branches = new ArrayList<>();
    for (Map.Entry<String, HashSet<String>> e : sourcesBySize.entrySet()) {
      branches.add(batch(observations, e.getKey(), e.getValue()));
    }
    return PCollectionList.of(branches)
        .apply("AllSizes", Flatten.pCollections())
        .setCoder(Aggregate.coder());
  }

  /**
   * Batch: each point of {@code sources} in the window of {@code size} that holds its time, folded
   * per bundle into one {@link WindowedStats} per series (all its windows) and merged by {@code
   * Combine.perKey} per series. Same rows as {@code Window.into(SpecWindows)} and one {@code
   * Combine.perKey} per series and window, without its cost on the DirectRunner, which runs one
   * group and one timer per key and window: on the default data (a century of monthly FRED windows,
   * hourly taxi windows) that kept the end-to-end run busy for many minutes instead of about one.
   * The window comes from the point's own time, not from an element timestamp: no pass to stamp
   * event times and none to assign windows and put the points back into the global window (on Flink
   * the stamping was a pass of its own over every observation).
   */
  private PCollection<Aggregate> batch(
      PCollection<Observation> observations, String size, HashSet<String> sources) {
    return observations
        .apply(
            "PartialStatsPerBundle " + size,
            ParDo.of(new PartialStatsFn(WindowSpec.parse(size), sources)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), WindowedStats.CODER))
        .apply("Stats " + size, Combine.perKey(new WindowedStats.MergeFn()))
        .apply("ToAggregates " + size, ParDo.of(new WindowedToAggregatesFn(size)))
        .setCoder(Aggregate.coder());
  }

  /**
   * Combines before the shuffle: each bundle's points are folded into one {@link WindowedStats} per
   * series, and only those partial statistics cross it (on Flink's batch runner combiner lifting
   * encodes and sorts every input element first). The buffer is flushed early when it holds {@link
   * #MAX_BUFFERED_WINDOWS} windows, so memory stays bounded whatever the bundle size.
   */
  static final class PartialStatsFn extends DoFn<Observation, KV<String, WindowedStats>> {
    static final int MAX_BUFFERED_WINDOWS = 200_000;
    private final WindowSpec spec;
    private final HashSet<String> sources;
    private transient Map<String, WindowedStats> partials;
    private transient int buffered;

    PartialStatsFn(WindowSpec spec, HashSet<String> sources) {
      this.spec = spec;
      this.sources = sources;
    }

    @StartBundle
    public void startBundle() {
      partials = new HashMap<>();
      buffered = 0;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, WindowedStats>> out) {
      if (!sources.contains(o.source)) {
        return;
      }
      WindowedStats stats =
          partials.computeIfAbsent(key(o.source, o.seriesId), k -> new WindowedStats());
      int before = stats.stats.size();
      long[] bounds = spec.bounds(o.ts); // SpecWindows.windowOf(o.ts)
      stats.window(bounds[0], bounds[1]).add(o.ts, o.value, !o.stored);
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

  /** One {@link Aggregate} per window of a series that holds a record of this run. */
  static final class WindowedToAggregatesFn extends DoFn<KV<String, WindowedStats>, Aggregate> {
    private final String size;

    WindowedToAggregatesFn(String size) {
      this.size = size;
    }

    @ProcessElement
    public void process(@Element KV<String, WindowedStats> kv, OutputReceiver<Aggregate> out) {
      String[] parts = kv.getKey().split("\u0000", 2);
      WindowedStats w = kv.getValue();
      for (Map.Entry<Long, SeriesStats> e : w.stats.entrySet()) {
        Aggregate a =
            toAggregate(parts[0], parts[1], size, e.getKey(), w.ends.get(e.getKey()), e.getValue());
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

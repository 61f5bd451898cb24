package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The {@code aggregates} rows: observations stamped with their event time, then per distinct window
 * size of the config one branch {@code Window.into(SpecWindows.of(size))} and {@code
 * Combine.perKey} keyed by (source, series), the window's bounds taken from the pane's {@link
 * IntervalWindow}. The branches are put back into the global window and flattened.
 *
 * <p>Batch (the job's step {@code WindowedAggregates}): the default trigger, one pane per window,
 * and the {@link SeriesStats} combiner, which runners lift before the shuffle (the DirectRunner and
 * Flink fold each bundle's points into one partial per key and window).
 *
 * <p>Streaming ({@link #withTriggering}): on-time, early and late panes as {@link
 * AggregateTriggering} says, accumulating. The accumulator keeps the latest vintage per ts of the
 * (series, window) it belongs to, so a revision in a later pane replaces the older value and a
 * point seen twice counts once: every pane carries the statistics of the window's deduplicated
 * points so far, the row a batch run over the same points stores.
 */
public final class WindowIntoAggregates
    extends PTransform<PCollection<Observation>, PCollection<Aggregate>> {
  private final PipelineConfig config;
  private final @Nullable AggregateTriggering triggering;

  private WindowIntoAggregates(PipelineConfig config, @Nullable AggregateTriggering triggering) {
    this.config = config;
    this.triggering = triggering;
  }

  /** Batch: one pane per window when the input is complete. */
  public static WindowIntoAggregates of(PipelineConfig config) {
    return new WindowIntoAggregates(config, null);
  }

  /** Streaming: early, on-time and late panes, each with the whole window's statistics so far. */
  public WindowIntoAggregates withTriggering(AggregateTriggering triggering) {
    return new WindowIntoAggregates(config, Objects.requireNonNull(triggering, "triggering"));
  }

  /** {@link #withTriggering(AggregateTriggering)} of the two durations. */
  public WindowIntoAggregates withTriggering(Duration earlyPeriod, Duration allowedLateness) {
    return withTriggering(AggregateTriggering.of(earlyPeriod, allowedLateness));
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
    PCollection<Observation> stamped =
        observations
            .apply("EventTime", ParDo.of(new EventTimeFn()))
            .setCoder(observations.getCoder());
    List<PCollection<Aggregate>> branches = new ArrayList<>();
    for (Map.Entry<String, HashSet<String>> e : sourcesBySize.entrySet()) {
      String size = e.getKey();
      HashSet<String> sources = e.getValue();
      PCollection<Observation> forSize =
          stamped.apply("Sources " + size, Filter.by(o -> sources.contains(o.source)));
      branches.add(
          triggering == null
              ? batch(forSize, size)
              : windowed(forSize, size)
                  .apply(
                      "Global " + size,
                      // every pane goes on as it fires, also through a later grouping (the loads)
                      Window.<Aggregate>into(new GlobalWindows())
                          .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                          .discardingFiredPanes()
                          .withAllowedLateness(Duration.ZERO)));
    }
    return PCollectionList.of(branches)
        .apply("AllSizes", Flatten.pCollections())
        .setCoder(Aggregate.coder());
  }

  /**
   * The aggregates of one window size, still in their windows (one element per pane): the
   * observations must already carry their event time ({@link EventTimeFn}).
   */
  PCollection<Aggregate> windowed(PCollection<Observation> stamped, String size) {
    Window<Observation> into = Window.into(SpecWindows.of(size));
    if (triggering == null) {
      throw new IllegalStateException("windowed panes exist only with triggering");
    }
    return stamped
        .apply("Window " + size, triggering.applyTo(into))
        .apply(
            "Key " + size,
            WithKeys.of((Observation o) -> key(o.source, o.seriesId))
                .withKeyType(TypeDescriptors.strings()))
        .apply("Stats " + size, Combine.perKey(new LatestVintageStatsFn()))
        .apply("ToAggregates " + size, ParDo.of(new ToAggregateFn(size)))
        .setCoder(Aggregate.coder());
  }

  /**
   * Batch: the windows {@code Window.into(SpecWindows)} assigns, carried with each point into the
   * global window, folded per bundle into one {@link WindowedStats} per series (all its windows)
   * and merged by {@code Combine.perKey} per series. Same rows as one {@code Combine.perKey} per
   * series and window, without its cost on the DirectRunner, which runs one group and one timer per
   * key and window: on the default data (a century of monthly FRED windows, hourly taxi windows)
   * that kept the end-to-end run busy for many minutes instead of about one.
   */
  private PCollection<Aggregate> batch(PCollection<Observation> forSize, String size) {
    Coder<Observation> obsCoder = forSize.getCoder();
    return forSize
        .apply("Window " + size, Window.into(SpecWindows.of(size)))
        .apply("InWindow " + size, ParDo.of(new InWindowFn()))
        .setCoder(KvCoder.of(IntervalWindow.getCoder(), obsCoder))
        .apply(
            "Unwindowed " + size, Window.<KV<IntervalWindow, Observation>>into(new GlobalWindows()))
        .apply("PartialStatsPerBundle " + size, ParDo.of(new PartialStatsFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), WindowedStats.CODER))
        .apply("Stats " + size, Combine.perKey(new WindowedStats.MergeFn()))
        .apply("ToAggregates " + size, ParDo.of(new WindowedToAggregatesFn(size)))
        .setCoder(Aggregate.coder());
  }

  /** Each point with the window {@link SpecWindows} put it in. */
  static final class InWindowFn extends DoFn<Observation, KV<IntervalWindow, Observation>> {
    @ProcessElement
    public void process(
        @Element Observation o,
        BoundedWindow window,
        OutputReceiver<KV<IntervalWindow, Observation>> out) {
      out.output(KV.of((IntervalWindow) window, o));
    }
  }

  /**
   * Combines before the shuffle: each bundle's points are folded into one {@link WindowedStats} per
   * series, and only those partial statistics cross it (on Flink's batch runner combiner lifting
   * encodes and sorts every input element first). The buffer is flushed early when it holds {@link
   * #MAX_BUFFERED_WINDOWS} windows, so memory stays bounded whatever the bundle size.
   */
  static final class PartialStatsFn
      extends DoFn<KV<IntervalWindow, Observation>, KV<String, WindowedStats>> {
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
        @Element KV<IntervalWindow, Observation> kv,
        OutputReceiver<KV<String, WindowedStats>> out) {
      Observation o = kv.getValue();
      IntervalWindow w = kv.getKey();
      WindowedStats stats =
          partials.computeIfAbsent(key(o.source, o.seriesId), k -> new WindowedStats());
      int before = stats.stats.size();
      stats.window(w.start().getMillis(), w.end().getMillis()).add(o.ts, o.value, !o.stored);
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

  /**
   * The points of one series in one window, latest vintage per ts ({@link
   * Observation#compareRecency}, as the dedup stage picks), and whether any is a record of this run
   * rather than one read back from the warehouse.
   */
  static final class LatestPoints {
    final TreeMap<Long, Observation> byTs = new TreeMap<>();
    boolean touched;

    void add(Observation o) {
      touched |= !o.stored;
      byTs.merge(o.ts, o, (a, b) -> Observation.compareRecency(b, a) > 0 ? b : a);
    }

    SeriesStats stats() {
      SeriesStats s = new SeriesStats();
      for (Observation o : byTs.values()) {
        s.add(o.ts, o.value, false);
      }
      s.touched = touched;
      return s;
    }

    static final Coder<LatestPoints> CODER = new LatestPointsCoder();
  }

  /** A flag, a count, then the points with {@link Observation}'s coder. */
  static final class LatestPointsCoder extends CustomCoder<LatestPoints> {
    private static final Coder<Observation> POINT = Observation.Coder.of();

    @Override
    public void encode(LatestPoints p, OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      out.writeBoolean(p.touched);
      out.writeInt(p.byTs.size());
      out.flush();
      for (Observation o : p.byTs.values()) {
        POINT.encode(o, os);
      }
    }

    @Override
    public LatestPoints decode(InputStream is) throws IOException {
      DataInputStream in = new DataInputStream(is);
      LatestPoints p = new LatestPoints();
      p.touched = in.readBoolean();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        Observation o = POINT.decode(is);
        p.byTs.put(o.ts, o);
      }
      return p;
    }
  }

  /**
   * Streaming: the {@link SeriesStats} of the window's points deduplicated by ts, latest vintage
   * wins. Accumulating panes re-read the accumulator, so a revision arriving in a late pane
   * replaces the value it revises instead of being counted beside it.
   */
  static final class LatestVintageStatsFn
      extends Combine.CombineFn<Observation, LatestPoints, SeriesStats> {
    @Override
    public LatestPoints createAccumulator() {
      return new LatestPoints();
    }

    @Override
    public LatestPoints addInput(LatestPoints acc, Observation o) {
      acc.add(o);
      return acc;
    }

    @Override
    public LatestPoints mergeAccumulators(Iterable<LatestPoints> accs) {
      LatestPoints merged = new LatestPoints();
      for (LatestPoints a : accs) {
        merged.touched |= a.touched;
        for (Observation o : a.byTs.values()) {
          merged.byTs.merge(o.ts, o, (x, y) -> Observation.compareRecency(y, x) > 0 ? y : x);
        }
      }
      return merged;
    }

    @Override
    public SeriesStats extractOutput(LatestPoints acc) {
      return acc.stats();
    }

    @Override
    public Coder<LatestPoints> getAccumulatorCoder(CoderRegistry r, Coder<Observation> in) {
      return LatestPoints.CODER;
    }

    @Override
    public Coder<SeriesStats> getDefaultOutputCoder(CoderRegistry r, Coder<Observation> in) {
      return SeriesStats.coder();
    }
  }

  /** One {@link Aggregate} per pane whose window holds a record of this run. */
  static final class ToAggregateFn extends DoFn<KV<String, SeriesStats>, Aggregate> {
    private final String size;

    ToAggregateFn(String size) {
      this.size = size;
    }

    @ProcessElement
    public void process(
        @Element KV<String, SeriesStats> kv, BoundedWindow window, OutputReceiver<Aggregate> out) {
      String[] parts = kv.getKey().split("\u0000", 2);
      IntervalWindow w = (IntervalWindow) window;
      Aggregate a =
          toAggregate(
              parts[0], parts[1], size, w.start().getMillis(), w.end().getMillis(), kv.getValue());
      if (a != null) {
        out.output(a);
      }
    }
  }
}

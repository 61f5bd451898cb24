package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Test reference: the aggregates as the batch job computed them before {@link WindowIntoAggregates}
 * (windows from {@link WindowSpec#bounds} in a DoFn, not a WindowFn), kept to show that the job's
 * rows did not change.
 *
 * <p>For every window size a source asks for, per series and window: n, missing, min, max, exact
 * mean, first and last by event time, and the window's bounds.
 *
 * <p>Windows are fixed or calendar windows in UTC ({@link WindowSpec#bounds}), and the statistics
 * are a {@link Combine#perKey} per (window size, series) whose accumulator holds one {@link
 * SeriesStats} per window. That is what {@code Window.into} then {@code Combine.perKey} computes,
 * without two of its costs here: the DirectRunner fires one timer bundle per key and window, which
 * on the default data (a century of monthly FRED windows, hourly taxi windows) kept a local run
 * busy for over fifteen minutes instead of seconds; and Beam's FixedWindows and CalendarWindows
 * misplace observations before 1970 (see {@link WindowSpec#bounds}).
 */
final class WindowedAggregatesReference
    extends PTransform<PCollection<Observation>, PCollection<Aggregate>> {
  private final PipelineConfig config;

  private WindowedAggregatesReference(PipelineConfig config) {
    this.config = config;
  }

  public static WindowedAggregatesReference of(PipelineConfig config) {
    return new WindowedAggregatesReference(config);
  }

  @Override
  public PCollection<Aggregate> expand(PCollection<Observation> observations) {
    Map<String, List<String>> windowsBySource = new HashMap<>();
    for (SourceConfig s : config.sources) {
      List<String> ws = new ArrayList<>(); // distinct: windowSpecs() drops repeats
      for (WindowSpec w : s.windowSpecs()) {
        ws.add(w.text());
      }
      windowsBySource.put(s.name, ws);
    }
    return observations
        .apply("PartialStatsPerBundle", ParDo.of(new PartialStatsFn(windowsBySource)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), WindowedStats.CODER))
        .apply("StatsPerWindow", Combine.perKey(new WindowedStats.MergeFn()))
        .apply("ToAggregates", ParDo.of(new ToAggregatesFn()))
        .setCoder(Aggregate.coder());
  }

  /** Key: window size, source and series, separated by NUL (which no series id contains). */
  static String key(String window, String source, String series) {
    return window + '\u0000' + source + '\u0000' + series;
  }

  /**
   * Combines before the shuffle, inside the DoFn: each bundle's observations are folded into one
   * {@link WindowedStats} per (window size, series), and only those partial statistics cross the
   * shuffle. Beam's own combiner lifting does the same on paper, but on Flink's batch runner it
   * encodes and sorts every input element to find its key first; this way a series' minute
   * observations become one partial per hour and day. The buffer is flushed early when it holds
   * {@link #MAX_BUFFERED_WINDOWS} windows, so memory stays bounded whatever the bundle size.
   */
  static final class PartialStatsFn extends DoFn<Observation, KV<String, WindowedStats>> {
    static final int MAX_BUFFERED_WINDOWS = 200_000;
    private final Map<String, List<String>> windowsBySource;
    private transient Map<String, Map<String, Partial[]>> partials;
    private transient Map<String, WindowSpec[]> specs;
    private transient int buffered;

    PartialStatsFn(Map<String, List<String>> windowsBySource) {
      this.windowsBySource = windowsBySource;
    }

    /** One series' partial statistics for one window size, with the last window used cached. */
    private static final class Partial {
      final String size;
      final WindowSpec spec;
      final WindowedStats stats = new WindowedStats();
      long cachedStart = Long.MAX_VALUE;
      long cachedEnd = Long.MIN_VALUE;
      SeriesStats cached;

      Partial(String size, WindowSpec spec) {
        this.size = size;
        this.spec = spec;
      }
    }

    @Setup
    public void setup() {
      specs = new HashMap<>();
      for (Map.Entry<String, List<String>> e : windowsBySource.entrySet()) {
        specs.put(
            e.getKey(), e.getValue().stream().map(WindowSpec::parse).toArray(WindowSpec[]::new));
      }
    }

    @StartBundle
    public void startBundle() {
      partials = new HashMap<>();
      buffered = 0;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, WindowedStats>> out) {
      WindowSpec[] sourceSpecs = specs.get(o.source);
      if (sourceSpecs == null || sourceSpecs.length == 0) {
        return;
      }
      Partial[] ps =
          partials
              .computeIfAbsent(o.source, s -> new HashMap<>())
              .computeIfAbsent(
                  o.seriesId,
                  s -> {
                    List<String> sizes = windowsBySource.get(o.source);
                    Partial[] created = new Partial[sizes.size()];
                    for (int i = 0; i < created.length; i++) {
                      created[i] = new Partial(sizes.get(i), sourceSpecs[i]);
                    }
                    return created;
                  });
      for (Partial p : ps) {
        if (o.ts < p.cachedStart || o.ts >= p.cachedEnd) {
          long[] w = p.spec.bounds(o.ts);
          int before = p.stats.stats.size();
          p.cached = p.stats.window(w[0], w[1]);
          buffered += p.stats.stats.size() - before;
          p.cachedStart = w[0];
          p.cachedEnd = w[1];
        }
        p.cached.add(o.ts, o.value, !o.stored);
      }
      if (buffered >= MAX_BUFFERED_WINDOWS) {
        flush(out::output);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) {
      flush(kv -> ctx.output(kv, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE));
    }

    private void flush(Consumer<KV<String, WindowedStats>> out) {
      for (Map.Entry<String, Map<String, Partial[]>> bySource : partials.entrySet()) {
        for (Map.Entry<String, Partial[]> bySeries : bySource.getValue().entrySet()) {
          for (Partial p : bySeries.getValue()) {
            if (!p.stats.stats.isEmpty()) {
              out.accept(KV.of(key(p.size, bySource.getKey(), bySeries.getKey()), p.stats));
            }
          }
        }
      }
      partials = new HashMap<>();
      buffered = 0;
    }
  }

  static final class ToAggregatesFn extends DoFn<KV<String, WindowedStats>, Aggregate> {
    @ProcessElement
    public void process(@Element KV<String, WindowedStats> kv, OutputReceiver<Aggregate> out) {
      String[] parts = kv.getKey().split("\u0000", 3);
      WindowedStats w = kv.getValue();
      for (Map.Entry<Long, SeriesStats> e : w.stats.entrySet()) {
        SeriesStats s = e.getValue();
        if (!s.touched) {
          continue; // only rows read back from the warehouse: maybe not all of the window's
        }
        boolean any = s.n > 0;
        out.output(
            new Aggregate(
                parts[1],
                parts[2],
                parts[0],
                e.getKey(),
                w.ends.get(e.getKey()),
                s.n,
                s.missing,
                any ? s.min : null,
                any ? s.max : null,
                s.mean(),
                any ? s.first : null,
                any ? s.last : null,
                s.stddev()));
      }
    }
  }
}

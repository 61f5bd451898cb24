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
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
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
 * For every window size a source asks for, per series and window: n, missing, min, max, exact mean,
 * first and last by event time, and the window's bounds.
 *
 * <p>Windows are fixed or calendar windows in UTC ({@link WindowSpec#bounds}), and the statistics
 * are a {@link Combine#perKey} per (window size, series) whose accumulator holds one {@link
 * SeriesStats} per window. That is what {@code Window.into} then {@code Combine.perKey} computes,
 * without two of its costs here: the DirectRunner fires one timer bundle per key and window, which
 * on the default data (a century of monthly FRED windows, hourly taxi windows) kept a local run
 * busy for over fifteen minutes instead of seconds; and Beam's FixedWindows and CalendarWindows
 * misplace observations before 1970 (see {@link WindowSpec#bounds}).
 */
public final class WindowedAggregates
    extends PTransform<PCollection<Observation>, PCollection<Aggregate>> {
  private final PipelineConfig config;

  private WindowedAggregates(PipelineConfig config) {
    this.config = config;
  }

  public static WindowedAggregates of(PipelineConfig config) {
    return new WindowedAggregates(config);
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
        .apply("StatsPerWindow", Combine.perKey(new MergeStatsFn()))
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

  /** Per window start: its end and the statistics of the points in it. */
  static final class WindowedStats {
    final TreeMap<Long, SeriesStats> stats = new TreeMap<>();
    final Map<Long, Long> ends = new HashMap<>();

    SeriesStats window(long start, long end) {
      ends.putIfAbsent(start, end);
      return stats.computeIfAbsent(start, s -> new SeriesStats());
    }

    void mergeFrom(WindowedStats other) {
      for (Map.Entry<Long, SeriesStats> e : other.stats.entrySet()) {
        window(e.getKey(), other.ends.get(e.getKey())).merge(e.getValue());
      }
    }

    /**
     * Every window's start, end and statistics in start order, field by field (a {@code BigDecimal}
     * as its scale and unscaled bytes). On the DirectRunner a key's grouped partials are encoded
     * and decoded again for every bundle that adds to them (its copy-on-write state): Beam's
     * composed coders (a map of schema rows, whose {@code BigDecimalCoder} formats a message per
     * value) took about a fifth of the default job's CPU there.
     */
    static final Coder<WindowedStats> CODER = new WindowedStatsCoder();
  }

  /** The binary form of {@link WindowedStats}; decoding gives back every field as encoded. */
  static final class WindowedStatsCoder extends CustomCoder<WindowedStats> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(WindowedStats w, OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      out.writeInt(w.stats.size());
      for (Map.Entry<Long, SeriesStats> e : w.stats.entrySet()) {
        SeriesStats s = e.getValue();
        out.writeLong(e.getKey());
        out.writeLong(w.ends.get(e.getKey()));
        out.writeLong(s.n);
        out.writeLong(s.missing);
        out.writeDouble(s.min);
        out.writeDouble(s.max);
        writeDecimal(out, s.sum);
        writeDecimal(out, s.sumSq);
        out.writeLong(s.firstTs);
        out.writeDouble(s.first);
        out.writeLong(s.lastTs);
        out.writeDouble(s.last);
        out.writeBoolean(s.touched);
      }
      out.flush();
    }

    @Override
    public WindowedStats decode(InputStream is) throws IOException {
      DataInputStream in = new DataInputStream(is);
      WindowedStats w = new WindowedStats();
      int windows = in.readInt();
      for (int i = 0; i < windows; i++) {
        long start = in.readLong();
        SeriesStats s = w.window(start, in.readLong());
        s.n = in.readLong();
        s.missing = in.readLong();
        s.min = in.readDouble();
        s.max = in.readDouble();
        s.sum = readDecimal(in);
        s.sumSq = readDecimal(in);
        s.firstTs = in.readLong();
        s.first = in.readDouble();
        s.lastTs = in.readLong();
        s.last = in.readDouble();
        s.touched = in.readBoolean();
      }
      return w;
    }

    private static void writeDecimal(DataOutputStream out, BigDecimal d) throws IOException {
      byte[] unscaled = d.unscaledValue().toByteArray();
      out.writeInt(d.scale());
      out.writeInt(unscaled.length);
      out.write(unscaled);
    }

    private static BigDecimal readDecimal(DataInputStream in) throws IOException {
      int scale = in.readInt();
      byte[] unscaled = new byte[in.readInt()];
      in.readFully(unscaled);
      return new BigDecimal(new BigInteger(unscaled), scale);
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Merges the partial statistics of one (window size, series). */
  static final class MergeStatsFn
      extends Combine.CombineFn<WindowedStats, WindowedStats, WindowedStats> {
    @Override
    public WindowedStats createAccumulator() {
      return new WindowedStats();
    }

    @Override
    public WindowedStats addInput(WindowedStats acc, WindowedStats partial) {
      acc.mergeFrom(partial);
      return acc;
    }

    @Override
    public WindowedStats mergeAccumulators(Iterable<WindowedStats> accs) {
      WindowedStats merged = null;
      for (WindowedStats a : accs) {
        if (merged == null) {
          merged = a;
        } else {
          merged.mergeFrom(a);
        }
      }
      return merged == null ? new WindowedStats() : merged;
    }

    @Override
    public WindowedStats extractOutput(WindowedStats acc) {
      return acc;
    }

    @Override
    public Coder<WindowedStats> getAccumulatorCoder(CoderRegistry r, Coder<WindowedStats> in) {
      return WindowedStats.CODER;
    }

    @Override
    public Coder<WindowedStats> getDefaultOutputCoder(CoderRegistry r, Coder<WindowedStats> in) {
      return WindowedStats.CODER;
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

package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Observation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Per series, the time range [lo, hi) a run touches, widened to whole windows: every window of
 * every size the source asks for that holds a record of this run lies inside it. Reading back what
 * the warehouse holds in that range is enough to recompute those windows whole.
 *
 * <p>Key: {@code source + '\0' + series_id}; value: (lo, hi) in epoch milliseconds. Spans are
 * folded per bundle before the shuffle, so the output is one element per series whatever the input
 * size.
 */
public final class TouchedSpans
    extends PTransform<PCollection<Observation>, PCollection<KV<String, KV<Long, Long>>>> {
  private final PipelineConfig config;

  private TouchedSpans(PipelineConfig config) {
    this.config = config;
  }

  public static TouchedSpans of(PipelineConfig config) {
    return new TouchedSpans(config);
  }

  @Override
  public PCollection<KV<String, KV<Long, Long>>> expand(PCollection<Observation> input) {
    Map<String, List<String>> windowsBySource = new HashMap<>();
    // per source: how far before and after its records analytics need stored rows (ms)
    Map<String, KV<Long, Long>> context = new HashMap<>();
    for (SourceConfig s : config.sources) {
      List<String> ws = new ArrayList<>();
      for (WindowSpec w : s.windowSpecs()) {
        ws.add(w.text());
      }
      windowsBySource.put(s.name, ws);
      context.put(s.name, KV.of(s.contextBefore(), s.contextAfter()));
    }
    KvCoder<String, KV<Long, Long>> coder =
        KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of()));
    return input
        .apply("SpanPerBundle", ParDo.of(new SpanPerBundleFn()))
        .setCoder(coder)
        .apply("SpanPerSeries", Combine.perKey(new Union()))
        .apply("WidenToWindows", ParDo.of(new WidenFn(windowsBySource, context)))
        .setCoder(coder);
  }

  /** The smallest span holding both. */
  static final class Union
      implements SerializableFunction<Iterable<KV<Long, Long>>, KV<Long, Long>> {
    @Override
    public KV<Long, Long> apply(Iterable<KV<Long, Long>> spans) {
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      for (KV<Long, Long> s : spans) {
        lo = Math.min(lo, s.getKey());
        hi = Math.max(hi, s.getValue());
      }
      return KV.of(lo, hi);
    }
  }

  /** Each bundle's [min ts, max ts] per series of this run's records. */
  static final class SpanPerBundleFn extends DoFn<Observation, KV<String, KV<Long, Long>>> {
    private transient Map<String, long[]> spans;

    @StartBundle
    public void startBundle() {
      spans = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element Observation o) {
      if (o.stored) {
        return;
      }
      long[] span =
          spans.computeIfAbsent(
              o.source + '\u0000' + o.seriesId, k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
      span[0] = Math.min(span[0], o.ts);
      span[1] = Math.max(span[1], o.ts);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) {
      for (Map.Entry<String, long[]> e : spans.entrySet()) {
        ctx.output(
            KV.of(e.getKey(), KV.of(e.getValue()[0], e.getValue()[1])),
            GlobalWindow.INSTANCE.maxTimestamp(),
            GlobalWindow.INSTANCE);
      }
      spans = null;
    }
  }

  /** [min ts, max ts] to [start of the first window, end of the last window). */
  static final class WidenFn extends DoFn<KV<String, KV<Long, Long>>, KV<String, KV<Long, Long>>> {
    private final Map<String, List<String>> windowsBySource;
    private final Map<String, KV<Long, Long>> context;
    private transient Map<String, WindowSpec[]> specs;

    WidenFn(Map<String, List<String>> windowsBySource, Map<String, KV<Long, Long>> context) {
      this.windowsBySource = windowsBySource;
      this.context = context;
    }

    @Setup
    public void setup() {
      specs = new HashMap<>();
      for (Map.Entry<String, List<String>> e : windowsBySource.entrySet()) {
        specs.put(
            e.getKey(), e.getValue().stream().map(WindowSpec::parse).toArray(WindowSpec[]::new));
      }
    }

    @ProcessElement
    public void process(
        @Element KV<String, KV<Long, Long>> span, OutputReceiver<KV<String, KV<Long, Long>>> out) {
      String source = span.getKey().substring(0, span.getKey().indexOf('\u0000'));
      KV<Long, Long> around = context.getOrDefault(source, KV.of(0L, 0L));
      out.output(
          KV.of(
              span.getKey(),
              widen(specs.get(source), around.getKey(), around.getValue(), span.getValue())));
    }
  }

  /** The span widened to whole windows of every size; without windows, [min, max + 1). */
  static KV<Long, Long> widen(WindowSpec[] sizes, KV<Long, Long> span) {
    return widen(sizes, 0, 0, span);
  }

  /**
   * Also widened by the analytics' context: {@code before} ms before the start of the first window
   * and {@code after} ms after the end of the last (rolling windows: the rows after a point within
   * the window change with it; resample: the neighbours of the cells a run rewrites).
   */
  static KV<Long, Long> widen(WindowSpec[] sizes, long before, long after, KV<Long, Long> span) {
    KV<Long, Long> w = widenToWindows(sizes, span);
    long lo = before > 0 ? saturatedSub(w.getKey(), before) : w.getKey();
    long hi = after > 0 ? saturatedAdd(w.getValue(), after) : w.getValue();
    return KV.of(lo, hi);
  }

  private static long saturatedSub(long a, long b) {
    long r = a - b;
    return r > a ? Long.MIN_VALUE : r;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return r < a ? Long.MAX_VALUE : r;
  }

  private static KV<Long, Long> widenToWindows(WindowSpec[] sizes, KV<Long, Long> span) {
    long min = span.getKey();
    long max = span.getValue();
    long lo = min;
    long hi = max == Long.MAX_VALUE ? max : max + 1;
    if (sizes != null) {
      for (WindowSpec w : sizes) {
        lo = Math.min(lo, w.bounds(min)[0]);
        hi = Math.max(hi, w.bounds(max)[1]);
      }
    }
    return KV.of(lo, hi);
  }
}

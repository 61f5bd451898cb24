package dev.tslake.analytics;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.ResampleConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Observation;
import dev.tslake.model.Resampled;
import dev.tslake.model.SpanContext;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Gap filling on a regular grid (table {@code resampled}), from {@code current}: what the warehouse
 * holds in the spans this run touches after the run. Rules in docs/resample.md.
 *
 * <p>Bounded memory: a series is never grouped whole. The grid is cut into chunks of a fixed length
 * per source (at least 64 cells and twice maxGap plus a cell); each chunk gets the observed values
 * of its cells and of maxGap plus a cell around it, and the span's {@link SpanContext}.
 *
 * <p>Incremental: a run writes the cells of the read-back span whose value is fully determined by
 * what the run knows (everything between the stored observations just outside the span, {@link
 * SpanContext#before} and {@link SpanContext#after}), plus the new cells when the run extends the
 * series' grid past a stretch with no observations. The read-back span is widened by {@link
 * ResampleConfig#contextMillis()} on each side, so every cell whose value this run can change is
 * among them.
 */
public final class Resample extends PTransform<PCollection<Observation>, PCollection<Resampled>> {
  private final PipelineConfig config;
  private final PCollection<KV<String, SpanContext>> spans;

  private Resample(PipelineConfig config, PCollection<KV<String, SpanContext>> spans) {
    this.config = config;
    this.spans = spans;
  }

  /**
   * {@code spans}: per series ({@code source + '\0' + series_id}) the read-back span of this run
   * and its stored neighbours outside it.
   */
  public static Resample of(PipelineConfig config, PCollection<KV<String, SpanContext>> spans) {
    return new Resample(config, spans);
  }

  /** Whether any source of the config resamples. */
  public static boolean wanted(PipelineConfig config) {
    return config.sources.stream().anyMatch(s -> s.resample != null);
  }

  /** A source's grid rules, serializable. */
  static final class Spec implements Serializable {
    final String every;
    final ResampleConfig.Fill fill;
    final long maxGap;
    final long cellMax;
    final long chunk;
    transient @Nullable WindowSpec cells;

    Spec(ResampleConfig r) {
      WindowSpec w = r.everySpec();
      this.every = w.text();
      this.fill = r.fill();
      this.maxGap = r.maxGapMillis();
      this.cellMax = w.maxLengthMillis();
      this.chunk = Math.max(64 * cellMax, 2 * (maxGap + cellMax));
    }

    WindowSpec cells() {
      if (cells == null) {
        cells = WindowSpec.parse(every);
      }
      return cells;
    }
  }

  /** What the run holds of a series: first and last ts (any value), and whether any is stored. */
  static final class Extent implements Serializable {
    final long min;
    final long max;
    final boolean anyStored;

    Extent(long min, long max, boolean anyStored) {
      this.min = min;
      this.max = max;
      this.anyStored = anyStored;
    }
  }

  static final class Union implements SerializableFunction<Iterable<Extent>, Extent> {
    @Override
    public Extent apply(Iterable<Extent> in) {
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      boolean stored = false;
      for (Extent e : in) {
        min = Math.min(min, e.min);
        max = Math.max(max, e.max);
        stored |= e.anyStored;
      }
      return new Extent(min, max, stored);
    }
  }

  /** Which cells of a series this run writes, and what is known around them. */
  static final class Plan implements Serializable {
    final SpanContext span;

    /** Cells with start in [from, to) are candidates. */
    final long from;

    final long to;

    /** Start of the grid's first and last cell (MIN/MAX when beyond what the run holds). */
    final long gridFirst;

    final long gridLast;

    Plan(SpanContext span, long from, long to, long gridFirst, long gridLast) {
      this.span = span;
      this.from = from;
      this.to = to;
      this.gridFirst = gridFirst;
      this.gridLast = gridLast;
    }
  }

  @Override
  public PCollection<Resampled> expand(PCollection<Observation> current) {
    Map<String, Spec> specs = new HashMap<>();
    for (SourceConfig s : config.sources) {
      if (s.resample != null) {
        specs.put(s.name, new Spec(s.resample));
      }
    }
    PCollection<KV<String, Extent>> extents =
        current
            .apply("Extent", ParDo.of(new ExtentFn(specs)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(Extent.class)))
            .apply("ExtentPerSeries", Combine.perKey(new Union()));
    TupleTag<Extent> extentTag = new TupleTag<>();
    TupleTag<SpanContext> spanTag = new TupleTag<>();
    KvCoder<String, Long> chunkKey = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    PCollection<KV<KV<String, Long>, Plan>> plans =
        KeyedPCollectionTuple.of(extentTag, extents)
            .and(spanTag, spans)
            .apply("JoinSpans", CoGroupByKey.create())
            .apply("PlanChunks", ParDo.of(new PlanFn(specs, extentTag, spanTag)))
            .setCoder(KvCoder.of(chunkKey, SerializableCoder.of(Plan.class)));
    PCollection<KV<KV<String, Long>, KV<Long, Double>>> values =
        current
            .apply("ValuesToChunks", ParDo.of(new FanOutFn(specs)))
            .setCoder(KvCoder.of(chunkKey, KvCoder.of(VarLongCoder.of(), DoubleCoder.of())));
    TupleTag<Plan> planTag = new TupleTag<>();
    TupleTag<KV<Long, Double>> valueTag = new TupleTag<>();
    return KeyedPCollectionTuple.of(planTag, plans)
        .and(valueTag, values)
        .apply("GroupChunks", CoGroupByKey.create())
        .apply("FillChunks", ParDo.of(new ChunkFn(specs, planTag, valueTag)))
        .setCoder(Resampled.Coder.of());
  }

  static String sourceOf(String key) {
    return key.substring(0, key.indexOf('\u0000'));
  }

  static final class ExtentFn extends DoFn<Observation, KV<String, Extent>> {
    private final Map<String, Spec> specs;

    ExtentFn(Map<String, Spec> specs) {
      this.specs = specs;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, Extent>> out) {
      if (specs.containsKey(o.source)) {
        out.output(KV.of(o.source + '\u0000' + o.seriesId, new Extent(o.ts, o.ts, o.stored)));
      }
    }
  }

  static final class PlanFn extends DoFn<KV<String, CoGbkResult>, KV<KV<String, Long>, Plan>> {
    private final Map<String, Spec> specs;
    private final TupleTag<Extent> extentTag;
    private final TupleTag<SpanContext> spanTag;

    PlanFn(Map<String, Spec> specs, TupleTag<Extent> extentTag, TupleTag<SpanContext> spanTag) {
      this.specs = specs;
      this.extentTag = extentTag;
      this.spanTag = spanTag;
    }

    @ProcessElement
    public void process(
        @Element KV<String, CoGbkResult> kv, OutputReceiver<KV<KV<String, Long>, Plan>> out) {
      Spec spec = specs.get(sourceOf(kv.getKey()));
      Extent extent = kv.getValue().getOnly(extentTag, null);
      SpanContext span = kv.getValue().getOnly(spanTag, null);
      if (spec == null || extent == null || span == null) {
        return;
      }
      WindowSpec cells = spec.cells();
      long gridFirst = span.before == null ? cells.bounds(extent.min)[0] : Long.MIN_VALUE;
      long gridLast = span.after == null ? cells.bounds(extent.max)[0] : Long.MAX_VALUE;
      long from = span.lo;
      long to = span.hi;
      if (!extent.anyStored && span.before != null && span.after == null) {
        // the run extends the series past its stored end: the new cells between are written too
        from = span.before + 1;
      }
      if (!extent.anyStored && span.after != null && span.before == null) {
        to = span.after; // the run extends the series before its stored start
      }
      long lo = Math.max(from, gridFirst);
      long hi = Math.min(to - 1, gridLast);
      if (lo > hi) {
        return;
      }
      Plan plan = new Plan(span, from, to, gridFirst, gridLast);
      for (long k = Math.floorDiv(lo, spec.chunk); k <= Math.floorDiv(hi, spec.chunk); k++) {
        out.output(KV.of(KV.of(kv.getKey(), k), plan));
      }
    }
  }

  /** Each observed value to every chunk whose cells may need it. */
  static final class FanOutFn extends DoFn<Observation, KV<KV<String, Long>, KV<Long, Double>>> {
    private final Map<String, Spec> specs;

    FanOutFn(Map<String, Spec> specs) {
      this.specs = specs;
    }

    @ProcessElement
    public void process(
        @Element Observation o, OutputReceiver<KV<KV<String, Long>, KV<Long, Double>>> out) {
      Spec spec = specs.get(o.source);
      if (spec == null || o.value == null) {
        return;
      }
      String key = o.source + '\u0000' + o.seriesId;
      long first = Math.floorDiv(o.ts - spec.cellMax - spec.maxGap, spec.chunk) - 1;
      long last = Math.floorDiv(o.ts + spec.maxGap, spec.chunk);
      for (long k = first; k <= last; k++) {
        out.output(KV.of(KV.of(key, k), KV.of(o.ts, o.value)));
      }
    }
  }

  static final class ChunkFn extends DoFn<KV<KV<String, Long>, CoGbkResult>, Resampled> {
    private final Map<String, Spec> specs;
    private final TupleTag<Plan> planTag;
    private final TupleTag<KV<Long, Double>> valueTag;

    ChunkFn(Map<String, Spec> specs, TupleTag<Plan> planTag, TupleTag<KV<Long, Double>> valueTag) {
      this.specs = specs;
      this.planTag = planTag;
      this.valueTag = valueTag;
    }

    @ProcessElement
    public void process(
        @Element KV<KV<String, Long>, CoGbkResult> kv, OutputReceiver<Resampled> out) {
      Plan plan = kv.getValue().getOnly(planTag, null);
      if (plan == null) {
        return;
      }
      String key = kv.getKey().getKey();
      int sep = key.indexOf('\u0000');
      String source = key.substring(0, sep);
      String series = key.substring(sep + 1);
      Spec spec = specs.get(source);
      List<KV<Long, Double>> list = new ArrayList<>();
      for (KV<Long, Double> v : kv.getValue().getAll(valueTag)) {
        list.add(v);
      }
      list.sort((a, b) -> Long.compare(a.getKey(), b.getKey()));
      long[] ts = new long[list.size()];
      double[] vs = new double[list.size()];
      for (int i = 0; i < ts.length; i++) {
        ts[i] = list.get(i).getKey();
        vs[i] = list.get(i).getValue();
      }
      long k = kv.getKey().getValue();
      long chunkStart = k * spec.chunk;
      long chunkEnd = chunkStart + spec.chunk;
      WindowSpec cells = spec.cells();
      long start = Math.max(chunkStart, Math.max(plan.from, plan.gridFirst));
      long[] cell = cells.bounds(start);
      if (cell[0] < start) {
        cell = cells.bounds(cell[1]);
      }
      long stop = Math.min(chunkEnd, plan.to);
      while (cell[0] < stop && cell[0] <= plan.gridLast) {
        Resampled r = fill(spec, plan.span, source, series, cell[0], cell[1], ts, vs);
        if (r != null) {
          out.output(r);
        }
        cell = cells.bounds(cell[1]);
      }
    }
  }

  /**
   * The cell [cs, ce) from the sorted observed values around it, or null when what the run knows
   * does not determine it.
   */
  static @Nullable Resampled fill(
      Spec spec,
      SpanContext span,
      String source,
      String series,
      long cs,
      long ce,
      long[] ts,
      double[] vs) {
    long before = span.before == null ? Long.MIN_VALUE : span.before;
    long after = span.after == null ? Long.MAX_VALUE : span.after;
    if (cs <= before || ce > after) {
      return null; // the cell itself is not all known
    }
    int ownEnd = lowerBound(ts, ce); // values with ts < ce
    int ownStart = lowerBound(ts, cs);
    if (ownEnd > ownStart) {
      return new Resampled(source, series, spec.every, cs, vs[ownEnd - 1], false);
    }
    if (spec.fill == ResampleConfig.Fill.NONE) {
      return new Resampled(source, series, spec.every, cs, null, true);
    }
    long g = spec.maxGap;
    boolean leftKnown = cs - g > before;
    boolean rightKnown = ce + g < after;
    int prev = ownStart - 1; // last value before cs
    boolean prevNear = prev >= 0 && ts[prev] >= cs - g;
    int next = ownEnd; // first value at or after ce
    boolean nextNear = next < ts.length && ts[next] <= ce + g;
    if (!(leftKnown && rightKnown)) {
      // undetermined unless a known side has no value within maxGap (then the gap is too long)
      if ((leftKnown && !prevNear) || (rightKnown && !nextNear)) {
        return new Resampled(source, series, spec.every, cs, null, true);
      }
      return null;
    }
    if (!prevNear || !nextNear || ts[next] - ts[prev] > g) {
      return new Resampled(source, series, spec.every, cs, null, true);
    }
    double value;
    switch (spec.fill) {
      case PREVIOUS:
        value = vs[prev];
        break;
      case LINEAR:
        value =
            vs[prev] + (vs[next] - vs[prev]) * ((double) (cs - ts[prev]) / (ts[next] - ts[prev]));
        break;
      case MEAN:
        {
          int from = lowerBound(ts, cs - g);
          int to = lowerBound(ts, ce + g);
          double sum = 0;
          for (int i = from; i < to; i++) {
            sum += vs[i];
          }
          value = sum / (to - from);
          break;
        }
      default:
        throw new IllegalStateException(spec.fill.name());
    }
    return new Resampled(source, series, spec.every, cs, value, true);
  }

  /** The first index whose ts is at least {@code t}. */
  static int lowerBound(long[] ts, long t) {
    int i = Arrays.binarySearch(ts, t);
    if (i < 0) {
      return -i - 1;
    }
    while (i > 0 && ts[i - 1] == t) {
      i--;
    }
    return i;
  }
}

package dev.tslake.analytics;

import dev.tslake.aggregate.SeriesStats;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.LatestStat;
import dev.tslake.model.Observation;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Streaming statistics of each series' latest stretch (table {@code latest}): per (source,
 * series_id), n, mean, sample stddev, min, max, first and last of the points in {@code (as_of -
 * trailing, as_of]}, where {@code as_of} is the newest point seen and {@code trailing} the source's
 * {@code latest} duration (default {@code PT1H}).
 *
 * <p>A stateful DoFn keyed by series in the global window holds only the points inside the trailing
 * duration: each point that arrives is added (a point with the same ts replaces the stored one: a
 * revision), points at or before {@code as_of - trailing} are dropped, and the series' row is
 * emitted again (refreshed per element). A point older than the trailing stretch changes nothing
 * and emits nothing. State per series is thus bounded by the points of one trailing duration;
 * distribution {@code LatestStats/state_points} records its size after each update.
 *
 * <p>Rows carry {@code updated_at} (processing time, strictly increasing per series) so {@link
 * dev.tslake.model.LatestStat} rows upserted out of order cannot step a series back (the table's
 * rule). Feed the output to {@code UpsertBatches.into(spec, Tables.latest())}.
 */
public final class LatestStats
    extends PTransform<PCollection<Observation>, PCollection<LatestStat>> {
  private final Map<String, String> trailingText;
  private final Map<String, Long> trailingMs;
  private final String defaultText;
  private final long defaultMs;

  private LatestStats(PipelineConfig config) {
    trailingText = new HashMap<>();
    trailingMs = new HashMap<>();
    for (SourceConfig s : config.sources) {
      Map.Entry<String, Long> t = s.latestTrailing();
      trailingText.put(s.name, t.getKey());
      trailingMs.put(s.name, t.getValue());
    }
    Map.Entry<String, Long> d = new SourceConfig().latestTrailing();
    defaultText = d.getKey();
    defaultMs = d.getValue();
  }

  /** Trailing durations from each source's {@code latest}; sources not in config: PT1H. */
  public static LatestStats of(PipelineConfig config) {
    return new LatestStats(config);
  }

  @Override
  public PCollection<LatestStat> expand(PCollection<Observation> input) {
    return input
        .apply("GlobalWindow", Window.<Observation>into(new GlobalWindows()))
        .apply(
            "KeyBySeries",
            WithKeys.<String, Observation>of(o -> o.source + '\u0000' + o.seriesId)
                .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Observation.Coder.of()))
        .apply(
            "TrailingStats",
            ParDo.of(new TrailingFn(trailingText, trailingMs, defaultText, defaultMs)))
        .setCoder(LatestStat.coder());
  }

  /** (ts, value) points; value null when missing. */
  static final ListCoder<KV<Long, Double>> POINTS =
      ListCoder.of(KvCoder.of(VarLongCoder.of(), NullableCoder.of(DoubleCoder.of())));

  /**
   * Adds {@code o} to {@code points} (sorted by ts, replacing the same ts) and drops points at or
   * before {@code newest ts - trailing}; returns false (points unchanged) when {@code o} itself is
   * that old.
   */
  static boolean addAndPrune(List<KV<Long, Double>> points, Observation o, long trailing) {
    long asOf = points.isEmpty() ? o.ts : Math.max(o.ts, points.get(points.size() - 1).getKey());
    long cut = asOf - trailing;
    if (o.ts <= cut) {
      return false;
    }
    points.removeIf(p -> p.getKey() == o.ts || p.getKey() <= cut);
    points.add(KV.of(o.ts, o.value));
    points.sort(Comparator.comparingLong(KV::getKey));
    return true;
  }

  /** The row of {@code points} (sorted, all inside the trailing stretch). */
  static LatestStat stats(
      String source,
      String seriesId,
      String trailing,
      List<KV<Long, Double>> points,
      long updatedAt) {
    long n = 0;
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal sumSq = BigDecimal.ZERO;
    Double min = null;
    Double max = null;
    Double first = null;
    Double last = null;
    for (KV<Long, Double> p : points) {
      Double v = p.getValue();
      if (v == null || v.isNaN()) {
        continue;
      }
      n++;
      BigDecimal b = new BigDecimal(v);
      sum = sum.add(b);
      sumSq = sumSq.add(b.multiply(b));
      min = min == null ? v : Math.min(min, v);
      max = max == null ? v : Math.max(max, v);
      if (first == null) {
        first = v;
      }
      last = v;
    }
    return new LatestStat(
        source,
        seriesId,
        trailing,
        points.get(points.size() - 1).getKey(),
        n,
        SeriesStats.exactMean(n, sum),
        SeriesStats.sampleStddev(n, sum, sumSq),
        min,
        max,
        first,
        last,
        updatedAt);
  }

  static final class TrailingFn extends DoFn<KV<String, Observation>, LatestStat> {
    private final Map<String, String> trailingText;
    private final Map<String, Long> trailingMs;
    private final String defaultText;
    private final long defaultMs;
    private final Distribution statePoints =
        Metrics.distribution(LatestStats.class, "state_points");

    @StateId("points")
    private final StateSpec<ValueState<List<KV<Long, Double>>>> pointsSpec =
        StateSpecs.value(POINTS);

    @StateId("updated")
    private final StateSpec<ValueState<Long>> updatedSpec = StateSpecs.value(VarLongCoder.of());

    TrailingFn(
        Map<String, String> trailingText,
        Map<String, Long> trailingMs,
        String defaultText,
        long defaultMs) {
      this.trailingText = trailingText;
      this.trailingMs = trailingMs;
      this.defaultText = defaultText;
      this.defaultMs = defaultMs;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Observation> element,
        @StateId("points") ValueState<List<KV<Long, Double>>> pointsState,
        @StateId("updated") ValueState<Long> updatedState,
        OutputReceiver<LatestStat> out) {
      Observation o = element.getValue();
      long trailing = trailingMs.getOrDefault(o.source, defaultMs);
      @Nullable List<KV<Long, Double>> stored = pointsState.read();
      List<KV<Long, Double>> points = stored == null ? new ArrayList<>() : new ArrayList<>(stored);
      if (!addAndPrune(points, o, trailing)) {
        return;
      }
      pointsState.write(points);
      statePoints.update(points.size());
      Long previous = updatedState.read();
      long now = System.currentTimeMillis();
      long updatedAt = previous == null ? now : Math.max(now, previous + 1);
      updatedState.write(updatedAt);
      out.output(
          stats(
              o.source,
              o.seriesId,
              trailingText.getOrDefault(o.source, defaultText),
              points,
              updatedAt));
    }
  }
}

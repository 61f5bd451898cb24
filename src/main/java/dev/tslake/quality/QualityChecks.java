package dev.tslake.quality;

import dev.tslake.config.CheckSpec;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.CheckResult;
import dev.tslake.model.Observation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The sources' declared checks (config {@code checks}, docs/checks.md), evaluated per series on
 * what a run sees: {@code current}, this run's winners plus the stored rows the run read back
 * around them. Output: one {@link CheckResult} per (source, series, check).
 *
 * <p>One pass per series ({@code Combine.perKey}) builds a {@link SeriesProfile} for not_null,
 * range, freshness, gaps and min_rows. Anomaly checks group by (series, check, {@code
 * floor(ts/window)}) with the previous bucket as context, so no group holds more than two windows
 * of one series; each of this run's points is compared with the values in {@code [ts - window,
 * ts)}.
 */
public final class QualityChecks
    extends PTransform<PCollection<Observation>, PCollection<CheckResult>> {
  private final Map<String, List<CheckSpec>> checks = new HashMap<>();
  private final Map<String, List<String>> ids = new HashMap<>();
  private final long runStart;

  /** Per series, the newest stored ts outside what the run reads back (freshness), or null. */
  private final transient @Nullable PCollection<KV<String, Long>> newestStored;

  private QualityChecks(
      PipelineConfig config, Instant runStart, @Nullable PCollection<KV<String, Long>> newest) {
    for (SourceConfig s : config.sources) {
      if (!s.checks.isEmpty()) {
        checks.put(s.name, new ArrayList<>(s.checks));
        ids.put(s.name, s.checkIds());
      }
    }
    this.runStart = runStart.toEpochMilli();
    this.newestStored = newest;
  }

  /** {@code runStart}: "now" for freshness checks (the run's start, so a rerun decides alike). */
  public static QualityChecks of(PipelineConfig config, Instant runStart) {
    return new QualityChecks(config, runStart, null);
  }

  /**
   * With, per series ({@code source + '\0' + series_id}), the newest stored timestamp beyond the
   * span the run reads back: a {@code freshness} check then judges the series' newest point even
   * when the run only revised old ones. Without it, freshness sees what the run sees.
   */
  public QualityChecks withNewestStored(PCollection<KV<String, Long>> newest) {
    QualityChecks with =
        new QualityChecks(new PipelineConfig(), Instant.ofEpochMilli(runStart), newest);
    with.checks.putAll(checks);
    with.ids.putAll(ids);
    return with;
  }

  /** The sources with a {@code freshness} check. */
  public static Set<String> freshnessSources(PipelineConfig config) {
    Set<String> out = new HashSet<>();
    for (SourceConfig s : config.sources) {
      for (CheckSpec c : s.checks) {
        if (CheckSpec.FRESHNESS.equals(c.type)) {
          out.add(s.name);
        }
      }
    }
    return out;
  }

  /** Whether any source declares checks. */
  public boolean any() {
    return !checks.isEmpty();
  }

  static String key(Observation o) {
    return o.source + '\u0000' + o.seriesId;
  }

  @Override
  public PCollection<CheckResult> expand(PCollection<Observation> current) {
    Coder<SeriesProfile> profileCoder = SeriesProfile.coder();
    KvCoder<String, SeriesProfile> keyedProfile = KvCoder.of(StringUtf8Coder.of(), profileCoder);
    PCollection<KV<String, Observation>> keyed =
        current
            .apply("KeyBySeries", ParDo.of(new KeyFn(checks)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), current.getCoder()));
    PCollection<KV<String, SeriesProfile>> profiles =
        keyed.apply("ProfilePerSeries", Combine.perKey(new ProfileFn(checks)));
    PCollection<KV<String, SeriesProfile>> anomalies =
        current
            .apply("AnomalyBuckets", ParDo.of(new AnomalyPointsFn(checks)))
            .setCoder(
                KvCoder.of(
                    StringUtf8Coder.of(),
                    KvCoder.of(VarLongCoder.of(), KvCoder.of(DoubleCoder.of(), BooleanCoder.of()))))
            .apply("GroupBuckets", GroupByKey.create())
            .apply("TrailingWindowOutliers", ParDo.of(new AnomalyFn(checks)))
            .setCoder(keyedProfile);
    PCollectionList<KV<String, SeriesProfile>> all = PCollectionList.of(profiles).and(anomalies);
    if (newestStored != null) {
      all =
          all.and(
              newestStored
                  .apply(
                      "NewestStoredProfiles",
                      MapElements.into(
                              TypeDescriptors.kvs(
                                  TypeDescriptors.strings(),
                                  TypeDescriptor.of(SeriesProfile.class)))
                          .via(
                              (KV<String, Long> kv) -> {
                                SeriesProfile p = new SeriesProfile(0);
                                p.maxTs = kv.getValue();
                                return KV.of(kv.getKey(), p);
                              }))
                  .setCoder(keyedProfile));
    }
    return all.apply("AllProfiles", Flatten.pCollections())
        .setCoder(keyedProfile)
        .apply("MergeProfiles", Combine.perKey(new MergeFn()))
        .apply("Evaluate", ParDo.of(new EvaluateFn(checks, ids, runStart)));
  }

  static final class KeyFn extends DoFn<Observation, KV<String, Observation>> {
    private final Map<String, List<CheckSpec>> checks;

    KeyFn(Map<String, List<CheckSpec>> checks) {
      this.checks = checks;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, Observation>> out) {
      if (checks.containsKey(o.source)) {
        out.output(KV.of(key(o), o));
      }
    }
  }

  /** One pass over a series' rows: counts, newest ts, range and not_null violations, gaps' ts. */
  static final class ProfileFn
      extends Combine.CombineFn<Observation, SeriesProfile, SeriesProfile> {
    private final Map<String, List<CheckSpec>> checks;

    ProfileFn(Map<String, List<CheckSpec>> checks) {
      this.checks = checks;
    }

    @Override
    public SeriesProfile createAccumulator() {
      return new SeriesProfile(0);
    }

    @Override
    public SeriesProfile addInput(SeriesProfile p, Observation o) {
      List<CheckSpec> cs = checks.get(o.source);
      p.ensure(cs.size());
      p.rows++;
      if (o.value == null) {
        p.missing++;
      }
      p.maxTs = Math.max(p.maxTs, o.ts);
      boolean gaps = false;
      for (int i = 0; i < cs.size(); i++) {
        CheckSpec c = cs.get(i);
        switch (c.type) {
          case CheckSpec.NOT_NULL:
            if (o.value == null) {
              p.violation(i, o.ts);
            }
            break;
          case CheckSpec.RANGE:
            if (o.value != null
                && ((c.min != null && o.value < c.min) || (c.max != null && o.value > c.max))) {
              p.violation(i, o.ts);
            }
            break;
          case CheckSpec.GAPS:
            gaps = true;
            break;
          default:
            break;
        }
      }
      if (gaps) {
        p.addTs(o.ts);
      }
      return p;
    }

    @Override
    public SeriesProfile mergeAccumulators(Iterable<SeriesProfile> all) {
      SeriesProfile out = new SeriesProfile(0);
      for (SeriesProfile p : all) {
        out.merge(p);
      }
      return out;
    }

    @Override
    public SeriesProfile extractOutput(SeriesProfile p) {
      return p;
    }

    @Override
    public Coder<SeriesProfile> getAccumulatorCoder(
        CoderRegistry registry, Coder<Observation> input) {
      return SeriesProfile.coder();
    }

    @Override
    public Coder<SeriesProfile> getDefaultOutputCoder(
        CoderRegistry registry, Coder<Observation> input) {
      return SeriesProfile.coder();
    }
  }

  static final class MergeFn
      extends Combine.CombineFn<SeriesProfile, SeriesProfile, SeriesProfile> {
    @Override
    public SeriesProfile createAccumulator() {
      return new SeriesProfile(0);
    }

    @Override
    public SeriesProfile addInput(SeriesProfile acc, SeriesProfile p) {
      return acc.merge(p);
    }

    @Override
    public SeriesProfile mergeAccumulators(Iterable<SeriesProfile> all) {
      SeriesProfile out = new SeriesProfile(0);
      for (SeriesProfile p : all) {
        out.merge(p);
      }
      return out;
    }

    @Override
    public SeriesProfile extractOutput(SeriesProfile p) {
      return p;
    }

    @Override
    public Coder<SeriesProfile> getAccumulatorCoder(
        CoderRegistry registry, Coder<SeriesProfile> input) {
      return SeriesProfile.coder();
    }
  }

  /**
   * Buckets (each one window long) per group: a group holds {@value} consecutive buckets and, as
   * context, the bucket before them. A point's trailing window lies within its own bucket and the
   * one before, so any grouping of consecutive buckets judges every point alike; larger groups make
   * fewer groups, and the DirectRunner hands every group on as a bundle of its own through each
   * later step (768 groups in the default job with one bucket per group).
   */
  static final int BUCKETS_PER_GROUP = 16;

  /**
   * Each valued point of a series with anomaly checks, per anomaly check: to the group of its own
   * bucket {@code floor(ts/window)} (to be judged when this run brought it) and, when the next
   * bucket starts another group, to that group as context. Key: {@code source \0 series \0 check
   * index \0 group}.
   */
  static final class AnomalyPointsFn
      extends DoFn<Observation, KV<String, KV<Long, KV<Double, Boolean>>>> {
    private final Map<String, List<CheckSpec>> checks;

    AnomalyPointsFn(Map<String, List<CheckSpec>> checks) {
      this.checks = checks;
    }

    @ProcessElement
    public void process(
        @Element Observation o, OutputReceiver<KV<String, KV<Long, KV<Double, Boolean>>>> out) {
      List<CheckSpec> cs = checks.get(o.source);
      if (cs == null || o.value == null) {
        return;
      }
      for (int i = 0; i < cs.size(); i++) {
        CheckSpec c = cs.get(i);
        if (!CheckSpec.ANOMALY.equals(c.type)) {
          continue;
        }
        long bucket = Math.floorDiv(o.ts, c.windowMillis());
        long group = Math.floorDiv(bucket, BUCKETS_PER_GROUP);
        String prefix = key(o) + '\u0000' + i + '\u0000';
        out.output(KV.of(prefix + group, KV.of(o.ts, KV.of(o.value, !o.stored))));
        if (Math.floorDiv(bucket + 1, BUCKETS_PER_GROUP) != group) {
          out.output(KV.of(prefix + (group + 1), KV.of(o.ts, KV.of(o.value, false))));
        }
      }
    }
  }

  /** One group of buckets: this run's points in it against the values in their trailing window. */
  static final class AnomalyFn
      extends DoFn<KV<String, Iterable<KV<Long, KV<Double, Boolean>>>>, KV<String, SeriesProfile>> {
    private final Map<String, List<CheckSpec>> checks;

    AnomalyFn(Map<String, List<CheckSpec>> checks) {
      this.checks = checks;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<KV<Long, KV<Double, Boolean>>>> group,
        OutputReceiver<KV<String, SeriesProfile>> out) {
      String[] parts = group.getKey().split("\u0000", -1);
      String source = parts[0];
      String seriesKey = source + '\u0000' + parts[1];
      int check = Integer.parseInt(parts[2]);
      List<CheckSpec> cs = checks.get(source);
      CheckSpec c = cs.get(check);
      List<KV<Long, KV<Double, Boolean>>> points = new ArrayList<>();
      group.getValue().forEach(points::add);
      points.sort((a, b) -> Long.compare(a.getKey(), b.getKey()));
      int n = points.size();
      long[] ts = new long[n];
      double[] v = new double[n];
      boolean[] own = new boolean[n];
      for (int j = 0; j < n; j++) {
        ts[j] = points.get(j).getKey();
        v[j] = points.get(j).getValue().getKey();
        own[j] = points.get(j).getValue().getValue();
      }
      SeriesProfile p = new SeriesProfile(cs.size());
      long window = c.windowMillis();
      int lo = 0;
      for (int j = 0; j < n; j++) {
        while (ts[lo] < ts[j] - window) {
          lo++;
        }
        if (!own[j] || j - lo < 2) {
          continue;
        }
        if (anomalous(v, lo, j, v[j], c.k)) {
          p.violation(check, ts[j]);
        }
        p.evaluated[check]++;
      }
      out.output(KV.of(seriesKey, p));
    }
  }

  /** Whether {@code x} is more than k sample standard deviations from the mean of v[lo, hi). */
  static boolean anomalous(double[] v, int lo, int hi, double x, double k) {
    int n = hi - lo;
    double sum = 0;
    for (int i = lo; i < hi; i++) {
      sum += v[i];
    }
    double mean = sum / n;
    double ss = 0;
    for (int i = lo; i < hi; i++) {
      ss += (v[i] - mean) * (v[i] - mean);
    }
    double sd = Math.sqrt(ss / (n - 1));
    return Math.abs(x - mean) > k * sd;
  }

  static final class EvaluateFn extends DoFn<KV<String, SeriesProfile>, CheckResult> {
    private final Map<String, List<CheckSpec>> checks;
    private final Map<String, List<String>> ids;
    private final long runStart;

    EvaluateFn(Map<String, List<CheckSpec>> checks, Map<String, List<String>> ids, long runStart) {
      this.checks = checks;
      this.ids = ids;
      this.runStart = runStart;
    }

    @ProcessElement
    public void process(@Element KV<String, SeriesProfile> e, OutputReceiver<CheckResult> out) {
      int cut = e.getKey().indexOf('\u0000');
      String source = e.getKey().substring(0, cut);
      String series = e.getKey().substring(cut + 1);
      List<CheckSpec> cs = checks.get(source);
      SeriesProfile p = e.getValue().ensure(cs.size());
      if (p.rows == 0) {
        return; // only anomaly context (cannot happen: every point is profiled too)
      }
      for (int i = 0; i < cs.size(); i++) {
        out.output(evaluate(source, series, ids.get(source).get(i), cs.get(i), i, p, runStart));
      }
    }
  }

  static CheckResult evaluate(
      String source, String series, String id, CheckSpec c, int i, SeriesProfile p, long now) {
    boolean fail;
    Double observed;
    long[] examples = p.examples[i];
    String threshold = c.thresholdText();
    switch (c.type) {
      case CheckSpec.NOT_NULL:
        observed = p.rows == 0 ? 0.0 : (double) p.missing / p.rows;
        fail = observed > c.max;
        break;
      case CheckSpec.RANGE:
      case CheckSpec.ANOMALY:
        observed = (double) p.violations[i];
        fail = p.violations[i] > 0;
        break;
      case CheckSpec.FRESHNESS:
        observed = (now - p.maxTs) / 1000.0;
        fail = now - p.maxTs > c.maxAgeMillis();
        examples = new long[] {p.maxTs};
        break;
      case CheckSpec.MIN_ROWS:
        observed = (double) p.rows;
        fail = p.rows < c.min;
        examples = new long[0];
        break;
      case CheckSpec.GAPS:
        {
          long[] ts = p.ts == null ? new long[0] : Arrays.copyOf(p.ts, p.tsSize);
          Arrays.sort(ts);
          long[] spacing = new long[Math.max(0, ts.length - 1)];
          long[] starts = new long[spacing.length];
          int m = 0;
          for (int j = 1; j < ts.length; j++) {
            if (ts[j] != ts[j - 1]) {
              spacing[m] = ts[j] - ts[j - 1];
              starts[m] = ts[j - 1];
              m++;
            }
          }
          if (m == 0) {
            observed = null;
            fail = false;
            examples = new long[0];
            break;
          }
          long[] sorted = Arrays.copyOf(spacing, m);
          Arrays.sort(sorted);
          double median =
              m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + (double) sorted[m / 2]) / 2;
          double limit = c.k != null ? c.k * median : c.maxGapMillis();
          if (c.k != null) {
            threshold += " (median " + (long) (median / 1000) + " s)";
          }
          observed = sorted[m - 1] / 1000.0;
          examples = new long[0];
          for (int j = 0; j < m; j++) {
            if (spacing[j] > limit) {
              examples = SeriesProfile.addExample(examples, starts[j]);
            }
          }
          fail = examples.length > 0;
          break;
        }
      default:
        throw new IllegalStateException("unknown check type " + c.type);
    }
    return new CheckResult(
        source,
        series,
        id,
        c.type,
        c.severity,
        fail ? CheckResult.FAIL : CheckResult.PASS,
        observed,
        threshold,
        examplesText(fail ? examples : new long[0]));
  }

  static String examplesText(long[] ts) {
    if (ts.length == 0) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (long t : ts) {
      out.add(Instant.ofEpochMilli(t).toString());
    }
    return String.join(",", out);
  }
}

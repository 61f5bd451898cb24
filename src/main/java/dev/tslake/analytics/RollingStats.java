package dev.tslake.analytics;

import dev.tslake.aggregate.SeriesStats;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.Observation;
import dev.tslake.model.RollingStat;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Moving statistics over trailing windows {@code (ts - W, ts]}: for every observation with a value
 * and every rolling window W its source asks for, n, exact mean, sample stddev, min and max of the
 * series' values in the window ({@link RollingStat}).
 *
 * <p>Input: {@code current}, what the warehouse holds in the spans this run touches after the run
 * (this run's winners and the stored rows still current, flagged {@code stored}); TouchedSpans
 * reads back W before and after each run's records ({@link SourceConfig#contextBefore()}).
 *
 * <p>Memory is bounded by the points of {@link #WINDOWS_PER_BUCKET} + 1 windows, never a whole
 * series: each point is keyed by (window, series, bucket = floor(ts / (16 W))) and, when it lies
 * within W of the next bucket's start, also sent to bucket + 1 as context, since the window of any
 * point of bucket b lies in buckets b - 1 and b. Each group is sorted and swept once with a sliding
 * window (exact BigDecimal sums, monotonic deques for min and max).
 *
 * <p>A row is emitted only for an observation whose window holds a point of this run (so a late or
 * revised point rewrites the rows after it within W); such a window lies inside the read-back span,
 * so it is complete. An observation of this run whose value is missing gets a deletion ({@link
 * RollingStat#deleted}): a revision that turns a value into missing removes its old row.
 */
public final class RollingStats
    extends PTransform<PCollection<Observation>, PCollection<RollingStat>> {
  private final PipelineConfig config;

  private RollingStats(PipelineConfig config) {
    this.config = config;
  }

  public static RollingStats of(PipelineConfig config) {
    return new RollingStats(config);
  }

  @Override
  public PCollection<RollingStat> expand(PCollection<Observation> current) {
    Map<String, Map<String, Long>> windowsBySource = new LinkedHashMap<>();
    for (SourceConfig s : config.sources) {
      Map<String, Long> ws = s.rollingWindows();
      if (!ws.isEmpty()) {
        windowsBySource.put(s.name, new LinkedHashMap<>(ws));
      }
    }
    return current
        .apply("ToBuckets", ParDo.of(new ToBucketsFn(windowsBySource)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Point.CODER))
        .apply("GroupBuckets", GroupByKey.create())
        .apply("Sweep", ParDo.of(new SweepFn()))
        .setCoder(RollingStat.coder());
  }

  /** Windows per bucket: a group holds the points of at most this many windows, plus one. */
  static final int WINDOWS_PER_BUCKET = 16;

  /**
   * The time span of one group: {@link #WINDOWS_PER_BUCKET} windows of {@code ms}. Wider buckets
   * than one window mean fewer groups (the DirectRunner runs every group's output as a bundle of
   * its own, and pays a fixed cost per bundle and step) and less context sent twice, for the same
   * rows: a window never reaches further back than the bucket before.
   */
  static long bucketWidth(long ms) {
    return ms > Long.MAX_VALUE / WINDOWS_PER_BUCKET ? ms : ms * WINDOWS_PER_BUCKET;
  }

  /** Key: window name, window ms, source, series and bucket, separated by NUL. */
  static String key(String window, long ms, String source, String series, long bucket) {
    return window + '\u0000' + ms + '\u0000' + source + '\u0000' + series + '\u0000' + bucket;
  }

  /** One observation as the sweep needs it. */
  static final class Point implements Serializable {
    final long ts;
    final @Nullable Double value;

    /** Of this run (not a stored row read back). */
    final boolean touched;

    /** In the group's own bucket (else context from the bucket before). */
    final boolean own;

    Point(long ts, @Nullable Double value, boolean touched, boolean own) {
      this.ts = ts;
      this.value = value;
      this.touched = touched;
      this.own = own;
    }

    static final CustomCoder<Point> CODER =
        new CustomCoder<Point>() {
          @Override
          public void encode(Point p, OutputStream os) throws IOException {
            DataOutputStream out = new DataOutputStream(os);
            out.writeLong(p.ts);
            out.writeByte((p.value == null ? 0 : 1) | (p.touched ? 2 : 0) | (p.own ? 4 : 0));
            if (p.value != null) {
              out.writeDouble(p.value);
            }
            out.flush();
          }

          @Override
          public Point decode(InputStream is) throws IOException {
            DataInputStream in = new DataInputStream(is);
            long ts = in.readLong();
            int flags = in.readByte();
            Double value = (flags & 1) != 0 ? in.readDouble() : null;
            return new Point(ts, value, (flags & 2) != 0, (flags & 4) != 0);
          }

          @Override
          public void verifyDeterministic() {}
        };
  }

  static final class ToBucketsFn extends DoFn<Observation, KV<String, Point>> {
    private final Map<String, Map<String, Long>> windowsBySource;

    ToBucketsFn(Map<String, Map<String, Long>> windowsBySource) {
      this.windowsBySource = windowsBySource;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, Point>> out) {
      Map<String, Long> windows = windowsBySource.get(o.source);
      if (windows == null) {
        return;
      }
      for (Map.Entry<String, Long> w : windows.entrySet()) {
        long ms = w.getValue();
        long width = bucketWidth(ms);
        long bucket = Math.floorDiv(o.ts, width);
        out.output(
            KV.of(
                key(w.getKey(), ms, o.source, o.seriesId, bucket),
                new Point(o.ts, o.value, !o.stored, true)));
        // context of the next bucket: only a point within W of its start lies in a window there
        if (o.ts > (bucket + 1) * width - ms) {
          out.output(
              KV.of(
                  key(w.getKey(), ms, o.source, o.seriesId, bucket + 1),
                  new Point(o.ts, o.value, !o.stored, false)));
        }
      }
    }
  }

  static final class SweepFn extends DoFn<KV<String, Iterable<Point>>, RollingStat> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<Point>> group, OutputReceiver<RollingStat> out) {
      List<Point> points = new ArrayList<>();
      boolean anyTouched = false;
      for (Point p : group.getValue()) {
        points.add(p);
        anyTouched |= p.touched;
      }
      if (!anyTouched) {
        return; // only stored rows: nothing changed here
      }
      String[] parts = group.getKey().split("\u0000", 5);
      sweep(parts[2], parts[3], parts[0], Long.parseLong(parts[1]), points, out::output);
    }
  }

  /** Receives the rows of one sweep. */
  interface Sink {
    void accept(RollingStat row);
  }

  /**
   * Sweeps one group's points (any order; one point per ts) with a trailing window of {@code ms}
   * and emits the rows of its own points whose window holds a touched point.
   */
  static void sweep(
      String source, String series, String window, long ms, List<Point> points, Sink out) {
    points.sort(Comparator.comparingLong(p -> p.ts));
    ArrayDeque<Integer> mins = new ArrayDeque<>();
    ArrayDeque<Integer> maxs = new ArrayDeque<>();
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal sumSq = BigDecimal.ZERO;
    long n = 0;
    int touched = 0;
    int left = 0;
    for (int i = 0; i < points.size(); i++) {
      Point p = points.get(i);
      if (p.value != null) {
        BigDecimal v = new BigDecimal(p.value);
        sum = sum.add(v);
        sumSq = sumSq.add(v.multiply(v));
        n++;
        while (!mins.isEmpty() && points.get(mins.peekLast()).value >= p.value) {
          mins.pollLast();
        }
        mins.addLast(i);
        while (!maxs.isEmpty() && points.get(maxs.peekLast()).value <= p.value) {
          maxs.pollLast();
        }
        maxs.addLast(i);
      }
      if (p.touched) {
        touched++;
      }
      long edge = p.ts - ms; // (ts - W, ts]: a point exactly W before is out
      while (points.get(left).ts <= edge) {
        Point gone = points.get(left);
        if (gone.value != null) {
          BigDecimal v = new BigDecimal(gone.value);
          sum = sum.subtract(v);
          sumSq = sumSq.subtract(v.multiply(v));
          n--;
          if (!mins.isEmpty() && mins.peekFirst() == left) {
            mins.pollFirst();
          }
          if (!maxs.isEmpty() && maxs.peekFirst() == left) {
            maxs.pollFirst();
          }
        }
        if (gone.touched) {
          touched--;
        }
        left++;
      }
      if (!p.own) {
        continue;
      }
      if (p.value == null) {
        if (p.touched) {
          out.accept(RollingStat.deletion(source, series, window, p.ts));
        }
        continue;
      }
      if (touched == 0) {
        continue;
      }
      out.accept(
          new RollingStat(
              source,
              series,
              window,
              p.ts,
              n,
              SeriesStats.exactMean(n, sum),
              SeriesStats.sampleStddev(n, sum, sumSq),
              points.get(mins.peekFirst()).value,
              points.get(maxs.peekFirst()).value,
              false));
    }
  }
}

package dev.tslake.aggregate;

import dev.tslake.model.SchemaCoders;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;

/**
 * Running statistics of one series in one window. The sum is exact (BigDecimal holds every double
 * exactly), so the mean does not depend on the order in which a runner happens to merge partial
 * results: two runs, or two runners, give bit-identical means.
 */
@DefaultSchema(JavaFieldSchema.class)
public final class SeriesStats implements Serializable {
  long n;
  long missing;
  double min = Double.NaN;
  double max = Double.NaN;
  BigDecimal sum = BigDecimal.ZERO;

  /** Exact sum of squares (every double's square is exact in BigDecimal): stddev is order-free. */
  BigDecimal sumSq = BigDecimal.ZERO;

  long firstTs = Long.MAX_VALUE;
  double first = Double.NaN;
  long lastTs = Long.MIN_VALUE;
  double last = Double.NaN;

  /**
   * Whether a record of this run lies in the window; windows holding only rows read back from the
   * warehouse are not written (at the edges of the read range they may be partial).
   */
  boolean touched;

  void add(long ts, Double value) {
    add(ts, value, true);
  }

  void add(long ts, Double value, boolean byThisRun) {
    touched |= byThisRun;
    if (value == null) {
      missing++;
      return;
    }
    double v = value;
    if (n == 0) {
      min = v;
      max = v;
    } else {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    n++;
    BigDecimal exact = new BigDecimal(v);
    sum = sum.add(exact);
    sumSq = sumSq.add(exact.multiply(exact));
    if (ts < firstTs) {
      firstTs = ts;
      first = v;
    }
    if (ts > lastTs) {
      lastTs = ts;
      last = v;
    }
  }

  void merge(SeriesStats o) {
    touched |= o.touched;
    missing += o.missing;
    if (o.n == 0) {
      return;
    }
    if (n == 0) {
      min = o.min;
      max = o.max;
    } else {
      min = Math.min(min, o.min);
      max = Math.max(max, o.max);
    }
    n += o.n;
    sum = sum.add(o.sum);
    sumSq = sumSq.add(o.sumSq);
    if (o.firstTs < firstTs) {
      firstTs = o.firstTs;
      first = o.first;
    }
    if (o.lastTs > lastTs) {
      lastTs = o.lastTs;
      last = o.last;
    }
  }

  Double mean() {
    return n == 0 ? null : sum.divide(BigDecimal.valueOf(n), MathContext.DECIMAL128).doubleValue();
  }

  /** Sample standard deviation, null when n < 2. */
  Double stddev() {
    return sampleStddev(n, sum, sumSq);
  }

  /**
   * Sample standard deviation from an exact count, sum and sum of squares: the variance {@code (n
   * sumSq - sum^2) / (n (n - 1))} has an exact numerator and denominator, is divided to 34 digits
   * and square rooted to the nearest double, so the result depends only on the values, not on the
   * order they were added or merged in. Null when {@code n < 2}.
   */
  public static Double sampleStddev(long n, BigDecimal sum, BigDecimal sumSq) {
    if (n < 2) {
      return null;
    }
    BigDecimal bn = BigDecimal.valueOf(n);
    BigDecimal numerator = bn.multiply(sumSq).subtract(sum.multiply(sum));
    if (numerator.signum() <= 0) {
      return 0.0;
    }
    BigDecimal variance =
        numerator.divide(bn.multiply(BigDecimal.valueOf(n - 1)), MathContext.DECIMAL128);
    return nearestRoot(variance);
  }

  private static final BigDecimal TWO = BigDecimal.valueOf(2);

  /**
   * The double nearest to the square root of a positive {@code x}: the double root of x's nearest
   * double (within an ulp), then moved by an ulp while x lies beyond the midpoint to the neighbour
   * (exact squares). The same doubles as {@code x.sqrt(DECIMAL128).doubleValue()} (no difference in
   * 200,000 random variances) at 60% of its cost: it ran once per rolling point and was 8% of the
   * default job's worker CPU.
   */
  static double nearestRoot(BigDecimal x) {
    double d = Math.sqrt(x.doubleValue());
    for (int step = 0; step < 4; step++) {
      BigDecimal here = new BigDecimal(d);
      BigDecimal up = here.add(new BigDecimal(Math.nextUp(d))).divide(TWO);
      if (up.multiply(up).compareTo(x) < 0) {
        d = Math.nextUp(d);
        continue;
      }
      BigDecimal down = here.add(new BigDecimal(Math.nextDown(d))).divide(TWO);
      if (down.multiply(down).compareTo(x) > 0) {
        d = Math.nextDown(d);
        continue;
      }
      break;
    }
    return d;
  }

  /** Exact mean of n values summing to sum, rounded once; null when n is 0. */
  public static Double exactMean(long n, BigDecimal sum) {
    return n == 0 ? null : sum.divide(BigDecimal.valueOf(n), MathContext.DECIMAL128).doubleValue();
  }

  /** Beam's schema coder over the fields above (low volume: a few per series and window). */
  static SchemaCoder<SeriesStats> coder() {
    return SchemaCoders.of(SeriesStats.class);
  }
}

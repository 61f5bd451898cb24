package dev.tslake.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;

/**
 * Running statistics of one series in one window. The sum is exact (BigDecimal holds every double
 * exactly), so the mean does not depend on the order in which a runner happens to merge partial
 * results: two runs, or two runners, give bit-identical means.
 */
public final class SeriesStats implements Serializable {
  long n;
  long missing;
  double min = Double.NaN;
  double max = Double.NaN;

  /**
   * The exact sum and sum of squares are {@code sumBase + sums} and {@code sumSqBase + squares}:
   * the bases hold what a coder read (or zero), the accumulators every value added since, at the
   * scale BigDecimal arithmetic would give them (see {@link #sum()}).
   */
  private BigDecimal sumBase = BigDecimal.ZERO;

  private BigDecimal sumSqBase = BigDecimal.ZERO;
  private final ExactSum sums = new ExactSum();
  private final ExactSum squares = new ExactSum();

  /**
   * The largest scale of {@code new BigDecimal(v)} over the values in the accumulators (the squares
   * have twice it), -1 while there are none.
   */
  private int scale = -1;

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
    accumulate(v);
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
    sumBase = sumBase.add(o.sumBase);
    sumSqBase = sumSqBase.add(o.sumSqBase);
    if (o.scale >= 0) {
      scale = Math.max(scale, o.scale);
      sums.add(o.sums);
      squares.add(o.squares);
    }
    if (o.firstTs < firstTs) {
      firstTs = o.firstTs;
      first = o.first;
    }
    if (o.lastTs > lastTs) {
      lastTs = o.lastTs;
      last = o.last;
    }
  }

  /**
   * Adds v to the exact sums as {@code new BigDecimal(v)} would: v = m 2^e with an integer m below
   * 2^53, whose BigDecimal has the scale -e' for the exponent e' of m's lowest set bit (0 when e'
   * is not negative, and for zeros). Like that constructor, throws for NaN and infinities.
   */
  private void accumulate(double v) {
    long bits = Double.doubleToRawLongBits(v);
    int biased = (int) (bits >>> 52) & 0x7ff;
    if (biased == 0x7ff) {
      throw new NumberFormatException("Infinite or NaN");
    }
    long m = bits & 0x000F_FFFF_FFFF_FFFFL;
    int e;
    if (biased == 0) {
      e = -1074; // subnormal or zero
    } else {
      m |= 1L << 52;
      e = biased - 1075;
    }
    if (m == 0) {
      scale = Math.max(scale, 0);
      return;
    }
    scale = Math.max(scale, Math.max(0, -(e + Long.numberOfTrailingZeros(m))));
    sums.add(m, e, bits < 0);
    squares.addSquare(m, e);
  }

  /**
   * The exact sum of the values, equal to, and with the same scale as, the BigDecimal sum of {@code
   * new BigDecimal(v)} over them from {@code BigDecimal.ZERO}, merged the same way (a sum's scale
   * is the largest of its terms').
   */
  BigDecimal sum() {
    return scale < 0 ? sumBase : plus(sumBase, sums.toBigDecimal(scale));
  }

  /** The exact sum of squares, as {@link #sum()}: the squares have twice the values' scale. */
  BigDecimal sumSq() {
    return scale < 0 ? sumSqBase : plus(sumSqBase, squares.toBigDecimal(2 * scale));
  }

  private static BigDecimal plus(BigDecimal base, BigDecimal accumulated) {
    // the accumulated scale is not negative, so adding it to ZERO would change nothing
    return base == BigDecimal.ZERO ? accumulated : base.add(accumulated);
  }

  /** Sets the exact sums of a new instance, read by a coder. */
  void setSums(BigDecimal sum, BigDecimal sumSq) {
    if (scale >= 0) {
      throw new IllegalStateException("values were added already");
    }
    sumBase = sum;
    sumSqBase = sumSq;
  }

  Double mean() {
    return exactMean(n, sum());
  }

  /** Sample standard deviation, null when n < 2. */
  Double stddev() {
    return n < 2 ? null : sampleStddev(n, sum(), sumSq());
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

  /**
   * Writes every field, the exact sums as BigDecimal scale and unscaled bytes (the layout {@link
   * WindowedStats#CODER} has always had per window).
   */
  void writeTo(DataOutputStream out) throws IOException {
    out.writeLong(n);
    out.writeLong(missing);
    out.writeDouble(min);
    out.writeDouble(max);
    writeDecimal(out, sum());
    writeDecimal(out, sumSq());
    out.writeLong(firstTs);
    out.writeDouble(first);
    out.writeLong(lastTs);
    out.writeDouble(last);
    out.writeBoolean(touched);
  }

  /** Reads into a new instance what {@link #writeTo} wrote. */
  void readFrom(DataInputStream in) throws IOException {
    n = in.readLong();
    missing = in.readLong();
    min = in.readDouble();
    max = in.readDouble();
    BigDecimal readSum = readDecimal(in);
    setSums(readSum, readDecimal(in));
    firstTs = in.readLong();
    first = in.readDouble();
    lastTs = in.readLong();
    last = in.readDouble();
    touched = in.readBoolean();
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

  /**
   * A coder of one instance: {@link #writeTo}'s fields. (The accumulators are not plain fields, so
   * a schema over the fields would not see the sums.)
   */
  static Coder<SeriesStats> coder() {
    return StatsCoder.INSTANCE;
  }

  private static final class StatsCoder extends CustomCoder<SeriesStats> {
    private static final long serialVersionUID = 1L;
    static final StatsCoder INSTANCE = new StatsCoder();

    @Override
    public void encode(SeriesStats s, OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      s.writeTo(out);
      out.flush();
    }

    @Override
    public SeriesStats decode(InputStream is) throws IOException {
      SeriesStats s = new SeriesStats();
      s.readFrom(new DataInputStream(is));
      return s;
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean equals(Object o) {
      return o instanceof StatsCoder;
    }

    @Override
    public int hashCode() {
      return StatsCoder.class.hashCode();
    }
  }
}

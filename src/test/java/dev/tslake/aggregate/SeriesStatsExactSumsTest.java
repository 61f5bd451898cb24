package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/**
 * The fixed-point sums of {@link SeriesStats} equal, value and scale, the BigDecimal sums of {@code
 * new BigDecimal(v)} and of its square they replace, however the values are added and merged.
 */
class SeriesStatsExactSumsTest {
  private static final double[] EDGES = {
    0.0,
    -0.0,
    0.1,
    -0.1,
    1.0,
    -1.0,
    100.1234,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MIN_NORMAL,
    Math.nextDown(Double.MIN_NORMAL),
    -Math.nextDown(Double.MIN_NORMAL),
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    Math.ulp(1.0),
    4503599627370497.0, // 2^52 + 1
    9007199254740991.0, // 2^53 - 1
  };

  private static double randomValue(Random r) {
    switch (r.nextInt(7)) {
      case 0: // any finite bit pattern: every exponent, both signs
        double any;
        do {
          any = Double.longBitsToDouble(r.nextLong());
        } while (!Double.isFinite(any));
        return any;
      case 1: // subnormal
        return Double.longBitsToDouble(
            (r.nextBoolean() ? Long.MIN_VALUE : 0) | (r.nextLong() & 0x000F_FFFF_FFFF_FFFFL));
      case 2: // a random walk's value with 4 decimals
        return Math.round((100 + r.nextGaussian() * 5) * 10_000) / 10_000.0;
      case 3:
        return EDGES[r.nextInt(EDGES.length)];
      case 4: // a narrow exponent range around a random one
        return Math.scalb(r.nextDouble() - 0.5, r.nextInt(2098) - 1074);
      case 5:
        return r.nextInt(2001) - 1000;
      default:
        return (r.nextBoolean() ? -1 : 1) * r.nextDouble() * Math.pow(10, r.nextInt(20) - 10);
    }
  }

  /** A sequence of values, often with each value's negation in it too, so sums cancel. */
  private static List<Double> randomValues(Random r) {
    int size = r.nextInt(4) == 0 ? r.nextInt(3) : 1 + r.nextInt(60);
    boolean cancel = r.nextInt(3) == 0;
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      double v = randomValue(r);
      values.add(v);
      if (cancel) {
        values.add(-v);
      }
    }
    if (cancel) {
      java.util.Collections.shuffle(values, r);
    }
    return values;
  }

  private static BigDecimal referenceSum(List<Double> values) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v));
    }
    return sum;
  }

  private static BigDecimal referenceSumSq(List<Double> values) {
    BigDecimal sumSq = BigDecimal.ZERO;
    for (double v : values) {
      BigDecimal exact = new BigDecimal(v);
      sumSq = sumSq.add(exact.multiply(exact));
    }
    return sumSq;
  }

  private static String outcome(java.util.function.Supplier<Double> f) {
    try {
      Double d = f.get();
      return d == null ? "null" : Long.toHexString(Double.doubleToRawLongBits(d));
    } catch (RuntimeException e) {
      return e.toString();
    }
  }

  private static void assertSame(List<Double> values, SeriesStats s) {
    BigDecimal sum = referenceSum(values);
    BigDecimal sumSq = referenceSumSq(values);
    // BigDecimal.equals: the same value at the same scale
    assertEquals(sum, s.sum(), values::toString);
    assertEquals(sumSq, s.sumSq(), values::toString);
    assertEquals(values.size(), s.n);
    assertEquals(
        outcome(() -> SeriesStats.exactMean(values.size(), sum)), outcome(s::mean), "mean");
    assertEquals(
        outcome(() -> SeriesStats.sampleStddev(values.size(), sum, sumSq)),
        outcome(s::stddev),
        "stddev");
  }

  private static SeriesStats added(List<Double> values) {
    SeriesStats s = new SeriesStats();
    long ts = 0;
    for (double v : values) {
      s.add(ts++, v, true);
    }
    return s;
  }

  @Test
  void addedValuesSumAsBigDecimals() {
    Random r = new Random(20240611L);
    for (int round = 0; round < 3000; round++) {
      List<Double> values = randomValues(r);
      assertSame(values, added(values));
    }
    for (double v : EDGES) {
      assertSame(List.of(v), added(List.of(v)));
      assertSame(List.of(v, -v), added(List.of(v, -v)));
      assertSame(List.of(v, v, 0.1, -v, -v), added(List.of(v, v, 0.1, -v, -v)));
    }
  }

  @Test
  void mergedPartsSumAsBigDecimals() throws Exception {
    Random r = new Random(7L);
    for (int round = 0; round < 1500; round++) {
      List<Double> values = randomValues(r);
      // cut the values into parts at random, add each part to its own stats, some of them read
      // back through the coder, and merge the parts in a random tree
      List<SeriesStats> parts = new ArrayList<>();
      int from = 0;
      while (from < values.size() || parts.isEmpty()) {
        int to = Math.min(values.size(), from + r.nextInt(8));
        SeriesStats part = added(values.subList(from, to));
        if (r.nextInt(3) == 0) {
          part = CoderUtils.clone(SeriesStats.coder(), part);
        }
        parts.add(part);
        from = to;
      }
      while (parts.size() > 1) {
        int i = r.nextInt(parts.size());
        SeriesStats a = parts.remove(i);
        SeriesStats b = parts.remove(r.nextInt(parts.size()));
        a.merge(b);
        if (r.nextInt(4) == 0) {
          a = CoderUtils.clone(SeriesStats.coder(), a);
        }
        if (r.nextBoolean()) {
          a.add(-1, null); // a missing value: no change to the sums
        }
        parts.add(a);
      }
      assertSame(values, parts.get(0));
    }
  }

  @Test
  void addingToReadStatsKeepsTheReadSums() throws Exception {
    Random r = new Random(99L);
    for (int round = 0; round < 500; round++) {
      List<Double> first = randomValues(r);
      List<Double> more = randomValues(r);
      SeriesStats s = CoderUtils.clone(SeriesStats.coder(), added(first));
      for (double v : more) {
        s.add(0, v, true);
      }
      List<Double> all = new ArrayList<>(first);
      all.addAll(more);
      if (s.n > 0) {
        assertSame(all, s);
      }
    }
  }

  /** Adds v and its square as SeriesStats does. */
  private static void addTo(ExactSum sum, ExactSum squares, double v) {
    long bits = Double.doubleToRawLongBits(v);
    int biased = (int) (bits >>> 52) & 0x7ff;
    long m = bits & 0x000F_FFFF_FFFF_FFFFL;
    int e = biased == 0 ? -1074 : biased - 1075;
    if (biased != 0) {
      m |= 1L << 52;
    }
    if (m != 0) {
      sum.add(m, e, bits < 0);
      squares.addSquare(m, e);
    }
  }

  @Test
  void carriesPropagatedEarlyChangeNothing() {
    Random r = new Random(3L);
    for (int round = 0; round < 1500; round++) {
      int maxPending = 1 + r.nextInt(4);
      List<Double> values = randomValues(r);
      ExactSum sum = new ExactSum(maxPending);
      ExactSum squares = new ExactSum(maxPending);
      ExactSum partSum = new ExactSum(1 + r.nextInt(4));
      ExactSum partSquares = new ExactSum(1 + r.nextInt(4));
      for (double v : values) {
        if (r.nextBoolean()) {
          addTo(sum, squares, v);
        } else {
          addTo(partSum, partSquares, v);
        }
        if (r.nextInt(8) == 0) {
          sum.add(partSum);
          squares.add(partSquares);
          partSum = new ExactSum(1 + r.nextInt(4));
          partSquares = new ExactSum(1 + r.nextInt(4));
        }
      }
      sum.add(partSum);
      squares.add(partSquares);
      BigDecimal expectedSum = referenceSum(values);
      BigDecimal expectedSumSq = referenceSumSq(values);
      assertEquals(expectedSum, sum.toBigDecimal(expectedSum.scale()), values::toString);
      assertEquals(expectedSumSq, squares.toBigDecimal(expectedSumSq.scale()), values::toString);
    }
  }

  @Test
  void nanAndInfinityThrowAsNewBigDecimalDoes() {
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -0.0 / 0.0}) {
      SeriesStats s = added(List.of(1.5));
      NumberFormatException e = assertThrows(NumberFormatException.class, () -> s.add(1, bad));
      assertEquals("Infinite or NaN", e.getMessage());
      // as before: counted, and in min and max, before the sum threw
      assertEquals(2, s.n);
      assertEquals(new BigDecimal(1.5), s.sum());
    }
    SeriesStats s = new SeriesStats();
    assertThrows(NumberFormatException.class, () -> s.add(1, Double.NEGATIVE_INFINITY));
    assertEquals(BigDecimal.ZERO, s.sum());
  }
}

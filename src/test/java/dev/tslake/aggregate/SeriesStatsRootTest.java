package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The standard deviation's root: the double nearest to the exact root, as BigDecimal's is. */
class SeriesStatsRootTest {
  @Test
  void nearestRootEqualsBigDecimalsRootOnRandomVariances() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      // variances as the stddev makes them: 34 digits, magnitudes from 1e-12 to 1e20
      BigDecimal x =
          new BigDecimal(random.nextDouble() + 1e-9)
              .multiply(BigDecimal.TEN.pow(random.nextInt(32)))
              .divide(BigDecimal.TEN.pow(12), MathContext.DECIMAL128);
      assertEquals(
          x.sqrt(MathContext.DECIMAL128).doubleValue(), SeriesStats.nearestRoot(x), x::toString);
    }
  }

  @Test
  void exactSquaresHaveExactRoots() {
    for (long r = 1; r < 5_000; r += 7) {
      BigDecimal x = BigDecimal.valueOf(r).multiply(BigDecimal.valueOf(r));
      assertEquals((double) r, SeriesStats.nearestRoot(x));
    }
    // the midpoint between two doubles squared: ties may go either way, never further
    double d = 1.0;
    BigDecimal mid =
        new BigDecimal(d).add(new BigDecimal(Math.nextUp(d))).divide(BigDecimal.valueOf(2));
    double root = SeriesStats.nearestRoot(mid.multiply(mid));
    assertEquals(true, root == d || root == Math.nextUp(d), Double.toString(root));
  }
}

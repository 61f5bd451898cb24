package dev.tslake.aggregate;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * An exact sum of doubles, or of their squares, as a fixed-point number (a Kulisch accumulator):
 * 32-bit limbs held in longs, so carries can wait, over a window of limbs around the binary
 * exponents seen so far that grows when a term falls outside it. Adding a double costs a few
 * integer additions instead of a {@code BigDecimal} addition; the sum becomes a {@code BigDecimal}
 * only when asked for. The value does not depend on the order of the terms.
 */
final class ExactSum implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Limb g weighs 2^(32 g - OFFSET): the smallest term, the square of the smallest subnormal
   * (2^-2148), lands in limb 0, and the largest, a square near 2^2048, in limb 131.
   */
  private static final int OFFSET = 2176;

  private static final long MASK = 0xFFFF_FFFFL;

  /**
   * A term adds less than 2^33 to each limb and a limb whose carry has gone out holds less than
   * 2^32: below this many terms since the last carry, no limb exceeds 2^62.
   */
  private static final int MAX_PENDING = 1 << 29;

  private static final BigInteger[] POWERS_OF_FIVE = new BigInteger[256];

  /**
   * Limbs lo, lo + 1, ...; null until the first term. Two limbs above any term stay for carries.
   */
  private long[] limbs;

  private int lo;

  /** Terms (or carried limbs) added to the limbs since carries were last propagated. */
  private int pending;

  /** MAX_PENDING but in tests, which carry more often. */
  private final int maxPending;

  ExactSum() {
    this(MAX_PENDING);
  }

  ExactSum(int maxPending) {
    this.maxPending = Math.min(maxPending, MAX_PENDING);
  }

  /** Adds {@code (negative ? -m : m) * 2^e} for {@code 0 < m < 2^53}. */
  void add(long m, int e, boolean negative) {
    int pos = e + OFFSET;
    int g = pos >> 5;
    int sh = pos & 31;
    int i = g - lo;
    if (limbs == null || i < 0 || i + 4 >= limbs.length) {
      i = makeRoom(g, g + 2);
    }
    long a = m << sh;
    long l0 = a & MASK;
    long l1 = a >>> 32;
    long l2 = (m >>> 1) >>> (63 - sh);
    long[] x = limbs;
    if (negative) {
      x[i] -= l0;
      x[i + 1] -= l1;
      x[i + 2] -= l2;
    } else {
      x[i] += l0;
      x[i + 1] += l1;
      x[i + 2] += l2;
    }
    if (++pending >= maxPending) {
      carry(limbs);
      pending = 1;
    }
  }

  /** Adds {@code (m * 2^e)^2} for {@code 0 < m < 2^53}: the 106-bit square is exact. */
  void addSquare(long m, int e) {
    long low = m * m;
    long high = Math.multiplyHigh(m, m);
    int pos = 2 * e + OFFSET;
    int g = pos >> 5;
    int sh = pos & 31;
    int i = g - lo;
    if (limbs == null || i < 0 || i + 6 >= limbs.length) {
      i = makeRoom(g, g + 4);
    }
    long p0 = (low & MASK) << sh;
    long p1 = (low >>> 32) << sh;
    long p2 = (high & MASK) << sh;
    long p3 = (high >>> 32) << sh;
    long[] x = limbs;
    x[i] += p0 & MASK;
    x[i + 1] += (p0 >>> 32) + (p1 & MASK);
    x[i + 2] += (p1 >>> 32) + (p2 & MASK);
    x[i + 3] += (p2 >>> 32) + (p3 & MASK);
    x[i + 4] += p3 >>> 32;
    if (++pending >= maxPending) {
      carry(limbs);
      pending = 1;
    }
  }

  /** Adds the sum held by {@code o}, which is left as it is. */
  void add(ExactSum o) {
    long[] y = o.limbs;
    if (y == null) {
      return;
    }
    int a = 0;
    int b = y.length - 1;
    while (a <= b && y[a] == 0) {
      a++;
    }
    while (b >= a && y[b] == 0) {
      b--;
    }
    if (a > b) {
      return;
    }
    if (pending + o.pending >= maxPending) {
      carry(limbs);
      pending = 1;
    }
    int gLo = o.lo + a;
    int gHi = o.lo + b;
    int i = gLo - lo;
    if (limbs == null || i < 0 || gHi + 2 - lo >= limbs.length) {
      i = makeRoom(gLo, gHi);
    }
    long[] x = limbs;
    for (int k = a; k <= b; k++) {
      x[i + k - a] += y[k];
    }
    pending += o.pending;
    if (pending >= maxPending) {
      carry(limbs);
      pending = 1;
    }
  }

  /**
   * Grows the limbs (or allocates them) to hold limbs gLo to gHi and two above for carries, with a
   * margin below and above for neighbouring exponents; returns the index of limb gLo.
   */
  private int makeRoom(int gLo, int gHi) {
    if (limbs == null) {
      lo = gLo - 2;
      limbs = new long[gHi + 4 - lo];
    } else {
      int newLo = Math.min(lo, gLo - 2);
      int newHi = Math.max(lo + limbs.length - 1, gHi + 3);
      long[] grown = new long[newHi - newLo + 1];
      System.arraycopy(limbs, 0, grown, lo - newLo, limbs.length);
      limbs = grown;
      lo = newLo;
    }
    return gLo - lo;
  }

  /** Moves every limb's carry into the limb above: all but the top one end in [0, 2^32). */
  private static void carry(long[] x) {
    if (x == null) {
      return;
    }
    long c = 0;
    for (int k = 0; k < x.length - 1; k++) {
      long t = x[k] + c;
      x[k] = t & MASK;
      c = t >> 32;
    }
    x[x.length - 1] += c;
  }

  /**
   * The sum as a {@code BigDecimal} of the given scale, which must be at least the number of
   * fractional decimal digits of the sum (the largest scale of {@code new BigDecimal(term)}).
   */
  BigDecimal toBigDecimal(int scale) {
    if (limbs == null) {
      return BigDecimal.valueOf(0, scale);
    }
    long[] x = limbs.clone();
    carry(x);
    int top = x.length - 1;
    byte[] bytes = new byte[8 + 4 * top];
    long t = x[top];
    for (int k = 0; k < 8; k++) {
      bytes[k] = (byte) (t >>> (56 - 8 * k));
    }
    for (int k = top - 1, at = 8; k >= 0; k--, at += 4) {
      long v = x[k];
      bytes[at] = (byte) (v >>> 24);
      bytes[at + 1] = (byte) (v >>> 16);
      bytes[at + 2] = (byte) (v >>> 8);
      bytes[at + 3] = (byte) v;
    }
    // sum = fixed * 2^(32 lo - OFFSET), so sum * 10^scale = fixed * 2^(32 lo - OFFSET + scale) *
    // 5^scale, an integer: the shift right drops only zero bits
    BigInteger fixed = new BigInteger(bytes);
    int shift = 32 * lo - OFFSET + scale;
    fixed = shift >= 0 ? fixed.shiftLeft(shift) : fixed.shiftRight(-shift);
    return new BigDecimal(fixed.multiply(powerOfFive(scale)), scale);
  }

  private static BigInteger powerOfFive(int k) {
    if (k >= POWERS_OF_FIVE.length) {
      return BigInteger.valueOf(5).pow(k);
    }
    BigInteger p = POWERS_OF_FIVE[k];
    if (p == null) {
      p = BigInteger.valueOf(5).pow(k);
      POWERS_OF_FIVE[k] = p;
    }
    return p;
  }
}

package dev.tslake.quality;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * What the per-series checks need of one series, built in one pass over the rows a run sees and
 * mergeable in any order (the result does not depend on it): row and missing counts, the newest ts,
 * per check the number of violations and the 5 earliest violating timestamps, and, only for a
 * source with a {@code gaps} check, the series' timestamps (8 bytes each: the exact median spacing
 * needs them all; bounded by the span the run read back).
 */
final class SeriesProfile implements Serializable {
  static final int EXAMPLES = 5;

  long rows;
  long missing;
  long maxTs = Long.MIN_VALUE;

  /** Per check index: violations found (range, anomaly) and points evaluated (anomaly). */
  long[] violations;

  long[] evaluated;

  /** Per check index: the earliest violating timestamps, ascending, at most {@link #EXAMPLES}. */
  long[][] examples;

  /** Timestamps seen (gaps checks only), unsorted; {@code tsSize} of {@code ts} are used. */
  long[] ts;

  int tsSize;

  SeriesProfile(int checks) {
    violations = new long[checks];
    evaluated = new long[checks];
    examples = new long[checks][];
    for (int i = 0; i < checks; i++) {
      examples[i] = new long[0];
    }
  }

  /** Grows the per-check arrays to {@code checks} (an empty accumulator does not know its key). */
  SeriesProfile ensure(int checks) {
    if (violations.length < checks) {
      int old = violations.length;
      violations = Arrays.copyOf(violations, checks);
      evaluated = Arrays.copyOf(evaluated, checks);
      examples = Arrays.copyOf(examples, checks);
      for (int i = old; i < checks; i++) {
        examples[i] = new long[0];
      }
    }
    return this;
  }

  void violation(int check, long at) {
    violations[check]++;
    examples[check] = addExample(examples[check], at);
  }

  void addTs(long t) {
    if (ts == null) {
      ts = new long[16];
    } else if (tsSize == ts.length) {
      ts = Arrays.copyOf(ts, ts.length * 2);
    }
    ts[tsSize++] = t;
  }

  static long[] addExample(long[] ex, long at) {
    if (ex.length == EXAMPLES && at >= ex[EXAMPLES - 1]) {
      return ex;
    }
    int pos = Arrays.binarySearch(ex, at);
    if (pos >= 0) {
      return ex;
    }
    pos = -pos - 1;
    long[] out = new long[Math.min(EXAMPLES, ex.length + 1)];
    System.arraycopy(ex, 0, out, 0, pos);
    out[pos] = at;
    System.arraycopy(ex, pos, out, pos + 1, out.length - pos - 1);
    return out;
  }

  /** Adds {@code o} into this one. */
  SeriesProfile merge(SeriesProfile o) {
    rows += o.rows;
    missing += o.missing;
    maxTs = Math.max(maxTs, o.maxTs);
    ensure(o.violations.length);
    for (int i = 0; i < o.violations.length; i++) {
      violations[i] += o.violations[i];
      evaluated[i] += o.evaluated[i];
      for (long at : o.examples[i]) {
        examples[i] = addExample(examples[i], at);
      }
    }
    for (int i = 0; i < o.tsSize; i++) {
      addTs(o.ts[i]);
    }
    return this;
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof SeriesProfile)) {
      return false;
    }
    SeriesProfile o = (SeriesProfile) other;
    return rows == o.rows
        && missing == o.missing
        && maxTs == o.maxTs
        && Arrays.equals(violations, o.violations)
        && Arrays.equals(evaluated, o.evaluated)
        && Arrays.deepEquals(examples, o.examples)
        && tsSize == o.tsSize
        && Arrays.equals(
            ts == null ? new long[0] : Arrays.copyOf(ts, tsSize),
            o.ts == null ? new long[0] : Arrays.copyOf(o.ts, o.tsSize));
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(rows, missing, maxTs, tsSize);
  }

  /** This profile's coder: varints, written field by field (Java serialization measured slower). */
  static ProfileCoder coder() {
    return ProfileCoder.INSTANCE;
  }

  /**
   * Writes a profile as varints: counts, the newest ts, per check its counts and examples, the
   * timestamps kept for gaps checks. The DirectRunner copies (encodes and decodes) the profiles of
   * a key every time a bundle adds to them; with Java serialization that was 0.8 s of the default
   * job's worker time in {@code MergeProfiles}.
   */
  static final class ProfileCoder extends AtomicCoder<SeriesProfile> {
    static final ProfileCoder INSTANCE = new ProfileCoder();

    private ProfileCoder() {}

    @Override
    public void encode(SeriesProfile p, OutputStream out) throws IOException {
      VarInt.encode(p.rows, out);
      VarInt.encode(p.missing, out);
      VarInt.encode(zigzag(p.maxTs), out);
      int checks = p.violations.length;
      VarInt.encode(checks, out);
      for (int i = 0; i < checks; i++) {
        VarInt.encode(p.violations[i], out);
        VarInt.encode(p.evaluated[i], out);
        long[] ex = p.examples[i];
        VarInt.encode(ex.length, out);
        for (long at : ex) {
          VarInt.encode(zigzag(at), out);
        }
      }
      VarInt.encode(p.tsSize, out);
      for (int i = 0; i < p.tsSize; i++) {
        VarInt.encode(zigzag(p.ts[i]), out);
      }
    }

    @Override
    public SeriesProfile decode(InputStream in) throws IOException {
      long rows = VarInt.decodeLong(in);
      long missing = VarInt.decodeLong(in);
      long maxTs = unzigzag(VarInt.decodeLong(in));
      int checks = VarInt.decodeInt(in);
      SeriesProfile p = new SeriesProfile(checks);
      p.rows = rows;
      p.missing = missing;
      p.maxTs = maxTs;
      for (int i = 0; i < checks; i++) {
        p.violations[i] = VarInt.decodeLong(in);
        p.evaluated[i] = VarInt.decodeLong(in);
        long[] ex = new long[VarInt.decodeInt(in)];
        for (int j = 0; j < ex.length; j++) {
          ex[j] = unzigzag(VarInt.decodeLong(in));
        }
        p.examples[i] = ex;
      }
      int size = VarInt.decodeInt(in);
      if (size > 0) {
        p.ts = new long[size];
        for (int i = 0; i < size; i++) {
          p.ts[i] = unzigzag(VarInt.decodeLong(in));
        }
        p.tsSize = size;
      }
      return p;
    }

    private static long zigzag(long v) {
      return (v << 1) ^ (v >> 63);
    }

    private static long unzigzag(long v) {
      return (v >>> 1) ^ -(v & 1);
    }
  }
}

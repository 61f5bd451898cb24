package dev.tslake.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.transforms.Combine;

/**
 * Per window start: its end and the {@link SeriesStats} of the points in it, for one series and
 * window size. The batch aggregates fold a bundle's points into one of these per series before the
 * shuffle, so a key carries all its windows and the runner handles one group per series instead of
 * one per series and window.
 */
public final class WindowedStats {
  final TreeMap<Long, SeriesStats> stats = new TreeMap<>();
  final Map<Long, Long> ends = new HashMap<>();

  SeriesStats window(long start, long end) {
    ends.putIfAbsent(start, end);
    return stats.computeIfAbsent(start, s -> new SeriesStats());
  }

  void mergeFrom(WindowedStats other) {
    for (Map.Entry<Long, SeriesStats> e : other.stats.entrySet()) {
      window(e.getKey(), other.ends.get(e.getKey())).merge(e.getValue());
    }
  }

  /**
   * Every window's start, end and statistics in start order, field by field (a {@code BigDecimal}
   * as its scale and unscaled bytes). On the DirectRunner a key's grouped partials are encoded and
   * decoded again for every bundle that adds to them (its copy-on-write state): Beam's composed
   * coders (a map of schema rows, whose {@code BigDecimalCoder} formats a message per value) took
   * about a fifth of the default job's CPU there.
   */
  static final Coder<WindowedStats> CODER = new WindowedStatsCoder();

  /** The binary form of {@link WindowedStats}; decoding gives back every field as encoded. */
  static final class WindowedStatsCoder extends CustomCoder<WindowedStats> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(WindowedStats w, OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      out.writeInt(w.stats.size());
      for (Map.Entry<Long, SeriesStats> e : w.stats.entrySet()) {
        SeriesStats s = e.getValue();
        out.writeLong(e.getKey());
        out.writeLong(w.ends.get(e.getKey()));
        out.writeLong(s.n);
        out.writeLong(s.missing);
        out.writeDouble(s.min);
        out.writeDouble(s.max);
        writeDecimal(out, s.sum);
        writeDecimal(out, s.sumSq);
        out.writeLong(s.firstTs);
        out.writeDouble(s.first);
        out.writeLong(s.lastTs);
        out.writeDouble(s.last);
        out.writeBoolean(s.touched);
      }
      out.flush();
    }

    @Override
    public WindowedStats decode(InputStream is) throws IOException {
      DataInputStream in = new DataInputStream(is);
      WindowedStats w = new WindowedStats();
      int windows = in.readInt();
      for (int i = 0; i < windows; i++) {
        long start = in.readLong();
        SeriesStats s = w.window(start, in.readLong());
        s.n = in.readLong();
        s.missing = in.readLong();
        s.min = in.readDouble();
        s.max = in.readDouble();
        s.sum = readDecimal(in);
        s.sumSq = readDecimal(in);
        s.firstTs = in.readLong();
        s.first = in.readDouble();
        s.lastTs = in.readLong();
        s.last = in.readDouble();
        s.touched = in.readBoolean();
      }
      return w;
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

    @Override
    public void verifyDeterministic() {}
  }

  /** Merges the partial statistics of one (window size, series). */
  static final class MergeFn
      extends Combine.CombineFn<WindowedStats, WindowedStats, WindowedStats> {
    @Override
    public WindowedStats createAccumulator() {
      return new WindowedStats();
    }

    @Override
    public WindowedStats addInput(WindowedStats acc, WindowedStats partial) {
      acc.mergeFrom(partial);
      return acc;
    }

    @Override
    public WindowedStats mergeAccumulators(Iterable<WindowedStats> accs) {
      WindowedStats merged = null;
      for (WindowedStats a : accs) {
        if (merged == null) {
          merged = a;
        } else {
          merged.mergeFrom(a);
        }
      }
      return merged == null ? new WindowedStats() : merged;
    }

    @Override
    public WindowedStats extractOutput(WindowedStats acc) {
      return acc;
    }

    @Override
    public Coder<WindowedStats> getAccumulatorCoder(CoderRegistry r, Coder<WindowedStats> in) {
      return WindowedStats.CODER;
    }

    @Override
    public Coder<WindowedStats> getDefaultOutputCoder(CoderRegistry r, Coder<WindowedStats> in) {
      return WindowedStats.CODER;
    }
  }
}

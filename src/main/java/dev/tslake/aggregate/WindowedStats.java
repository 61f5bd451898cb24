package dev.tslake.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
        out.writeLong(e.getKey());
        out.writeLong(w.ends.get(e.getKey()));
        e.getValue().writeTo(out);
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
        w.window(start, in.readLong()).readFrom(in);
      }
      return w;
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

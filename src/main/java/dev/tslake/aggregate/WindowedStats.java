package dev.tslake.aggregate;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.DelegateCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.values.KV;

/**
 * Per window start: its end and the {@link SeriesStats} of the points in it, for one series and
 * window size. The batch aggregates fold a bundle's points into one of these per series before the
 * shuffle, so a key carries all its windows and the runner handles one group per series instead of
 * one per series and window.
 */
final class WindowedStats {
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

  /** Window start to (end, statistics), in start order. */
  Map<Long, KV<Long, SeriesStats>> toMap() {
    Map<Long, KV<Long, SeriesStats>> m = new TreeMap<>();
    for (Map.Entry<Long, SeriesStats> e : stats.entrySet()) {
      m.put(e.getKey(), KV.of(ends.get(e.getKey()), e.getValue()));
    }
    return m;
  }

  static WindowedStats fromMap(Map<Long, KV<Long, SeriesStats>> m) {
    WindowedStats w = new WindowedStats();
    for (Map.Entry<Long, KV<Long, SeriesStats>> e : m.entrySet()) {
      w.window(e.getKey(), e.getValue().getKey()).merge(e.getValue().getValue());
    }
    return w;
  }

  /** Beam's coders composed (low volume: one per series, window size and bundle). */
  static final Coder<WindowedStats> CODER =
      DelegateCoder.of(
          MapCoder.of(
              BigEndianLongCoder.of(), KvCoder.of(BigEndianLongCoder.of(), SeriesStats.coder())),
          WindowedStats::toMap,
          WindowedStats::fromMap);

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

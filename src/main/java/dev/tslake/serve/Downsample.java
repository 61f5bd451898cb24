package dev.tslake.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * M4 downsampling: the time range is cut into {@code maxPoints / 4} buckets of equal duration (one
 * per pixel column of a chart); each keeps its first, last, minimum and maximum point, so a line
 * drawn through them looks like the line through all points. Points are fed in time order.
 */
final class Downsample {
  /** One observation: epoch milliseconds, value (NaN: missing). */
  record Point(long ts, double value) {}

  private final int maxPoints;
  private final long lo;
  private final long hi;
  private final int buckets;
  private final List<Point> raw = new ArrayList<>();
  private final Point[][] kept; // per bucket: first, last, min, max
  private long count;

  Downsample(int maxPoints, long lo, long hi) {
    this.maxPoints = maxPoints;
    this.lo = lo;
    this.hi = Math.max(hi, lo);
    this.buckets = Math.max(1, maxPoints / 4);
    this.kept = new Point[buckets][];
  }

  void add(long ts, double value) {
    count++;
    Point p = new Point(ts, value);
    if (raw != null && count <= maxPoints) {
      raw.add(p);
    }
    int b = (int) Math.min(buckets - 1, Math.max(0, (double) (ts - lo) * buckets / (hi - lo + 1)));
    Point[] k = kept[b];
    if (k == null) {
      kept[b] = new Point[] {p, p, Double.isNaN(value) ? null : p, Double.isNaN(value) ? null : p};
      return;
    }
    k[1] = p;
    if (!Double.isNaN(value)) {
      if (k[2] == null || value < k[2].value) {
        k[2] = p;
      }
      if (k[3] == null || value > k[3].value) {
        k[3] = p;
      }
    }
  }

  long count() {
    return count;
  }

  boolean downsampled() {
    return count > maxPoints;
  }

  /**
   * All points if there are at most maxPoints, else per bucket first/min/max/last in time order.
   */
  List<Point> points() {
    if (!downsampled()) {
      return raw;
    }
    List<Point> out = new ArrayList<>();
    for (Point[] k : kept) {
      if (k == null) {
        continue;
      }
      TreeMap<Long, Point> byTs = new TreeMap<>();
      for (Point p : k) {
        if (p != null) {
          byTs.put(p.ts, p);
        }
      }
      out.addAll(byTs.values());
    }
    return out;
  }
}

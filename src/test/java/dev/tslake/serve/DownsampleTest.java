package dev.tslake.serve;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DownsampleTest {
  @Test
  void aMillionPointsBecomeAtMostMaxPointsWithTheExtremesAndEnds() {
    int n = 1_000_000;
    long t0 = 1_600_000_000_000L;
    Downsample d = new Downsample(800, t0, t0 + (n - 1) * 60_000L);
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      double v =
          Math.sin(i / 5000.0) * 100 + (i == 123_457 ? 10_000 : 0) - (i == 876_543 ? 5_000 : 0);
      min = Math.min(min, v);
      max = Math.max(max, v);
      d.add(t0 + i * 60_000L, i % 1000 == 7 ? Double.NaN : v);
    }
    List<Downsample.Point> points = d.points();
    assertTrue(d.downsampled());
    assertEquals(n, d.count());
    assertThat(points.size(), lessThanOrEqualTo(800));
    assertThat(points.size(), greaterThan(400));
    assertEquals(t0, points.get(0).ts());
    assertEquals(t0 + (n - 1) * 60_000L, points.get(points.size() - 1).ts());
    double dmin = Double.MAX_VALUE;
    double dmax = -Double.MAX_VALUE;
    for (int i = 0; i < points.size(); i++) {
      if (i > 0) {
        assertThat(points.get(i).ts(), greaterThan(points.get(i - 1).ts()));
      }
      if (!Double.isNaN(points.get(i).value())) {
        dmin = Math.min(dmin, points.get(i).value());
        dmax = Math.max(dmax, points.get(i).value());
      }
    }
    assertEquals(min, dmin);
    assertEquals(max, dmax);
  }

  @Test
  void fewPointsComeBackAsTheyAre() {
    Downsample d = new Downsample(100, 0, 10);
    for (int i = 0; i <= 10; i++) {
      d.add(i, i);
    }
    assertFalse(d.downsampled());
    assertEquals(11, d.points().size());
  }
}

package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/** The statistics accumulators cross the shuffle in Beam's coders, every field intact. */
class StatsCodersTest {
  static String fields(SeriesStats s) {
    return s.n
        + "|"
        + s.missing
        + "|"
        + Double.doubleToRawLongBits(s.min)
        + "|"
        + Double.doubleToRawLongBits(s.max)
        + "|"
        + s.sum().toString()
        + "|"
        + s.firstTs
        + "|"
        + Double.doubleToRawLongBits(s.first)
        + "|"
        + s.lastTs
        + "|"
        + Double.doubleToRawLongBits(s.last);
  }

  static List<String> fields(WindowedStats w) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<Long, SeriesStats> e : w.stats.entrySet()) {
      out.add(e.getKey() + ".." + w.ends.get(e.getKey()) + " " + fields(e.getValue()));
    }
    return out;
  }

  static List<SeriesStats> samples() {
    SeriesStats empty = new SeriesStats();
    SeriesStats onlyMissing = new SeriesStats();
    onlyMissing.add(5L, null);
    onlyMissing.add(6L, null);
    SeriesStats odd = new SeriesStats();
    odd.add(-315_619_200_000L, -0.0);
    odd.add(Long.MIN_VALUE, 1e308);
    odd.add(Long.MAX_VALUE, 5e-324);
    odd.add(0L, null);
    odd.add(7L, 0.1);
    return List.of(empty, onlyMissing, odd);
  }

  @Test
  void seriesStatsRoundTripWithEveryField() throws Exception {
    for (SeriesStats s : samples()) {
      SeriesStats back = CoderUtils.clone(SeriesStats.coder(), s);
      assertEquals(fields(s), fields(back));
      assertEquals(s.mean(), back.mean());
      // values only, never keys: Beam calls a schema with doubles non-deterministic, which is fine
      assertArrayEquals(
          CoderUtils.encodeToByteArray(SeriesStats.coder(), s),
          CoderUtils.encodeToByteArray(SeriesStats.coder(), back));
    }
    // the exact sum keeps every digit of the doubles it adds up
    SeriesStats odd = CoderUtils.clone(SeriesStats.coder(), samples().get(2));
    assertEquals(
        new BigDecimal(-0.0)
            .add(new BigDecimal(1e308))
            .add(new BigDecimal(5e-324))
            .add(new BigDecimal(0.1)),
        odd.sum());
    CoderProperties.coderSerializable(SeriesStats.coder());
  }

  @Test
  void windowedStatsRoundTripInStartOrder() throws Exception {
    WindowedStats w = new WindowedStats();
    List<SeriesStats> samples = samples();
    w.window(3_600_000L, 7_200_000L).merge(samples.get(2));
    w.window(-3_600_000L, 0L).merge(samples.get(1));
    w.window(0L, 3_600_000L).merge(samples.get(0));
    WindowedStats back = CoderUtils.clone(WindowedStats.CODER, w);
    assertEquals(fields(w), fields(back));
    assertEquals(List.of(-3_600_000L, 0L, 3_600_000L), new ArrayList<>(back.stats.keySet()));
    assertEquals(List.of(), fields(CoderUtils.clone(WindowedStats.CODER, new WindowedStats())));

    KvCoder<String, WindowedStats> kv = KvCoder.of(StringUtf8Coder.of(), WindowedStats.CODER);
    KV<String, WindowedStats> keyed = KV.of("PT1H\u0000s\u0000比特币", w);
    KV<String, WindowedStats> keyedBack = CoderUtils.clone(kv, keyed);
    assertEquals(keyed.getKey(), keyedBack.getKey());
    assertEquals(fields(w), fields(keyedBack.getValue()));
    // same statistics, same bytes
    assertArrayEquals(
        CoderUtils.encodeToByteArray(WindowedStats.CODER, w),
        CoderUtils.encodeToByteArray(WindowedStats.CODER, back));
  }
}

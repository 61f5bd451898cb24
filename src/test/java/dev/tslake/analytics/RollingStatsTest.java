package dev.tslake.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.ConfigException;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.Observation;
import dev.tslake.model.RollingStat;
import dev.tslake.testing.TestPipelineExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * RollingStats against independent computations: Bitstamp's daily closes (testdata), window edges,
 * which rows a run rewrites (touched windows only) and deletions of values turned missing.
 */
@ExtendWith(TestPipelineExtension.class)
class RollingStatsTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
  private static final long DAY = 86_400_000L;

  private static SourceConfig source(String name, String... rolling) {
    SourceConfig s = new SourceConfig();
    s.name = name;
    s.type = SourceType.CSV;
    s.rolling = List.of(rolling);
    return s;
  }

  private static PipelineConfig config(SourceConfig... sources) {
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(sources);
    return c;
  }

  private static Observation obs(String series, long ts, Double value, boolean stored) {
    return new Observation(
        "s", series, ts, value, Observation.UNKNOWN_VINTAGE, "f", "l " + ts, stored);
  }

  private static PCollection<RollingStat> rolling(
      TestPipeline p, PipelineConfig config, List<Observation> in) {
    return p.apply("Observations", Create.of(in).withCoder(Observation.Coder.of()))
        .apply("Rolling", RollingStats.of(config));
  }

  /** Bitstamp's close per UTC day (epoch ms), read by a plain loop over the CSV. */
  private static TreeMap<Long, Double> bitstampCloses() throws IOException {
    TreeMap<Long, Double> closes = new TreeMap<>();
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    for (String line : lines.subList(2, lines.size())) {
      String[] f = line.split(",");
      long ts =
          LocalDate.parse(f[1].substring(0, 10))
              .atStartOfDay(ZoneOffset.UTC)
              .toInstant()
              .toEpochMilli();
      closes.put(ts, Double.parseDouble(f[6]));
    }
    return closes;
  }

  /** {n, mean, stddev (two-pass), min, max} of the closes in (t - w, t]. */
  private static double[] trailing(TreeMap<Long, Double> closes, long t, long w) {
    List<Double> in = new ArrayList<>();
    for (Map.Entry<Long, Double> e : closes.entrySet()) {
      if (e.getKey() > t - w && e.getKey() <= t) {
        in.add(e.getValue());
      }
    }
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double v : in) {
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    double mean = sum / in.size();
    double sq = 0;
    for (double v : in) {
      sq += (v - mean) * (v - mean);
    }
    double stddev = in.size() < 2 ? Double.NaN : Math.sqrt(sq / (in.size() - 1));
    return new double[] {in.size(), mean, stddev, min, max};
  }

  private static long day(String iso) {
    return LocalDate.parse(iso).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }

  @Test
  void bitstampSevenAndThirtyDayTrailingStatisticsMatchAPlainLoopOverTheCsv(TestPipeline p)
      throws IOException {
    TreeMap<Long, Double> closes = bitstampCloses();
    List<Observation> in = new ArrayList<>();
    for (Map.Entry<Long, Double> e : closes.entrySet()) {
      in.add(obs("BTC/USD.close", e.getKey(), e.getValue(), false));
    }
    PCollection<RollingStat> rows = rolling(p, config(source("s", "P7D", "P30D")), in);
    List<Long> dates =
        List.of(
            day("2014-11-28"), // the first day: n = 1, no stddev
            day("2014-12-02"),
            day("2017-12-17"),
            day("2021-01-01"),
            day("2022-08-20"));
    PAssert.that(rows)
        .satisfies(
            all -> {
              Map<String, RollingStat> byKey = new HashMap<>();
              int count = 0;
              for (RollingStat r : all) {
                byKey.put(r.window + " " + r.ts, r);
                count++;
              }
              assertEquals(2 * closes.size(), count, "one row per day and window");
              // hand-checked (Python statistics.mean/stdev over the 7 closes 2022-08-14..20:
              // 24320, 24110, 23867, 23340, 23201, 20841, 20957)
              RollingStat last = byKey.get("P7D " + day("2022-08-20"));
              assertEquals(7, last.n);
              assertEquals(22948.0, last.mean, 1e-9);
              assertEquals(1454.7847492555957, last.stddev, 1e-9);
              assertEquals(20841.0, last.min);
              assertEquals(24320.0, last.max);
              for (String w : List.of("P7D", "P30D")) {
                long ms = w.equals("P7D") ? 7 * DAY : 30 * DAY;
                for (long d : dates) {
                  RollingStat r = byKey.get(w + " " + d);
                  double[] x = trailing(closes, d, ms);
                  String at = w + " at " + Instant.ofEpochMilli(d);
                  assertEquals((long) x[0], r.n, at);
                  assertEquals(x[1], r.mean, 1e-9 * Math.abs(x[1]), at);
                  if (x[0] < 2) {
                    assertNull(r.stddev, at);
                  } else {
                    assertEquals(x[2], r.stddev, 1e-9 * Math.abs(x[1]), at);
                  }
                  assertEquals(x[3], r.min, at);
                  assertEquals(x[4], r.max, at);
                }
              }
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void aPointExactlyOneWindowBeforeIsNotInTheWindow(TestPipeline p) {
    long t0 = day("2024-03-01");
    long w = 7 * DAY;
    List<Observation> in =
        List.of(
            obs("a", t0, 1.0, false),
            obs("a", t0 + w, 3.0, false), // (t0, t0 + w]: t0 is out
            obs("b", t0, 1.0, false),
            obs("b", t0 + w - 1, 3.0, false)); // (t0 - 1, t0 + w - 1]: t0 is in
    PAssert.that(rolling(p, config(source("s", "P7D")), in))
        .containsInAnyOrder(
            new RollingStat("s", "a", "P7D", t0, 1, 1.0, null, 1.0, 1.0, false),
            new RollingStat("s", "a", "P7D", t0 + w, 1, 3.0, null, 3.0, 3.0, false),
            new RollingStat("s", "b", "P7D", t0, 1, 1.0, null, 1.0, 1.0, false),
            new RollingStat("s", "b", "P7D", t0 + w - 1, 2, 2.0, Math.sqrt(2.0), 1.0, 3.0, false));
    p.run().waitUntilFinish();
  }

  /**
   * Random points (some missing, some stored, many across bucket edges): the output must be, for
   * exactly the observations whose window holds a point of this run, the brute-force statistics;
   * and a deletion for each of this run's missing values.
   */
  @Test
  void onlyWindowsHoldingAPointOfThisRunAreWrittenAndMissingValuesAreDeleted(TestPipeline p) {
    Random random = new Random(13);
    long w = 3_600_000L; // PT1H
    List<Observation> in = new ArrayList<>();
    long ts = day("2024-01-01") - 5 * w;
    for (int i = 0; i < 600; i++) {
      ts += 1 + random.nextInt(20 * 60_000);
      Double value = random.nextInt(10) == 0 ? null : (double) random.nextInt(1000) / 7;
      boolean stored = i < 200 || i >= 260; // this run brought the points 200..259
      in.add(obs("x", ts, value, stored));
    }
    List<RollingStat> expected = new ArrayList<>();
    for (Observation o : in) {
      if (o.value == null) {
        if (!o.stored) {
          expected.add(RollingStat.deletion("s", "x", "PT1H", o.ts));
        }
        continue;
      }
      boolean touched = false;
      List<Double> vs = new ArrayList<>();
      for (Observation q : in) {
        if (q.ts > o.ts - w && q.ts <= o.ts) {
          touched |= !q.stored;
          if (q.value != null) {
            vs.add(q.value);
          }
        }
      }
      if (!touched) {
        continue;
      }
      double[] arr = vs.stream().mapToDouble(Double::doubleValue).toArray();
      expected.add(
          new RollingStat(
              "s",
              "x",
              "PT1H",
              o.ts,
              arr.length,
              exactMean(arr),
              exactStddev(arr),
              vs.stream().min(Double::compare).get(),
              vs.stream().max(Double::compare).get(),
              false));
    }
    assertTrue(expected.size() > 60, "fixture: rows after this run's points too");
    PAssert.that(rolling(p, config(source("s", "PT1H")), in)).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  private static Double exactMean(double[] values) {
    java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new java.math.BigDecimal(v));
    }
    return sum.divide(java.math.BigDecimal.valueOf(values.length), java.math.MathContext.DECIMAL128)
        .doubleValue();
  }

  /** Two-pass, to 34 digits (the way WindowIntoAggregatesEdgesTest computes it). */
  private static Double exactStddev(double[] values) {
    if (values.length < 2) {
      return null;
    }
    java.math.MathContext mc = java.math.MathContext.DECIMAL128;
    java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new java.math.BigDecimal(v));
    }
    java.math.BigDecimal mean = sum.divide(java.math.BigDecimal.valueOf(values.length), mc);
    java.math.BigDecimal sq = java.math.BigDecimal.ZERO;
    for (double v : values) {
      java.math.BigDecimal d = new java.math.BigDecimal(v).subtract(mean);
      sq = sq.add(d.multiply(d));
    }
    return sq.divide(java.math.BigDecimal.valueOf(values.length - 1), mc).sqrt(mc).doubleValue();
  }

  @Test
  void rollingWindowsMustBeFixedPositiveDurations(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Map<String, Long> windows = source("s", "PT1H", "p7d", "P7D", "PT168H").rollingWindows();
    assertEquals(List.of("PT1H", "P7D"), new ArrayList<>(windows.keySet()));
    assertEquals(List.of(3_600_000L, 7 * DAY), new ArrayList<>(windows.values()));
    for (String bad : List.of("P1M", "P1Y", "7 days", "PT0S", "-P1D")) {
      Path file = dir.resolve("bad.json");
      Files.writeString(
          file,
          "{\"sources\": [{\"name\": \"btc\", \"type\": \"csv\", \"rolling\": [\"P7D\", \""
              + bad
              + "\"], \"files\": [\"x.csv\"], \"timestampColumn\": \"date\","
              + " \"seriesId\": \"btc\", \"valueColumns\": [\"close\"]}]}");
      ConfigException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              ConfigException.class, () -> PipelineConfig.load(file));
      assertTrue(
          e.getMessage().contains("source 'btc'")
              && e.getMessage().contains("rolling window '" + bad + "'"),
          e.getMessage());
    }
    assertTrue(
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> source("s", "P1M").rollingWindows())
            .getMessage()
            .contains("months and years"));
    assertEquals(7 * DAY, source("s", "PT1H", "P7D").contextBefore());
    assertEquals(7 * DAY, source("s", "PT1H", "P7D").contextAfter());
    assertEquals(0, source("s").contextBefore());
  }
}

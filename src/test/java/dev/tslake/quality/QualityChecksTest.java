package dev.tslake.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.config.CheckSpec;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.CheckResult;
import dev.tslake.model.Observation;
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
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Each check type passing and failing on real data (Bitstamp's daily closes, FRED DGS2 with its
 * missing days), the expected values computed here by plain loops over the parsed files.
 */
@ExtendWith(TestPipelineExtension.class)
class QualityChecksTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
  private static final Path DGS2 = Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json");
  private static final long DAY = 86_400_000L;

  /** Bitstamp's closes (unix seconds in column 0, close in column 6), ascending by ts. */
  static List<Observation> bitstampCloses(Predicate<Long> keepTs) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    List<Observation> out = new ArrayList<>();
    for (String line : lines.subList(2, lines.size())) {
      String[] f = line.split(",");
      long ts = Long.parseLong(f[0]) * 1000;
      if (keepTs.test(ts)) {
        out.add(
            new Observation(
                "bitstamp", "BTC/USD.close", ts, Double.parseDouble(f[6]), 0L, "t", "l"));
      }
    }
    out.sort((a, b) -> Long.compare(a.ts, b.ts));
    return out;
  }

  static List<Observation> dgs2() throws IOException {
    JsonNode root = new ObjectMapper().readTree(DGS2.toFile());
    List<Observation> out = new ArrayList<>();
    for (JsonNode o : root.get("observations")) {
      long ts =
          LocalDate.parse(o.get("date").asText()).atStartOfDay(ZoneOffset.UTC).toEpochSecond()
              * 1000;
      String v = o.get("value").asText();
      out.add(
          new Observation(
              "fred", "DGS2", ts, v.equals(".") ? null : Double.parseDouble(v), 0L, "t", "l"));
    }
    return out;
  }

  static CheckSpec check(String type, String severity) {
    CheckSpec c = new CheckSpec();
    c.type = type;
    c.severity = severity;
    return c;
  }

  static PipelineConfig config(String source, CheckSpec... checks) {
    SourceConfig s = new SourceConfig();
    s.name = source;
    s.checks = new ArrayList<>(List.of(checks));
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(s);
    return c;
  }

  static String iso(long ts) {
    return Instant.ofEpochMilli(ts).toString();
  }

  static String examples(List<Long> ts) {
    return ts.isEmpty()
        ? null
        : ts.stream()
            .sorted()
            .limit(5)
            .map(QualityChecksTest::iso)
            .collect(Collectors.joining(","));
  }

  /** Runs the checks and hands the results, by check id, to {@code verify}. */
  static void runChecks(
      TestPipeline p,
      PipelineConfig config,
      Instant start,
      List<Observation> in,
      SerializableConsumer verify) {
    PCollection<CheckResult> out =
        p.apply(Create.of(in).withCoder(Observation.Coder.of()))
            .apply(QualityChecks.of(config, start));
    PAssert.that(out)
        .satisfies(
            results -> {
              Map<String, CheckResult> byId = new HashMap<>();
              for (CheckResult r : results) {
                byId.put(r.seriesId + " " + r.check, r);
              }
              verify.accept(byId);
              return null;
            });
    p.run().waitUntilFinish();
  }

  interface SerializableConsumer extends java.io.Serializable {
    void accept(Map<String, CheckResult> byId);
  }

  @Test
  void rangeMinRowsFreshnessAndGapsPassAndFailOnBitstamp(TestPipeline p) throws IOException {
    // five days cut out of March 2020: a 6-day gap after 2020-03-09
    long cutFrom = Instant.parse("2020-03-10T00:00:00Z").toEpochMilli();
    long cutTo = Instant.parse("2020-03-14T00:00:00Z").toEpochMilli();
    List<Observation> in = bitstampCloses(ts -> ts < cutFrom || ts > cutTo);
    // expectations from plain loops over the file
    List<Long> below1000 = new ArrayList<>();
    long newest = Long.MIN_VALUE;
    for (Observation o : in) {
      if (o.value < 1000) {
        below1000.add(o.ts);
      }
      newest = Math.max(newest, o.ts);
    }
    assertEquals(Instant.parse("2022-08-20T00:00:00Z").toEpochMilli(), newest);
    long rows = in.size();
    assertEquals(2823 - 5, rows);
    final String expectedBelow = examples(below1000);
    final long belowCount = below1000.size();

    CheckSpec positive = check("range", "error");
    positive.min = 0.0;
    CheckSpec above1000 = check("range", "warn");
    above1000.min = 1000.0;
    above1000.max = 1e6;
    CheckSpec enoughRows = check("min_rows", "error");
    enoughRows.min = (double) rows;
    CheckSpec tooFewRows = check("min_rows", "warn");
    tooFewRows.min = rows + 1.0;
    CheckSpec freshWeek = check("freshness", "error");
    freshWeek.maxAge = "P7D";
    CheckSpec fresh3Days = check("freshness", "warn");
    fresh3Days.maxAge = "P3D";
    CheckSpec gap2Days = check("gaps", "error");
    gap2Days.maxGap = "P2D";
    CheckSpec gap10Days = check("gaps", "warn");
    gap10Days.maxGap = "P10D";
    CheckSpec gapK3 = check("gaps", "warn");
    gapK3.k = 3.0;
    CheckSpec gapK10 = check("gaps", "warn");
    gapK10.k = 10.0;
    PipelineConfig config =
        config(
            "bitstamp",
            positive,
            above1000,
            enoughRows,
            tooFewRows,
            freshWeek,
            fresh3Days,
            gap2Days,
            gap10Days,
            gapK3,
            gapK10);
    // the run starts 5 days after the newest close
    Instant start = Instant.parse("2022-08-25T00:00:00Z");
    String gapStart = "2020-03-09T00:00:00Z";
    runChecks(
        p,
        config,
        start,
        in,
        byId -> {
          assertEquals(10, byId.size(), byId.keySet().toString());
          CheckResult r = byId.get("BTC/USD.close range");
          assertEquals("pass", r.status);
          assertEquals(0.0, r.observed);
          assertEquals("error", r.severity);
          assertNull(r.examples);
          r = byId.get("BTC/USD.close range#2");
          assertEquals("fail", r.status);
          assertEquals((double) belowCount, r.observed);
          assertEquals(expectedBelow, r.examples);
          assertEquals("[1000, 1000000]", r.threshold);
          assertEquals("pass", byId.get("BTC/USD.close min_rows").status);
          assertEquals((double) rows, byId.get("BTC/USD.close min_rows").observed);
          assertEquals("fail", byId.get("BTC/USD.close min_rows#2").status);
          r = byId.get("BTC/USD.close freshness");
          assertEquals("pass", r.status);
          assertEquals(5 * 86400.0, r.observed);
          r = byId.get("BTC/USD.close freshness#2");
          assertEquals("fail", r.status);
          assertEquals("2022-08-20T00:00:00Z", r.examples);
          r = byId.get("BTC/USD.close gaps");
          assertEquals("fail", r.status);
          assertEquals(6 * 86400.0, r.observed);
          assertEquals(gapStart, r.examples);
          assertEquals("pass", byId.get("BTC/USD.close gaps#2").status);
          r = byId.get("BTC/USD.close gaps#3");
          assertEquals("fail", r.status, r.toString()); // median spacing 1 day: 6 > 3
          assertEquals(gapStart, r.examples);
          assertEquals("gap <= 3 x median spacing (median 86400 s)", r.threshold);
          assertEquals("pass", byId.get("BTC/USD.close gaps#4").status);
        });
  }

  @Test
  void notNullPassesAndFailsOnFredMissingDays(TestPipeline p) throws IOException {
    List<Observation> in = dgs2();
    List<Long> missing = new ArrayList<>();
    for (Observation o : in) {
      if (o.value == null) {
        missing.add(o.ts);
      }
    }
    assertEquals(510, missing.size()); // FRED's "." days
    double share = missing.size() / (double) in.size();
    String expected = examples(missing);
    CheckSpec loose = check("not_null", "error");
    loose.max = 0.05;
    CheckSpec strict = check("not_null", "error");
    strict.max = 0.01;
    strict.id = "strict";
    runChecks(
        p,
        config("fred", loose, strict),
        Instant.parse("2022-12-09T00:00:00Z"),
        in,
        byId -> {
          assertEquals(2, byId.size());
          assertEquals("pass", byId.get("DGS2 not_null").status);
          assertEquals(share, byId.get("DGS2 not_null").observed, 1e-15);
          CheckResult r = byId.get("DGS2 strict");
          assertEquals("fail", r.status);
          assertEquals(share, r.observed, 1e-15);
          assertEquals(expected, r.examples);
        });
  }

  /**
   * The anomaly reference: every point with at least 2 values in {@code [ts - window, ts)}, more
   * than k sample standard deviations from their mean; {@code judged} selects the points to judge.
   */
  static List<Long> outliers(List<Observation> all, long window, double k, Predicate<Long> judged) {
    List<Long> out = new ArrayList<>();
    for (Observation o : all) {
      if (!judged.test(o.ts)) {
        continue;
      }
      List<Double> prior = new ArrayList<>();
      for (Observation q : all) {
        if (q.ts >= o.ts - window && q.ts < o.ts) {
          prior.add(q.value);
        }
      }
      if (prior.size() < 2) {
        continue;
      }
      double mean = prior.stream().mapToDouble(d -> d).sum() / prior.size();
      double ss = 0;
      for (double d : prior) {
        ss += (d - mean) * (d - mean);
      }
      double sd = Math.sqrt(ss / (prior.size() - 1));
      if (Math.abs(o.value - mean) > k * sd) {
        out.add(o.ts);
      }
    }
    return out;
  }

  @Test
  void anomalyFlagsOnlyThisRunsPointsAgainstTheirTrailingWindow(TestPipeline p) throws IOException {
    List<Observation> closes = bitstampCloses(ts -> true);
    long cut = Instant.parse("2019-01-01T00:00:00Z").toEpochMilli();
    // before 2019: stored rows read back (context only); from 2019 on: this run's points
    List<Observation> in = new ArrayList<>();
    for (Observation o : closes) {
      in.add(o.ts < cut ? o.asStored() : o);
    }
    List<Long> expected4 = outliers(closes, 30 * DAY, 4, ts -> ts >= cut);
    List<Long> expected50 = outliers(closes, 30 * DAY, 50, ts -> ts >= cut);
    List<Long> all4 = outliers(closes, 30 * DAY, 4, ts -> true);
    // the stored points' own outliers are not this run's: there are some, and they are not counted
    assertEquals(true, all4.size() > expected4.size(), all4 + " vs " + expected4);
    assertEquals(true, expected4.size() > 0);
    assertEquals(List.of(), expected50);
    CheckSpec k4 = check("anomaly", "warn");
    k4.window = "P30D";
    k4.k = 4.0;
    CheckSpec k50 = check("anomaly", "error");
    k50.window = "P30D";
    k50.k = 50.0;
    String ex4 = examples(expected4);
    double n4 = expected4.size();
    runChecks(
        p,
        config("bitstamp", k4, k50),
        Instant.parse("2022-08-25T00:00:00Z"),
        in,
        byId -> {
          CheckResult r = byId.get("BTC/USD.close anomaly");
          assertEquals("fail", r.status);
          assertEquals(n4, r.observed);
          assertEquals(ex4, r.examples);
          r = byId.get("BTC/USD.close anomaly#2");
          assertEquals("pass", r.status);
          assertEquals(0.0, r.observed);
        });
  }

  @Test
  void aPointExactlyOneWindowBeforeIsInsideTheTrailingWindow(TestPipeline p) {
    // values 10, 10.5 at day 0 and 1; 11 at day 30 sees both (window [day 0, day 30)), 100 at day
    // 31 sees only 10.5 and 11 (day 0 is outside [day 1, day 31)): not judged with one... two
    // points: judged.
    long d0 = Instant.parse("2021-01-01T00:00:00Z").toEpochMilli();
    List<Observation> in =
        List.of(
            new Observation("s", "x", d0, 10.0, 0L, "t", "l"),
            new Observation("s", "x", d0 + DAY, 10.5, 0L, "t", "l"),
            new Observation("s", "x", d0 + 30 * DAY, 10.25, 0L, "t", "l"),
            new Observation("s", "x", d0 + 31 * DAY, 100.0, 0L, "t", "l"));
    CheckSpec a = check("anomaly", "error");
    a.window = "P30D";
    a.k = 3.0;
    runChecks(
        p,
        config("s", a),
        Instant.parse("2021-03-01T00:00:00Z"),
        in,
        byId -> {
          CheckResult r = byId.get("x anomaly");
          // day 30: mean(10, 10.5) = 10.25, value 10.25: not an outlier; day 31: mean(10.5,
          // 10.25) = 10.375, sd 0.177: 100 is far out
          assertEquals("fail", r.status);
          assertEquals(1.0, r.observed);
          assertEquals(iso(d0 + 31 * DAY), r.examples);
        });
  }

  @Test
  void groupsOfBucketsJudgeEveryPointAsItsWholeTrailingWindowSays(TestPipeline p) {
    // a noisy daily walk over about 14 groups of buckets (P7D buckets, 16 per group), half of it
    // stored: with k = 1 many points are outliers, so a point at a group's start judged without
    // the bucket before it would change the count
    long d0 = Instant.parse("2020-01-03T00:00:00Z").toEpochMilli();
    java.util.Random r = new java.util.Random(11);
    List<Observation> all = new ArrayList<>();
    List<Observation> in = new ArrayList<>();
    double v = 100;
    for (int d = 0; d < 1_600; d++) {
      v += r.nextGaussian();
      long ts = d0 + d * DAY + (d % 3) * 3_600_000L;
      Observation o = new Observation("s", "walk", ts, v, 0L, "t", "l" + d);
      all.add(o);
      in.add(d % 2 == 0 ? o.asStored() : o);
    }
    java.util.Set<Long> own = new java.util.HashSet<>();
    for (int d = 1; d < 1_600; d += 2) {
      own.add(all.get(d).ts);
    }
    List<Long> expected = outliers(all, 7 * DAY, 1.0, own::contains);
    assertEquals(true, expected.size() > 100, "outliers: " + expected.size());
    assertEquals(true, 1_600 * 7 * DAY / (7 * DAY * QualityChecks.BUCKETS_PER_GROUP) > 10);
    CheckSpec a = check("anomaly", "warn");
    a.window = "P7D";
    a.k = 1.0;
    runChecks(
        p,
        config("s", a),
        Instant.parse("2024-06-01T00:00:00Z"),
        in,
        byId -> {
          CheckResult res = byId.get("walk anomaly");
          assertEquals((double) expected.size(), res.observed);
          assertEquals(examples(expected), res.examples);
        });
  }
}

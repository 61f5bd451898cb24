package dev.tslake.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DedupLatestVintage: one observation per (source, series, ts), the latest vintage winning, ties
 * broken by origin then locator; SUPERSEDED accounts for every record that lost.
 */
@ExtendWith(TestPipelineExtension.class)
class DedupLatestVintageTest {

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static long day(String date) {
    return at(date + "T00:00:00Z");
  }

  private static Observation o(
      String source,
      String series,
      String date,
      Double value,
      long vintage,
      String origin,
      String locator) {
    return new Observation(source, series, day(date), value, vintage, origin, locator);
  }

  private static Observation fred(
      String series, String date, double value, String vintage, String locator) {
    return o(
        "fred",
        series,
        date,
        value,
        day(vintage),
        "testdata/fred/" + series + "_vintage" + vintage + ".json",
        locator);
  }

  private static PCollectionTuple dedup(
      TestPipeline p, String name, List<Observation> in, DedupLatestVintage transform) {
    return p.apply(name + "Input", Create.of(in).withCoder(Observation.Coder.of()))
        .apply(name, transform);
  }

  private static PCollection<Long> superseded(PCollectionTuple out, String name) {
    return out.get(DedupLatestVintage.SUPERSEDED)
        .apply(name + "SumSuperseded", Sum.longsGlobally());
  }

  @Test
  void latestOfSeveralVintagesWins(TestPipeline p) {
    Observation v1 = fred("GDPC1", "2023-01-01", 22112.329, "2023-04-27", "observations[0]");
    Observation v2 = fred("GDPC1", "2023-01-01", 22079.088, "2023-05-25", "observations[0]");
    Observation v3 = fred("GDPC1", "2023-01-01", 22112.329, "2023-06-29", "observations[0]");
    Observation v4 = fred("GDPC1", "2023-01-01", 22403.435, "2023-09-28", "observations[0]");

    PCollectionTuple out = dedup(p, "Dedup", List.of(v2, v4, v1, v3), DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(v4);
    PAssert.thatSingleton(superseded(out, "Dedup")).isEqualTo(3L);

    p.run().waitUntilFinish();
  }

  @Test
  void payemsRevisionTakesTheLaterRelease(TestPipeline p) {
    // Two recorded FRED responses of PAYEMS: the 2023-07-18 release revised March 2023.
    List<Observation> in = new ArrayList<>();
    Observation march0505 = fred("PAYEMS", "2023-03-01", 155420, "2023-05-05", "observations[290]");
    Observation april0505 = fred("PAYEMS", "2023-04-01", 155673, "2023-05-05", "observations[291]");
    Observation march0718 = fred("PAYEMS", "2023-03-01", 155472, "2023-07-18", "observations[290]");
    Observation april0718 = fred("PAYEMS", "2023-04-01", 155689, "2023-07-18", "observations[291]");
    Observation may0718 = fred("PAYEMS", "2023-05-01", 155995, "2023-07-18", "observations[292]");
    Observation june0718 = fred("PAYEMS", "2023-06-01", 156204, "2023-07-18", "observations[293]");
    in.addAll(List.of(march0718, april0505, june0718, march0505, may0718, april0718));

    PCollectionTuple out = dedup(p, "Dedup", in, DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST))
        .containsInAnyOrder(march0718, april0718, may0718, june0718);
    PAssert.thatSingleton(superseded(out, "Dedup")).isEqualTo(2L);

    p.run().waitUntilFinish();
  }

  @Test
  void equalVintagesAreBrokenByOriginThenLocatorWhateverTheInputOrder(TestPipeline p) {
    long vintage = day("2024-02-13");
    // Same key, same vintage: the later origin wins...
    Observation fromA =
        o("fred_csv", "CPIAUCSL", "2020-01-01", 258.682, vintage, "a.csv", "line 9");
    Observation fromB =
        o("fred_csv", "CPIAUCSL", "2020-01-01", 259.000, vintage, "b.csv", "line 2");
    // ...and within one origin, the later locator.
    Observation line2 = o("fred_csv", "CPIAUCSL", "2020-02-01", 1.0, vintage, "a.csv", "line 2");
    Observation line3 = o("fred_csv", "CPIAUCSL", "2020-02-01", 2.0, vintage, "a.csv", "line 3");
    Observation line10 = o("fred_csv", "CPIAUCSL", "2020-02-01", 3.0, vintage, "a.csv", "line 10");

    List<Observation> forward = List.of(fromA, fromB, line2, line3, line10);
    List<Observation> backward = new ArrayList<>(forward);
    Collections.reverse(backward);
    List<Observation> shuffled = List.of(line3, fromB, line10, fromA, line2);

    int i = 0;
    for (List<Observation> order : List.of(forward, backward, shuffled)) {
      for (int shards : new int[] {1, 64}) {
        String name = "Order" + i + "Shards" + shards;
        PCollectionTuple out =
            dedup(p, name, order, DedupLatestVintage.create().withShards(shards));
        // positions compare as numbers: line 10 is further down the file than line 3
        PAssert.that(name + "Latest", out.get(DedupLatestVintage.LATEST))
            .containsInAnyOrder(fromB, line10);
        PAssert.thatSingleton(name + "Superseded", superseded(out, name)).isEqualTo(3L);
      }
      i++;
    }

    p.run().waitUntilFinish();
  }

  @Test
  void everyDistinctVintageOfTheRunGoesToTheVintageHistory(TestPipeline p) {
    // two GDPC1 vintages, the later one twice (a file read twice: the later origin is kept), an
    // Alpha Vantage record without vintage (not history), and a stored row (not this run's read)
    Observation apr = fred("GDPC1", "2023-01-01", 22112.329, "2023-04-27", "observations[0]");
    Observation may = fred("GDPC1", "2023-01-01", 22079.088, "2023-05-25", "observations[0]");
    Observation mayAgain =
        o("fred", "GDPC1", "2023-01-01", 22079.088, day("2023-05-25"), "z-copy.json", "obs[0]");
    Observation noVintage =
        o("alphavantage", "IBM.close", "2023-03-24", 125.29, Observation.UNKNOWN_VINTAGE, "a", "1");
    Observation stored =
        fred("GDPC1", "2023-01-01", 22000.0, "2023-03-30", "observations[0]").asStored();
    List<Observation> in = List.of(may, apr, noVintage, mayAgain, stored);
    for (int shards : new int[] {0, 1, 64}) {
      String name = "Shards" + shards;
      PCollectionTuple out = dedup(p, name, in, DedupLatestVintage.create().withShards(shards));
      PAssert.that(name + "Vintages", out.get(DedupLatestVintage.VINTAGES))
          .containsInAnyOrder(apr, mayAgain);
      PAssert.that(name + "Latest", out.get(DedupLatestVintage.LATEST))
          .containsInAnyOrder(mayAgain, noVintage);
    }
    p.run().waitUntilFinish();
  }

  @Test
  void unknownVintageLosesToAnyKnownVintage(TestPipeline p) {
    long unknown = Observation.UNKNOWN_VINTAGE;
    // Alpha Vantage has no vintages; a config vintage, even very old, is still a known one.
    Observation noVintage = o("av", "IBM.close", "2023-03-24", 125.29, unknown, "z.json", "z");
    Observation old = o("av", "IBM.close", "2023-03-24", 125.00, day("1960-01-01"), "a.json", "a");
    Observation epoch = o("av", "IBM.close", "2023-03-25", 1.0, 0L, "a.json", "a");
    Observation noVintage2 = o("av", "IBM.close", "2023-03-25", 2.0, unknown, "z.json", "z");
    // Two unknown vintages: origin decides.
    Observation unknownA = o("av", "IBM.close", "2023-03-26", 3.0, unknown, "a.json", "x");
    Observation unknownB = o("av", "IBM.close", "2023-03-26", 4.0, unknown, "b.json", "x");

    PCollectionTuple out =
        dedup(
            p,
            "Dedup",
            List.of(noVintage, old, noVintage2, epoch, unknownB, unknownA),
            DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(old, epoch, unknownB);
    PAssert.thatSingleton(superseded(out, "Dedup")).isEqualTo(3L);

    p.run().waitUntilFinish();
  }

  @Test
  void keysDifferingInSourceSeriesOrTimestampAreNotMerged(TestPipeline p) {
    long v = day("2024-01-03");
    List<Observation> in =
        List.of(
            o("fred", "DCOILWTICO", "2020-04-20", -37.63, v, "fred.json", "observations[0]"),
            o("fred_csv", "DCOILWTICO", "2020-04-20", -36.98, v, "fred.csv", "line 2"),
            o("fred", "DCOILWTICO2", "2020-04-20", -37.63, v, "fred.json", "observations[1]"),
            o("fred", "DCOILWTICO", "2020-04-21", 8.91, v, "fred.json", "observations[2]"),
            new Observation(
                "fred",
                "DCOILWTICO",
                day("2020-04-20") + 1,
                1.0,
                v,
                "fred.json",
                "observations[3]"),
            // Key parts that would collide if joined without a separator.
            o("fr", "edDCOILWTICO", "2020-04-20", 5.0, v, "x.json", "y"),
            o("fred", "", "2020-04-20", 6.0, v, "x.json", "y"));

    PCollectionTuple out = dedup(p, "Dedup", in, DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(in);
    PAssert.that(out.get(DedupLatestVintage.SUPERSEDED)).empty();
    PAssert.thatSingleton(superseded(out, "Dedup")).isEqualTo(0L);

    p.run().waitUntilFinish();
  }

  @Test
  void missingValueObservationsAreDedupedLikeAnyOther(TestPipeline p) {
    Observation valued = o("fred", "DCOILWTICO", "2020-04-10", 22.76, day("2020-04-14"), "a", "1");
    Observation missing = o("fred", "DCOILWTICO", "2020-04-10", null, day("2020-04-13"), "a", "1");
    Observation missingLater =
        o("fred", "DCOILWTICO", "2020-04-13", null, day("2020-04-15"), "b", "1");
    Observation valuedEarlier =
        o("fred", "DCOILWTICO", "2020-04-13", 20.0, day("2020-04-14"), "a", "1");

    PCollectionTuple out =
        dedup(
            p,
            "Dedup",
            List.of(missing, valued, valuedEarlier, missingLater),
            DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(valued, missingLater);
    PAssert.thatSingleton(superseded(out, "Dedup")).isEqualTo(2L);

    p.run().waitUntilFinish();
  }

  /**
   * Keys with 1 to 6 vintages each, in shuffled order; the latest is the one with the top vintage.
   */
  private static final class Generated {
    final List<Observation> input = new ArrayList<>();
    final List<Observation> winners = new ArrayList<>();
    final Set<String> keys = new HashSet<>();
  }

  private static Generated generate(int keys, long seed) {
    Random random = new Random(seed);
    Generated g = new Generated();
    String[] sources = {"fred", "fred_csv", "alphavantage"};
    for (int k = 0; k < keys; k++) {
      String source = sources[k % sources.length];
      String series = "S" + (k % 7);
      long ts = day("2000-01-01") + 86_400_000L * (k / 7);
      int vintages = 1 + random.nextInt(6);
      Observation best = null;
      for (int v = 0; v < vintages; v++) {
        long vintage =
            v == 0 && random.nextBoolean()
                ? Observation.UNKNOWN_VINTAGE
                : day("2020-01-01") + 86_400_000L * (v * 10 + random.nextInt(10));
        Observation obs =
            new Observation(
                source,
                series,
                ts,
                random.nextInt(5) == 0 ? null : random.nextDouble() * 1000,
                vintage,
                "origin" + random.nextInt(3),
                "locator" + k + "." + v);
        g.input.add(obs);
        // Vintages of one key are distinct here (disjoint ranges per v), so the top one wins.
        if (best == null || obs.vintage > best.vintage) {
          best = obs;
        }
      }
      g.winners.add(best);
      g.keys.add(best.key());
    }
    Collections.shuffle(g.input, random);
    return g;
  }

  @Test
  void supersededSumsToInputsMinusDistinctKeys(TestPipeline p) {
    Generated g = generate(500, 42);
    assertEquals(500, g.keys.size());

    PCollectionTuple out = dedup(p, "Dedup", g.input, DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(g.winners);
    PAssert.thatSingleton(out.get(DedupLatestVintage.LATEST).apply(Count.globally()))
        .isEqualTo(500L);
    PAssert.thatSingleton(superseded(out, "Dedup"))
        .isEqualTo((long) g.input.size() - g.keys.size());

    p.run().waitUntilFinish();
  }

  @Test
  void noDuplicatesMeansEmptySuperseded(TestPipeline p) {
    List<Observation> in = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      in.add(
          new Observation(
              "fred",
              "UNRATE",
              day("2000-01-01") + i * 86_400_000L,
              i * 0.1,
              day("2025-11-20"),
              "unrate.json",
              "observations[" + i + "]"));
    }

    PCollectionTuple out = dedup(p, "Dedup", in, DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(in);
    PAssert.that(out.get(DedupLatestVintage.SUPERSEDED)).empty();
    PAssert.thatSingleton(superseded(out, "Dedup")).isEqualTo(0L);

    p.run().waitUntilFinish();
  }

  @Test
  void emptyInputGivesEmptyOutputs(TestPipeline p) {
    PCollectionTuple out = dedup(p, "Dedup", List.of(), DedupLatestVintage.create());

    PAssert.that(out.get(DedupLatestVintage.LATEST)).empty();
    PAssert.that(out.get(DedupLatestVintage.SUPERSEDED)).empty();

    p.run().waitUntilFinish();
  }

  @Test
  void shardCountDoesNotChangeTheWinners(TestPipeline p) {
    Generated g = generate(300, 7);
    long expectedSuperseded = (long) g.input.size() - g.keys.size();

    for (int shards : new int[] {1, 3, 7, 8, 64, 1000}) {
      for (boolean bySeries : new boolean[] {false, true}) {
        String name = "Shards" + shards + (bySeries ? "BySeries" : "");
        PCollectionTuple out =
            dedup(
                p,
                name,
                g.input,
                DedupLatestVintage.create().withShards(shards).bySeries(bySeries));
        PAssert.that(name + "Latest", out.get(DedupLatestVintage.LATEST))
            .containsInAnyOrder(g.winners);
        PAssert.thatSingleton(name + "Superseded", superseded(out, name))
            .isEqualTo(expectedSuperseded);
      }
    }

    p.run().waitUntilFinish();
  }

  @Test
  void wholeSeriesShardsKeepASeriesInOneShard() {
    java.util.Map<String, java.util.Set<String>> shardsOf = new java.util.HashMap<>();
    java.util.Set<String> spread = new java.util.HashSet<>();
    for (Observation o : generate(300, 7).input) {
      String series = o.source + "/" + o.seriesId;
      shardsOf
          .computeIfAbsent(series, k -> new java.util.HashSet<>())
          .add(java.util.Arrays.toString(DedupLatestVintage.groupKey(o, 8, true)));
      spread.add(series + java.util.Arrays.toString(DedupLatestVintage.groupKey(o, 8, false)));
    }
    for (java.util.Map.Entry<String, java.util.Set<String>> e : shardsOf.entrySet()) {
      assertEquals(1, e.getValue().size(), e.getKey() + " in shards " + e.getValue());
    }
    // without it a series' timestamps spread over the shards (the check above can fail)
    assertTrue(spread.size() > shardsOf.size(), "spread " + spread.size());
  }

  /**
   * On Flink's batch runner, one group per key is one sort over the group keys with tslake's
   * comparator (normalized keys: the first eight bytes compared in place). Keys that tie there (the
   * same series within a second, series names past ASCII) must still group exactly.
   */
  @Test
  void onFlinkOneGroupPerKeyPicksTheSameWinners() {
    Generated g = generate(3000, 13);
    Random random = new Random(5);
    long base = day("2024-03-01");
    for (int k = 0; k < 400; k++) {
      // ten keys per second of one series: they tie in the sort prefix
      String series = k % 2 == 0 ? "Zürich-€" : "東京";
      long ts = base + (k / 20) * 1000L + (k % 20) * 7;
      Observation a = new Observation("ticks", series, ts, 1.0 * k, 10L, "o", "a" + k);
      Observation b = new Observation("ticks", series, ts, 2.0 * k, 20L, "o", "b" + k);
      g.input.add(random.nextBoolean() ? a : b);
      g.input.add(g.input.get(g.input.size() - 1) == a ? b : a);
      g.winners.add(b);
      g.keys.add(b.key());
    }
    Collections.shuffle(g.input, random);
    org.apache.beam.sdk.options.PipelineOptions options =
        org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner", "--parallelism=2", "--objectReuse=true")
            .create();
    org.apache.beam.sdk.Pipeline p = org.apache.beam.sdk.Pipeline.create(options);
    PCollectionTuple out =
        p.apply(Create.of(g.input).withCoder(Observation.Coder.of()))
            .apply(DedupLatestVintage.create().withShards(0));
    PAssert.that("Latest", out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(g.winners);
    PAssert.thatSingleton(
            "Superseded", out.get(DedupLatestVintage.SUPERSEDED).apply(Sum.longsGlobally()))
        .isEqualTo((long) g.input.size() - g.keys.size());
    p.run().waitUntilFinish();
  }

  @Test
  void perKeyGroupKeysSortBySeriesThenTime() {
    long[] times = {
      Long.MIN_VALUE,
      Long.MIN_VALUE / 2,
      at("1947-01-01T00:00:00Z"),
      -1,
      0,
      1,
      1023,
      1024,
      at("2024-01-01T00:00:00Z"),
      at("2024-01-01T00:00:00Z") + 999,
      at("2024-01-01T00:00:01Z"),
      at("9999-12-31T23:59:59Z"),
      Long.MAX_VALUE / 2,
      Long.MAX_VALUE
    };
    for (String series : new String[] {"DCOILWTICO", "東京", ""}) {
      byte[] before = null;
      long beforeTs = 0;
      for (long ts : times) {
        byte[] key =
            DedupLatestVintage.groupKey(
                new Observation("fred", series, ts, 1.0, 0L, "o", "l"), 0, false);
        if (before != null) {
          assertTrue(java.util.Arrays.compareUnsigned(before, key) < 0, series + " at " + ts);
          boolean prefixTies =
              java.util.Arrays.equals(
                  before,
                  0,
                  DedupLatestVintage.SORT_PREFIX,
                  key,
                  0,
                  DedupLatestVintage.SORT_PREFIX);
          // the eight bytes Flink compares in place tell apart times a second or more apart
          if (ts - beforeTs >= 1024
              && Math.abs(ts) < (1L << 56)
              && Math.abs(beforeTs) < (1L << 56)) {
            assertTrue(!prefixTies, series + ": " + beforeTs + " and " + ts + " tie");
          }
        }
        before = key;
        beforeTs = ts;
      }
    }
  }

  @Test
  void shardsMustNotBeNegative() {
    // 0 means one group per key (DedupPerKeyTest)
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> DedupLatestVintage.create().withShards(-1));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> DedupLatestVintage.create().withShards(-3));
  }

  // ------------------------------------------------ against rows stored in the warehouse

  private static void storedCases(TestPipeline p, int shards) {
    // key 1: the stored row has a newer vintage: both run records lose to it
    Observation stored1 = fred("PAYEMS", "2023-01-01", 155.0, "2023-07-18", "o[0]").asStored();
    Observation old1a = fred("PAYEMS", "2023-01-01", 154.0, "2023-05-05", "o[0]");
    Observation old1b = fred("PAYEMS", "2023-01-01", 153.0, "2023-04-01", "o[0]");
    // key 2: the run brings the same vintage again: it replaces the stored row (table's rule)
    Observation stored2 = fred("PAYEMS", "2023-02-01", 156.0, "2023-07-18", "o[1]").asStored();
    Observation same2 = fred("PAYEMS", "2023-02-01", 156.0, "2023-07-18", "o[1]");
    // key 3: the run brings a newer vintage: it wins, the stored loser is not counted
    Observation stored3 = fred("PAYEMS", "2023-03-01", 157.0, "2023-05-05", "o[2]").asStored();
    Observation new3 = fred("PAYEMS", "2023-03-01", 158.0, "2023-07-18", "o[2]");
    // key 4: only stored: goes on to the aggregates
    Observation stored4 = fred("PAYEMS", "2023-04-01", 159.0, "2023-07-18", "o[3]").asStored();
    // key 5: a stored row without vintage is the oldest
    Observation stored5 =
        o("csv", "X", "2023-01-01", 1.0, Observation.UNKNOWN_VINTAGE, "a.csv", "line 2").asStored();
    Observation run5 =
        o("csv", "X", "2023-01-01", 2.0, Observation.UNKNOWN_VINTAGE, "b.csv", "line 2");

    PCollectionTuple out =
        dedup(
            p,
            "Dedup",
            List.of(stored1, old1a, old1b, stored2, same2, stored3, new3, stored4, stored5, run5),
            DedupLatestVintage.create().withShards(shards));
    PAssert.that(out.get(DedupLatestVintage.LATEST)).containsInAnyOrder(same2, new3, run5);
    PAssert.that(out.get(DedupLatestVintage.STORED)).containsInAnyOrder(stored1, stored4);
    PAssert.thatSingleton(superseded(out, "Dedup")).isEqualTo(2L);
    p.run().waitUntilFinish();
  }

  @Test
  void storedNewerVintageWinsAndTheRunRecordsAreSuperseded(TestPipeline p) {
    storedCases(p, DedupLatestVintage.DEFAULT_SHARDS);
  }

  @Test
  void storedRowsCountPerKeyToo(TestPipeline p) {
    storedCases(p, 0);
  }
}

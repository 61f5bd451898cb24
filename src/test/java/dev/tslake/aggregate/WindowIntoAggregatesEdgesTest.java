package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * WindowIntoAggregates (the batch job's aggregates) at window edges: fixed windows (PT1H, P1D)
 * aligned to the epoch, calendar windows (P1W from Monday, P1M, P3M, P1Y) in UTC, start inclusive
 * and end exclusive.
 */
@ExtendWith(TestPipelineExtension.class)
class WindowIntoAggregatesEdgesTest {

  // ---------------------------------------------------------------- helpers

  private static SourceConfig source(String name, String... windows) {
    SourceConfig s = new SourceConfig();
    s.name = name;
    s.type = SourceType.CSV;
    s.windows = List.of(windows);
    return s;
  }

  private static PipelineConfig config(SourceConfig... sources) {
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(sources);
    return c;
  }

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static Observation obs(String source, String series, String iso, Double value) {
    return new Observation(
        source, series, at(iso), value, Observation.UNKNOWN_VINTAGE, source + ".csv", "at " + iso);
  }

  /** The exact mean: BigDecimal sum of the doubles, divided in DECIMAL128, back to double. */
  static Double exactMean(double... values) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v));
    }
    return sum.divide(BigDecimal.valueOf(values.length), MathContext.DECIMAL128).doubleValue();
  }

  /** Aggregate of non-missing {@code values} given in event-time order, plus missing ones. */
  private static Aggregate agg(
      String source,
      String series,
      String window,
      String start,
      String end,
      long missing,
      double... valuesInTimeOrder) {
    int n = valuesInTimeOrder.length;
    if (n == 0) {
      return new Aggregate(
          source, series, window, at(start), at(end), 0, missing, null, null, null, null, null);
    }
    double min = valuesInTimeOrder[0];
    double max = valuesInTimeOrder[0];
    for (double v : valuesInTimeOrder) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return new Aggregate(
        source,
        series,
        window,
        at(start),
        at(end),
        n,
        missing,
        min,
        max,
        exactMean(valuesInTimeOrder),
        valuesInTimeOrder[0],
        valuesInTimeOrder[n - 1],
        sampleStddev(valuesInTimeOrder));
  }

  /** Two-pass sample standard deviation to 34 digits; null below two values. */
  static Double sampleStddev(double... values) {
    if (values.length < 2) {
      return null;
    }
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v));
    }
    BigDecimal mean = sum.divide(BigDecimal.valueOf(values.length), MathContext.DECIMAL128);
    BigDecimal squares = BigDecimal.ZERO;
    for (double v : values) {
      BigDecimal d = new BigDecimal(v).subtract(mean);
      squares = squares.add(d.multiply(d));
    }
    return squares
        .divide(BigDecimal.valueOf(values.length - 1), MathContext.DECIMAL128)
        .sqrt(MathContext.DECIMAL128)
        .doubleValue();
  }

  private static Aggregate agg(
      String source,
      String series,
      String window,
      String start,
      String end,
      double... valuesInTimeOrder) {
    return agg(source, series, window, start, end, 0, valuesInTimeOrder);
  }

  private static PCollection<Aggregate> aggregate(
      TestPipeline p, PipelineConfig config, List<Observation> in) {
    return p.apply("Observations", Create.of(in).withCoder(Observation.Coder.of()))
        .apply("Aggregate", WindowIntoAggregates.of(config));
  }

  // ---------------------------------------------------------------- (a) fixed hour

  @Test
  void hourWindowsIncludeTheirStartAndExcludeTheirEnd(TestPipeline p) {
    // Given out of event-time order: first/last must follow event time, not input order.
    List<Observation> in =
        List.of(
            obs("taxi", "2", "2016-06-09T10:59:59.999Z", 7.0),
            obs("taxi", "2", "2016-06-09T11:00:00.000Z", 9.0),
            obs("taxi", "2", "2016-06-09T10:30:00.000Z", 1.0),
            obs("taxi", "2", "2016-06-09T10:00:00.000Z", 5.0),
            obs("taxi", "2", "2016-06-09T09:59:59.999Z", 3.0),
            obs("taxi", "2", "2016-06-09T09:00:00.000Z", 4.0));

    PCollection<Aggregate> aggs = aggregate(p, config(source("taxi", "PT1H")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("taxi", "2", "PT1H", "2016-06-09T09:00:00Z", "2016-06-09T10:00:00Z", 4.0, 3.0),
            agg("taxi", "2", "PT1H", "2016-06-09T10:00:00Z", "2016-06-09T11:00:00Z", 5.0, 1.0, 7.0),
            agg("taxi", "2", "PT1H", "2016-06-09T11:00:00Z", "2016-06-09T12:00:00Z", 9.0));

    p.run().waitUntilFinish();
  }

  @Test
  void hourWindowStatisticsAreSpelledOut(TestPipeline p) {
    // The same 10:00 window as above, with every field written out literally.
    List<Observation> in =
        List.of(
            obs("taxi", "2", "2016-06-09T10:59:59.999Z", 7.0),
            obs("taxi", "2", "2016-06-09T10:30:00.000Z", 1.0),
            obs("taxi", "2", "2016-06-09T10:00:00.000Z", 5.0));

    PCollection<Aggregate> aggs = aggregate(p, config(source("taxi", "PT1H")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            new Aggregate(
                "taxi",
                "2",
                "PT1H",
                at("2016-06-09T10:00:00Z"),
                at("2016-06-09T11:00:00Z"),
                3,
                0,
                1.0,
                7.0,
                13.0 / 3,
                5.0,
                7.0,
                // (5, 1, 7): squares of deviations from 13/3 are 4/9, 100/9, 64/9; / (3 - 1)
                sampleStddev(5.0, 1.0, 7.0)));

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- (b) calendar months

  @Test
  void monthWindowsFollowTheCalendarIncludingLeapFebruary(TestPipeline p) {
    List<Observation> in =
        List.of(
            obs("fred", "X", "2024-03-01T00:00:00Z", 4.0),
            obs("fred", "X", "2024-02-29T12:00:00Z", 3.0),
            obs("fred", "X", "2024-02-01T00:00:00Z", 2.0),
            obs("fred", "X", "2024-01-31T23:59:59Z", 1.0),
            obs("fred", "X", "2023-04-30T23:59:59.999Z", 6.0),
            obs("fred", "X", "2023-04-01T00:00:00Z", 5.0),
            obs("fred", "X", "2023-05-01T00:00:00Z", 7.0),
            obs("fred", "X", "2023-02-28T23:59:59.999Z", 9.0),
            obs("fred", "X", "2023-02-01T00:00:00Z", 8.0),
            obs("fred", "X", "2023-03-01T00:00:00Z", 10.0));

    PCollection<Aggregate> aggs = aggregate(p, config(source("fred", "P1M")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("fred", "X", "P1M", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", 1.0),
            agg("fred", "X", "P1M", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", 2.0, 3.0),
            agg("fred", "X", "P1M", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z", 4.0),
            agg("fred", "X", "P1M", "2023-04-01T00:00:00Z", "2023-05-01T00:00:00Z", 5.0, 6.0),
            agg("fred", "X", "P1M", "2023-05-01T00:00:00Z", "2023-06-01T00:00:00Z", 7.0),
            agg("fred", "X", "P1M", "2023-02-01T00:00:00Z", "2023-03-01T00:00:00Z", 8.0, 9.0),
            agg("fred", "X", "P1M", "2023-03-01T00:00:00Z", "2023-04-01T00:00:00Z", 10.0));
    // Window lengths, spelled out in days: the fixture above really is 29 / 30 / 28 days.
    PAssert.that(aggs)
        .satisfies(
            all -> {
              for (Aggregate a : all) {
                long days = Duration.ofMillis(a.windowEnd - a.windowStart).toDays();
                Instant start = Instant.ofEpochMilli(a.windowStart);
                if (start.equals(Instant.parse("2024-02-01T00:00:00Z"))) {
                  assertEquals(29, days, a.toString());
                } else if (start.equals(Instant.parse("2023-04-01T00:00:00Z"))) {
                  assertEquals(30, days, a.toString());
                } else if (start.equals(Instant.parse("2023-02-01T00:00:00Z"))) {
                  assertEquals(28, days, a.toString());
                } else {
                  assertEquals(31, days, a.toString());
                }
              }
              return null;
            });

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- (c) quarters and years

  @Test
  void quarterWindowsStartInJanuaryAprilJulyOctoberAndYearWindowsInJanuary(TestPipeline p) {
    List<Observation> in =
        new ArrayList<>(
            List.of(
                obs("fred", "GDP", "2023-01-01T00:00:00Z", 1.0),
                obs("fred", "GDP", "2023-03-31T23:59:59.999Z", 2.0),
                obs("fred", "GDP", "2023-04-01T00:00:00Z", 3.0),
                obs("fred", "GDP", "2023-06-30T12:00:00Z", 4.0),
                obs("fred", "GDP", "2023-07-01T00:00:00Z", 5.0),
                obs("fred", "GDP", "2023-09-30T23:59:59.999Z", 6.0),
                obs("fred", "GDP", "2023-10-01T00:00:00Z", 7.0),
                obs("fred", "GDP", "2023-12-31T23:59:59.999Z", 8.0),
                obs("fred", "GDP", "2024-01-01T00:00:00Z", 9.0),
                obs("fred", "GDP", "2024-02-29T00:00:00Z", 10.0)));
    Collections.reverse(in);

    PCollection<Aggregate> aggs = aggregate(p, config(source("fred", "P3M", "P1Y")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("fred", "GDP", "P3M", "2023-01-01T00:00:00Z", "2023-04-01T00:00:00Z", 1.0, 2.0),
            agg("fred", "GDP", "P3M", "2023-04-01T00:00:00Z", "2023-07-01T00:00:00Z", 3.0, 4.0),
            agg("fred", "GDP", "P3M", "2023-07-01T00:00:00Z", "2023-10-01T00:00:00Z", 5.0, 6.0),
            agg("fred", "GDP", "P3M", "2023-10-01T00:00:00Z", "2024-01-01T00:00:00Z", 7.0, 8.0),
            agg("fred", "GDP", "P3M", "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z", 9.0, 10.0),
            agg(
                "fred",
                "GDP",
                "P1Y",
                "2023-01-01T00:00:00Z",
                "2024-01-01T00:00:00Z",
                1.0,
                2.0,
                3.0,
                4.0,
                5.0,
                6.0,
                7.0,
                8.0),
            agg("fred", "GDP", "P1Y", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", 9.0, 10.0));

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- (d) days and weeks

  @Test
  void dayWindowsAreUtcDaysAndWeekWindowsStartOnMonday(TestPipeline p) {
    // 2024-01-01 is a Monday; 2023-12-31 a Sunday.
    List<Observation> in =
        List.of(
            obs("btc", "BTCUSD", "2024-01-08T00:00:00Z", 5.0),
            obs("btc", "BTCUSD", "2024-01-07T23:59:59.999Z", 4.0),
            obs("btc", "BTCUSD", "2024-01-02T00:00:00Z", 3.0),
            obs("btc", "BTCUSD", "2024-01-01T23:59:59.999Z", 2.0),
            obs("btc", "BTCUSD", "2024-01-01T00:00:00Z", 1.0),
            obs("btc", "BTCUSD", "2023-12-31T23:59:59.999Z", 0.5));

    PCollection<Aggregate> aggs = aggregate(p, config(source("btc", "P1D", "P1W")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("btc", "BTCUSD", "P1D", "2023-12-31T00:00:00Z", "2024-01-01T00:00:00Z", 0.5),
            agg("btc", "BTCUSD", "P1D", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", 1.0, 2.0),
            agg("btc", "BTCUSD", "P1D", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z", 3.0),
            agg("btc", "BTCUSD", "P1D", "2024-01-07T00:00:00Z", "2024-01-08T00:00:00Z", 4.0),
            agg("btc", "BTCUSD", "P1D", "2024-01-08T00:00:00Z", "2024-01-09T00:00:00Z", 5.0),
            agg("btc", "BTCUSD", "P1W", "2023-12-25T00:00:00Z", "2024-01-01T00:00:00Z", 0.5),
            agg(
                "btc",
                "BTCUSD",
                "P1W",
                "2024-01-01T00:00:00Z",
                "2024-01-08T00:00:00Z",
                1.0,
                2.0,
                3.0,
                4.0),
            agg("btc", "BTCUSD", "P1W", "2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z", 5.0));

    p.run().waitUntilFinish();
  }

  @Test
  void windowTextIsNormalized(TestPipeline p) {
    List<Observation> in = List.of(obs("btc", "BTCUSD", "2024-01-03T05:00:00Z", 5.0));

    PCollection<Aggregate> aggs = aggregate(p, config(source("btc", " p1d ", "pt1h")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("btc", "BTCUSD", "P1D", "2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z", 5.0),
            agg("btc", "BTCUSD", "PT1H", "2024-01-03T05:00:00Z", "2024-01-03T06:00:00Z", 5.0));

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- (e) missing values

  @Test
  void missingValuesAreCountedApartAndAllMissingWindowsHaveNullStatistics(TestPipeline p) {
    List<Observation> in =
        List.of(
            // 10:00 window: first and last by time are missing; first/last skip them.
            obs("fred", "DCOILWTICO", "2020-04-10T10:50:00Z", null),
            obs("fred", "DCOILWTICO", "2020-04-10T10:20:00Z", 6.0),
            obs("fred", "DCOILWTICO", "2020-04-10T10:00:00Z", null),
            obs("fred", "DCOILWTICO", "2020-04-10T10:10:00Z", 4.0),
            // 11:00 window: nothing but missing values.
            obs("fred", "DCOILWTICO", "2020-04-10T11:00:00Z", null),
            obs("fred", "DCOILWTICO", "2020-04-10T11:59:59.999Z", null));

    PCollection<Aggregate> aggs = aggregate(p, config(source("fred", "PT1H")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            new Aggregate(
                "fred",
                "DCOILWTICO",
                "PT1H",
                at("2020-04-10T10:00:00Z"),
                at("2020-04-10T11:00:00Z"),
                2,
                2,
                4.0,
                6.0,
                5.0,
                4.0,
                6.0,
                Math.sqrt(2.0)), // (4 - 5)^2 + (6 - 5)^2 = 2, / (2 - 1)
            new Aggregate(
                "fred",
                "DCOILWTICO",
                "PT1H",
                at("2020-04-10T11:00:00Z"),
                at("2020-04-10T12:00:00Z"),
                0,
                2,
                null,
                null,
                null,
                null,
                null));

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- (f) exact mean

  @Test
  void sampleStddevOfTheHandWorkedExampleIsTheSquareRootOf28Thirds() {
    assertEquals(Math.sqrt(28.0 / 3), sampleStddev(5.0, 1.0, 7.0), 1e-15);
    assertEquals(
        Math.sqrt(28.0 / 3),
        SeriesStats.sampleStddev(3, new BigDecimal(13), new BigDecimal(25 + 1 + 49)),
        1e-15);
    assertEquals(null, SeriesStats.sampleStddev(1, new BigDecimal(5), new BigDecimal(25)));
  }

  @Test
  void meanIsExactNotAFloatingPointRunningSum(TestPipeline p) {
    List<Observation> in =
        List.of(
            obs("fred", "X", "2024-01-03T00:00:00Z", 0.3),
            obs("fred", "X", "2024-01-01T00:00:00Z", 0.1),
            obs("fred", "X", "2024-01-02T00:00:00Z", 0.2));
    // Sanity: the naive double mean is not 0.2, the exact one is.
    assertNotEquals(0.2, (0.1 + 0.2 + 0.3) / 3);
    assertEquals(0.2, exactMean(0.1, 0.2, 0.3));

    PCollection<Aggregate> aggs = aggregate(p, config(source("fred", "P1M")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            new Aggregate(
                "fred",
                "X",
                "P1M",
                at("2024-01-01T00:00:00Z"),
                at("2024-02-01T00:00:00Z"),
                3,
                0,
                0.1,
                0.3,
                exactMean(0.1, 0.2, 0.3),
                0.1,
                0.3,
                sampleStddev(0.1, 0.2, 0.3)));

    p.run().waitUntilFinish();
  }

  @Test
  void meanDoesNotDependOnInputOrder(TestPipeline p) {
    // Values of very different magnitude, where a double running sum depends on the order.
    Random random = new Random(2024);
    double[] values = new double[2000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(32) - 8);
    }
    double forward = 0;
    double backward = 0;
    for (int i = 0; i < values.length; i++) {
      forward += values[i];
      backward += values[values.length - 1 - i];
    }
    assertNotEquals(forward, backward, "fixture must be order-sensitive for doubles");

    // Three series with the same values in the same hours but fed in different orders.
    List<Observation> in = new ArrayList<>();
    List<Observation> shuffled = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      String ts = Instant.parse("2024-01-01T00:00:00Z").plusSeconds(60L * i).toString();
      in.add(obs("src", "forward", ts, values[i]));
      shuffled.add(obs("src", "shuffled", ts, values[i]));
    }
    for (int i = values.length - 1; i >= 0; i--) {
      String ts = Instant.parse("2024-01-01T00:00:00Z").plusSeconds(60L * i).toString();
      in.add(obs("src", "backward", ts, values[i]));
    }
    Collections.shuffle(shuffled, random);
    in.addAll(shuffled);

    PCollection<Aggregate> aggs = aggregate(p, config(source("src", "P1M")), in);

    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    List<Aggregate> expected = new ArrayList<>();
    for (String series : List.of("forward", "backward", "shuffled")) {
      expected.add(
          new Aggregate(
              "src",
              series,
              "P1M",
              at("2024-01-01T00:00:00Z"),
              at("2024-02-01T00:00:00Z"),
              values.length,
              0,
              min,
              max,
              exactMean(values),
              values[0],
              values[values.length - 1],
              sampleStddev(values)));
    }
    PAssert.that(aggs).containsInAnyOrder(expected);

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- (g) per source, per series

  @Test
  void sourcesGetOnlyTheirOwnWindowsAndSeriesAreSeparate(TestPipeline p) {
    PipelineConfig config =
        config(source("daily", "P1D"), source("monthly", "P1M"), source("none"));
    List<Observation> in =
        List.of(
            obs("daily", "A", "2024-05-10T01:00:00Z", 1.0),
            obs("daily", "A", "2024-05-10T02:00:00Z", 2.0),
            obs("daily", "B", "2024-05-10T03:00:00Z", 30.0),
            obs("monthly", "A", "2024-05-10T04:00:00Z", 100.0),
            obs("monthly", "A", "2024-05-20T00:00:00Z", 200.0),
            obs("none", "A", "2024-05-10T01:00:00Z", 7.0),
            obs("unconfigured", "A", "2024-05-10T01:00:00Z", 8.0));

    PCollection<Aggregate> aggs = aggregate(p, config, in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("daily", "A", "P1D", "2024-05-10T00:00:00Z", "2024-05-11T00:00:00Z", 1.0, 2.0),
            agg("daily", "B", "P1D", "2024-05-10T00:00:00Z", "2024-05-11T00:00:00Z", 30.0),
            agg(
                "monthly",
                "A",
                "P1M",
                "2024-05-01T00:00:00Z",
                "2024-06-01T00:00:00Z",
                100.0,
                200.0));

    p.run().waitUntilFinish();
  }

  @Test
  void emptyInputGivesNoAggregates(TestPipeline p) {
    PCollection<Aggregate> aggs = aggregate(p, config(source("daily", "P1D", "P1M")), List.of());

    PAssert.that(aggs).empty();

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- main-code bugs

  /**
   * FAILS ON PURPOSE (bug in main code, see report): windows of timestamps before 1970 are wrong.
   * Beam's FixedWindows and CalendarWindows, which SpecWindows replaces, round toward zero instead
   * of down for instants before the epoch, so the assigned window does not even contain the
   * observation. The default config aggregates FRED series that start in 1947-1959 (HOUST 1959-,
   * FEDFUNDS 1954-) with P3M and P1Y.
   */
  @Test
  void windowsBeforeTheEpochContainTheirObservations(TestPipeline p) {
    List<Observation> in =
        List.of(
            obs("fred", "HOUST", "1959-02-01T00:00:00Z", 1657.0),
            obs("fred", "HOUST", "1969-12-01T00:00:00Z", 1403.0),
            obs("fred", "GDP", "1947-04-01T00:00:00Z", 245.968),
            obs("moon", "EVA", "1969-07-20T20:17:00Z", 1.0),
            obs("moon", "EVA", "1969-12-25T12:00:00Z", 2.0));

    PCollection<Aggregate> aggs =
        aggregate(
            p,
            config(source("fred", "P3M", "P1Y"), source("moon", "PT1H", "P1D", "P1W", "P1M")),
            in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("fred", "HOUST", "P3M", "1959-01-01T00:00:00Z", "1959-04-01T00:00:00Z", 1657.0),
            agg("fred", "HOUST", "P3M", "1969-10-01T00:00:00Z", "1970-01-01T00:00:00Z", 1403.0),
            agg("fred", "HOUST", "P1Y", "1959-01-01T00:00:00Z", "1960-01-01T00:00:00Z", 1657.0),
            agg("fred", "HOUST", "P1Y", "1969-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 1403.0),
            agg("fred", "GDP", "P3M", "1947-04-01T00:00:00Z", "1947-07-01T00:00:00Z", 245.968),
            agg("fred", "GDP", "P1Y", "1947-01-01T00:00:00Z", "1948-01-01T00:00:00Z", 245.968),
            agg("moon", "EVA", "PT1H", "1969-07-20T20:00:00Z", "1969-07-20T21:00:00Z", 1.0),
            agg("moon", "EVA", "PT1H", "1969-12-25T12:00:00Z", "1969-12-25T13:00:00Z", 2.0),
            agg("moon", "EVA", "P1D", "1969-07-20T00:00:00Z", "1969-07-21T00:00:00Z", 1.0),
            agg("moon", "EVA", "P1D", "1969-12-25T00:00:00Z", "1969-12-26T00:00:00Z", 2.0),
            agg("moon", "EVA", "P1W", "1969-07-14T00:00:00Z", "1969-07-21T00:00:00Z", 1.0),
            agg("moon", "EVA", "P1W", "1969-12-22T00:00:00Z", "1969-12-29T00:00:00Z", 2.0),
            agg("moon", "EVA", "P1M", "1969-07-01T00:00:00Z", "1969-08-01T00:00:00Z", 1.0),
            agg("moon", "EVA", "P1M", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z", 2.0));

    p.run().waitUntilFinish();
  }

  /**
   * FAILS ON PURPOSE (bug in main code, see report): a window listed twice in a source's config
   * (here as "P1M" and "p1m", which both normalize to P1M) counts every observation twice. The
   * config is accepted by validation.
   */
  @Test
  void windowListedTwiceDoesNotDoubleCount(TestPipeline p) {
    List<Observation> in =
        List.of(
            obs("fred", "UNRATE", "2024-01-01T00:00:00Z", 3.7),
            obs("fred", "UNRATE", "2024-01-15T00:00:00Z", null));

    PCollection<Aggregate> aggs = aggregate(p, config(source("fred", "P1M", "p1m")), in);

    PAssert.that(aggs)
        .containsInAnyOrder(
            agg("fred", "UNRATE", "P1M", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", 1L, 3.7));

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- stored rows

  private static Observation stored(String source, String series, String iso, Double value) {
    return obs(source, series, iso, value).asStored();
  }

  @Test
  void windowsWithoutARecordOfThisRunAreNotEmitted(TestPipeline p) {
    // read back for a P1M window of January: the P1W edges of the read range are partial
    List<Observation> in =
        List.of(
            stored("bs", "BTC", "2024-01-01T00:00:00Z", 1.0), // week of 2024-01-01
            stored("bs", "BTC", "2024-01-16T00:00:00Z", 2.0), // week of 2024-01-15
            obs("bs", "BTC", "2024-01-17T00:00:00Z", 4.0),
            stored("bs", "BTC", "2024-01-31T00:00:00Z", 8.0)); // week of 2024-01-29
    PAssert.that(aggregate(p, config(source("bs", "P1W", "P1M")), in))
        .containsInAnyOrder(
            agg("bs", "BTC", "P1W", "2024-01-15T00:00:00Z", "2024-01-22T00:00:00Z", 2.0, 4.0),
            agg(
                "bs",
                "BTC",
                "P1M",
                "2024-01-01T00:00:00Z",
                "2024-02-01T00:00:00Z",
                1.0,
                2.0,
                4.0,
                8.0));
    p.run().waitUntilFinish();
  }

  @Test
  void storedOnlyKeysCountInTouchedWindows(TestPipeline p) {
    // the run brings one missing value; the window's statistics are the stored rows' too
    List<Observation> in =
        List.of(
            stored("fred", "UNRATE", "2024-01-01T00:00:00Z", 3.7),
            stored("fred", "UNRATE", "2024-02-01T00:00:00Z", 3.9),
            obs("fred", "UNRATE", "2024-03-01T00:00:00Z", null));
    PAssert.that(aggregate(p, config(source("fred", "P3M")), in))
        .containsInAnyOrder(
            agg(
                "fred",
                "UNRATE",
                "P3M",
                "2024-01-01T00:00:00Z",
                "2024-04-01T00:00:00Z",
                1L,
                3.7,
                3.9));
    p.run().waitUntilFinish();
  }
}

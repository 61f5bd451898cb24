package dev.tslake.transform;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.testing.TestPipelineExtension;
import java.io.Serializable;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * ValidateAndClean in a pipeline: every raw record leaves either as an {@link Observation} on
 * {@link ValidateAndClean#VALID} or as a {@link Reject} on {@link ValidateAndClean#REJECTED}
 * carrying the original record and a specific reason. Both outputs are asserted in every test.
 */
@ExtendWith(TestPipelineExtension.class)
class ValidateAndCleanTest {

  // ---------------------------------------------------------------- config and helpers

  private static SourceConfig source(String name, SourceType type, String format, String zone) {
    SourceConfig s = new SourceConfig();
    s.name = name;
    s.type = type;
    s.windows = List.of("P1M");
    s.timestampFormat = format;
    s.timeZone = zone;
    return s;
  }

  /** fred: ISO dates in UTC; taxi: local wall time in New York; gemini: epoch millis. */
  private static PipelineConfig config() {
    PipelineConfig c = new PipelineConfig();
    c.sources =
        List.of(
            source("fred", SourceType.FRED, "iso", "UTC"),
            source("taxi", SourceType.CSV, "yyyy-MM-dd HH:mm:ss", "America/New_York"),
            source("utcwall", SourceType.CSV, "yyyy-MM-dd HH:mm:ss", "UTC"),
            source("gemini", SourceType.CSV, "epoch_millis", "UTC"));
    return c;
  }

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static RawRecord fred(
      String locator, String series, String ts, String value, String vintage) {
    return RawRecord.of(
        "fred", "testdata/fred/" + series + ".json", locator, series, ts, value, vintage);
  }

  private static Observation obs(RawRecord r, String series, long ts, Double value, long vintage) {
    return new Observation(r.source, series, ts, value, vintage, r.origin, r.locator);
  }

  private static PCollectionTuple validate(TestPipeline p, RawRecord... records) {
    return p.apply("Raw", Create.of(Arrays.asList(records)).withCoder(RawRecord.Coder.of()))
        .apply("Validate", ValidateAndClean.of(config()));
  }

  /** What one reject must look like: stage, a fragment of the reason, the untouched record. */
  static final class Expected implements Serializable {
    final RawRecord record;
    final String stage;
    final String reasonPart;

    Expected(RawRecord record, String stage, String reasonPart) {
      this.record = record;
      this.stage = stage;
      this.reasonPart = reasonPart;
    }
  }

  private static Expected rejected(RawRecord r, String stage, String reasonPart) {
    return new Expected(r, stage, reasonPart);
  }

  /**
   * Exactly these rejects, one per expected record (matched by locator): same stage, reason
   * containing the fragment, and the original raw record unchanged.
   */
  private static SerializableFunction<Iterable<Reject>, Void> rejectsAre(Expected... expected) {
    List<Expected> all = List.of(expected);
    return actual -> {
      Map<String, Reject> byLocator = new HashMap<>();
      int n = 0;
      for (Reject r : actual) {
        n++;
        byLocator.put(r.record.locator, r);
      }
      assertEquals(all.size(), n, "number of rejects: " + actual);
      assertEquals(all.size(), byLocator.size(), "one reject per record: " + actual);
      for (Expected e : all) {
        Reject r = byLocator.get(e.record.locator);
        assertTrue(r != null, "no reject for " + e.record + " in " + actual);
        assertEquals(e.stage, r.stage, r.toString());
        assertThat(r.toString(), r.reason, containsString(e.reasonPart));
        assertEquals(e.record, r.record, "the reject must carry the original record");
      }
      return null;
    };
  }

  // ---------------------------------------------------------------- valid records

  @Test
  void validFredRecordBecomesUtcObservation(TestPipeline p) {
    RawRecord payems = fred("observations[0]", "PAYEMS", "2023-03-01", "155472", "2023-07-18");
    RawRecord withOffsetVintage =
        fred("observations[1]", "DGS2", "2022-12-09", "4.34", "2022-12-09T15:25:09-06:00");
    RawRecord noVintage = fred("observations[2]", "UNRATE", "2020-03-01", "4.4", null);
    RawRecord blankVintage = fred("observations[3]", "UNRATE", "2020-04-01", "14.7", "");
    RawRecord paddedSeries =
        fred("observations[4]", "  GDPC1 ", "1947-01-01", "2182.681", "2025-11-28");
    RawRecord nyTaxi =
        RawRecord.of(
            "taxi", "yellow.csv", "line 2 fare_amount", "2", "2015-01-14 19:05:39", "12.5", null);
    RawRecord nyTaxiSummer =
        RawRecord.of(
            "taxi", "yellow.csv", "line 3 fare_amount", "2", "2016-06-09 21:06:36", "-3", null);
    RawRecord epoch =
        RawRecord.of(
            "gemini", "gemini.csv", "line 7 Close", "BTCUSD", "1618876920000", "55000.01", null);

    PCollectionTuple out =
        validate(
            p,
            payems,
            withOffsetVintage,
            noVintage,
            blankVintage,
            paddedSeries,
            nyTaxi,
            nyTaxiSummer,
            epoch);

    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(payems, "PAYEMS", at("2023-03-01T00:00:00Z"), 155472.0, at("2023-07-18T00:00:00Z")),
            obs(
                withOffsetVintage,
                "DGS2",
                at("2022-12-09T00:00:00Z"),
                4.34,
                at("2022-12-09T21:25:09Z")),
            obs(noVintage, "UNRATE", at("2020-03-01T00:00:00Z"), 4.4, Observation.UNKNOWN_VINTAGE),
            obs(
                blankVintage,
                "UNRATE",
                at("2020-04-01T00:00:00Z"),
                14.7,
                Observation.UNKNOWN_VINTAGE),
            obs(
                paddedSeries,
                "GDPC1",
                at("1947-01-01T00:00:00Z"),
                2182.681,
                at("2025-11-28T00:00:00Z")),
            obs(nyTaxi, "2", at("2015-01-15T00:05:39Z"), 12.5, Observation.UNKNOWN_VINTAGE),
            obs(nyTaxiSummer, "2", at("2016-06-10T01:06:36Z"), -3.0, Observation.UNKNOWN_VINTAGE),
            obs(epoch, "BTCUSD", 1618876920000L, 55000.01, Observation.UNKNOWN_VINTAGE));
    PAssert.that(out.get(ValidateAndClean.REJECTED)).empty();

    p.run().waitUntilFinish();
  }

  @Test
  void missingMarkersAreLoadedAsNullValuesNotRejected(TestPipeline p) {
    RawRecord dot = fred("observations[0]", "DCOILWTICO", "2020-04-10", ".", "2020-04-15");
    RawRecord empty = fred("observations[1]", "DCOILWTICO", "2020-04-13", "", "2020-04-15");
    RawRecord nullText = fred("observations[2]", "DCOILWTICO", "2020-04-14", "NULL", "2020-04-15");
    RawRecord nan = fred("observations[3]", "DCOILWTICO", "2020-04-15", "NaN", "2020-04-15");
    RawRecord spaces = fred("observations[4]", "DCOILWTICO", "2020-04-16", "   ", "2020-04-15");
    RawRecord nullValue = fred("observations[5]", "DCOILWTICO", "2020-04-17", null, "2020-04-15");

    PCollectionTuple out = validate(p, dot, empty, nullText, nan, spaces, nullValue);

    long vintage = at("2020-04-15T00:00:00Z");
    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(dot, "DCOILWTICO", at("2020-04-10T00:00:00Z"), null, vintage),
            obs(empty, "DCOILWTICO", at("2020-04-13T00:00:00Z"), null, vintage),
            obs(nullText, "DCOILWTICO", at("2020-04-14T00:00:00Z"), null, vintage),
            obs(nan, "DCOILWTICO", at("2020-04-15T00:00:00Z"), null, vintage),
            obs(spaces, "DCOILWTICO", at("2020-04-16T00:00:00Z"), null, vintage),
            obs(nullValue, "DCOILWTICO", at("2020-04-17T00:00:00Z"), null, vintage));
    PAssert.that(out.get(ValidateAndClean.REJECTED)).empty();

    p.run().waitUntilFinish();
  }

  @Test
  void thousandsSeparatorsInGroupsOfThreeAreAccepted(TestPipeline p) {
    RawRecord aspus = fred("observations[0]", "ASPUS", "2023-01-01", "51,358.3598", "2025-11-27");
    RawRecord millions = fred("observations[1]", "ASPUS", "2023-04-01", "-1,234,567", "2025-11-27");

    PCollectionTuple out = validate(p, aspus, millions);

    long vintage = at("2025-11-27T00:00:00Z");
    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(aspus, "ASPUS", at("2023-01-01T00:00:00Z"), 51358.3598, vintage),
            obs(millions, "ASPUS", at("2023-04-01T00:00:00Z"), -1234567.0, vintage));
    PAssert.that(out.get(ValidateAndClean.REJECTED)).empty();

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- rejects

  @Test
  void ambiguousDecimalCommaIsRejectedWithTheOriginalRecord(TestPipeline p) {
    RawRecord comma = fred("observations[0]", "UNRATE", "2020-03-01", "1,23", "2020-04-03");
    RawRecord european = fred("observations[1]", "UNRATE", "2020-04-01", "1.234,5", "2020-04-03");
    RawRecord ok = fred("observations[2]", "UNRATE", "2020-05-01", "13.3", "2020-06-05");

    PCollectionTuple out = validate(p, comma, european, ok);

    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(ok, "UNRATE", at("2020-05-01T00:00:00Z"), 13.3, at("2020-06-05T00:00:00Z")));
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejectsAre(
                rejected(comma, "validate", "ambiguous"),
                rejected(european, "validate", "ambiguous")));

    p.run().waitUntilFinish();
  }

  @Test
  void notANumberAndOutOfRangeValuesAreRejected(TestPipeline p) {
    RawRecord text = fred("observations[0]", "UNRATE", "2020-03-01", "four", "2020-04-03");
    RawRecord huge = fred("observations[1]", "UNRATE", "2020-04-01", "1e400", "2020-04-03");
    RawRecord infinity = fred("observations[2]", "UNRATE", "2020-05-01", "Infinity", "2020-04-03");

    PCollectionTuple out = validate(p, text, huge, infinity);

    PAssert.that(out.get(ValidateAndClean.VALID)).empty();
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejectsAre(
                rejected(text, "validate", "'four' is not a number"),
                rejected(huge, "validate", "out of range"),
                rejected(infinity, "validate", "is not a number")));

    p.run().waitUntilFinish();
  }

  @Test
  void unparseablePayloadIsRejectedAtParseStageWithItsError(TestPipeline p) {
    RawRecord apiError =
        RawRecord.unparseable(
            "fred",
            "https://api.stlouisfed.org/fred/x",
            "payload",
            null,
            "FRED error 400: Bad Request. The series does not exist.",
            "{\"error_code\":400}");
    RawRecord truncated =
        RawRecord.unparseable(
            "gemini",
            "gemini.csv",
            "line 9",
            "BTCUSD",
            "row has 3 fields, header has 8",
            "1618876920000,BTCUSD,55000");

    PCollectionTuple out = validate(p, apiError, truncated);

    PAssert.that(out.get(ValidateAndClean.VALID)).empty();
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .containsInAnyOrder(
            new Reject(
                "parse", "FRED error 400: Bad Request. The series does not exist.", apiError),
            new Reject("parse", "row has 3 fields, header has 8", truncated));

    p.run().waitUntilFinish();
  }

  @Test
  void badSeriesIdsAreRejected(TestPipeline p) {
    RawRecord empty = fred("observations[0]", "", "2020-03-01", "1", null);
    RawRecord blank = fred("observations[1]", "   ", "2020-03-01", "1", null);
    RawRecord nullId =
        RawRecord.of("fred", "f.json", "observations[2]", null, "2020-03-01", "1", null);
    RawRecord bell = fred("observations[3]", "PAY\u0007EMS", "2020-03-01", "1", null);
    RawRecord newline = fred("observations[4]", "PAY\nEMS", "2020-03-01", "1", null);
    RawRecord nul = fred("observations[5]", "PAY\u0000EMS", "2020-03-01", "1", null);
    RawRecord tooLong = fred("observations[6]", "X".repeat(201), "2020-03-01", "1", null);
    RawRecord longest = fred("observations[7]", "Y".repeat(200), "2020-03-01", "1", null);

    PCollectionTuple out = validate(p, empty, blank, nullId, bell, newline, nul, tooLong, longest);

    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(
                longest,
                "Y".repeat(200),
                at("2020-03-01T00:00:00Z"),
                1.0,
                Observation.UNKNOWN_VINTAGE));
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejectsAre(
                rejected(empty, "validate", "missing series id"),
                rejected(blank, "validate", "missing series id"),
                rejected(nullId, "validate", "missing series id"),
                rejected(bell, "validate", "control character U+0007"),
                rejected(newline, "validate", "control character U+000A"),
                rejected(nul, "validate", "control character U+0000"),
                rejected(tooLong, "validate", "201 characters")));

    p.run().waitUntilFinish();
  }

  @Test
  void badTimestampsAreRejected(TestPipeline p) {
    RawRecord feb30 = fred("observations[0]", "UNRATE", "2023-02-30", "3.6", null);
    RawRecord words = fred("observations[1]", "UNRATE", "last march", "3.6", null);
    RawRecord empty = fred("observations[2]", "UNRATE", "", "3.6", null);
    RawRecord nullTs = fred("observations[3]", "UNRATE", null, "3.6", null);
    RawRecord wrongPattern =
        RawRecord.of(
            "taxi", "yellow.csv", "line 5 fare_amount", "1", "2015-01-14T19:05:39", "7", null);
    RawRecord year99999 =
        RawRecord.of(
            "gemini", "gemini.csv", "line 6 Close", "BTCUSD", "99999999999999999", "1", null);

    PCollectionTuple out = validate(p, feb30, words, empty, nullTs, wrongPattern, year99999);

    PAssert.that(out.get(ValidateAndClean.VALID)).empty();
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejectsAre(
                rejected(feb30, "validate", "'2023-02-30'"),
                rejected(words, "validate", "'last march' is not an ISO-8601"),
                rejected(empty, "validate", "missing timestamp"),
                rejected(nullTs, "validate", "missing timestamp"),
                rejected(wrongPattern, "validate", "does not match pattern"),
                rejected(year99999, "validate", "outside years")));

    p.run().waitUntilFinish();
  }

  @Test
  void localTimeSkippedOrRepeatedByDstInNewYorkIsRejected(TestPipeline p) {
    // 2016-03-13: New York clocks jump from 02:00 EST to 03:00 EDT; 2016-11-06: 01:00-02:00 twice.
    RawRecord gap =
        RawRecord.of(
            "taxi",
            "yellow_2016-03.csv",
            "line 10 fare_amount",
            "2",
            "2016-03-13 02:30:00",
            "9.5",
            null);
    RawRecord afterGap =
        RawRecord.of(
            "taxi",
            "yellow_2016-03.csv",
            "line 11 fare_amount",
            "2",
            "2016-03-13 03:30:00",
            "10",
            null);
    RawRecord beforeGap =
        RawRecord.of(
            "taxi",
            "yellow_2016-03.csv",
            "line 12 fare_amount",
            "2",
            "2016-03-13 01:59:59",
            "11",
            null);
    RawRecord overlap =
        RawRecord.of(
            "taxi",
            "yellow_2016-11.csv",
            "line 3 fare_amount",
            "2",
            "2016-11-06 01:30:00",
            "12",
            null);
    // The same wall time is fine for a source whose zone is UTC.
    RawRecord utcWall =
        RawRecord.of("utcwall", "utc.csv", "line 2 v", "S", "2016-03-13 02:30:00", "13", null);

    PCollectionTuple out = validate(p, gap, afterGap, beforeGap, overlap, utcWall);

    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(afterGap, "2", at("2016-03-13T07:30:00Z"), 10.0, Observation.UNKNOWN_VINTAGE),
            obs(beforeGap, "2", at("2016-03-13T06:59:59Z"), 11.0, Observation.UNKNOWN_VINTAGE),
            obs(utcWall, "S", at("2016-03-13T02:30:00Z"), 13.0, Observation.UNKNOWN_VINTAGE));
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejectsAre(
                rejected(gap, "validate", "does not exist in America/New_York"),
                rejected(overlap, "validate", "ambiguous in America/New_York")));

    p.run().waitUntilFinish();
  }

  @Test
  void excelScientificEpochIsRejected(TestPipeline p) {
    RawRecord mangled =
        RawRecord.of(
            "gemini", "gemini_excel.csv", "line 2 Close", "BTCUSD", "1.61888E+12", "55000", null);
    RawRecord lower =
        RawRecord.of(
            "gemini",
            "gemini_excel.csv",
            "line 3 Close",
            "BTCUSD",
            "1.618876920e12",
            "55001",
            null);
    RawRecord intact =
        RawRecord.of(
            "gemini", "gemini_excel.csv", "line 4 Close", "BTCUSD", "1618876920000", "55002", null);

    PCollectionTuple out = validate(p, mangled, lower, intact);

    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(intact, "BTCUSD", 1618876920000L, 55002.0, Observation.UNKNOWN_VINTAGE));
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejectsAre(
                rejected(mangled, "validate", "scientific notation"),
                rejected(lower, "validate", "scientific notation")));

    p.run().waitUntilFinish();
  }

  @Test
  void badVintageIsRejected(TestPipeline p) {
    RawRecord month13 = fred("observations[0]", "PAYEMS", "2023-03-01", "155420", "2023-13-05");
    RawRecord words = fred("observations[1]", "PAYEMS", "2023-03-01", "155420", "July 2023");
    RawRecord feb30 = fred("observations[2]", "PAYEMS", "2023-03-01", "155420", "2023-02-30");

    PCollectionTuple out = validate(p, month13, words, feb30);

    PAssert.that(out.get(ValidateAndClean.VALID)).empty();
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejectsAre(
                rejected(month13, "validate", "vintage '2023-13-05' is not an ISO date or instant"),
                rejected(words, "validate", "vintage 'July 2023' is not an ISO date or instant"),
                rejected(feb30, "validate", "vintage '2023-02-30' is not an ISO date or instant")));

    p.run().waitUntilFinish();
  }

  @Test
  void recordOfUnknownSourceIsRejected(TestPipeline p) {
    RawRecord stranger = RawRecord.of("nosuch", "x.csv", "line 2", "S", "2020-01-01", "1", null);

    PCollectionTuple out = validate(p, stranger);

    PAssert.that(out.get(ValidateAndClean.VALID)).empty();
    PAssert.that(out.get(ValidateAndClean.REJECTED))
        .satisfies(rejectsAre(rejected(stranger, "validate", "unknown source 'nosuch'")));

    p.run().waitUntilFinish();
  }

  // ---------------------------------------------------------------- accounting

  /** A mix of good and bad records; each entry says whether it must be loaded. */
  private static Map<RawRecord, Boolean> mixed() {
    Map<RawRecord, Boolean> in = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 36; i++) {
      String ts = String.format("2020-%02d-01", 1 + i % 12);
      String series = "S" + (i % 5);
      String loc = "observations[" + i + "]";
      switch (i % 9) {
        case 0:
          in.put(fred(loc, series, ts, "1,23", "2020-12-01"), false);
          break;
        case 1:
          in.put(fred(loc, series, ts, ".", "2020-12-01"), true);
          break;
        case 2:
          in.put(fred(loc, series, ts, "51,358.3598", "2020-12-01"), true);
          break;
        case 3:
          in.put(fred(loc, series, ts, "abc", "2020-12-01"), false);
          break;
        case 4:
          in.put(fred(loc, "", ts, "4", "2020-12-01"), false);
          break;
        case 5:
          in.put(fred(loc, series, "2020-02-30", "5", "2020-12-01"), false);
          break;
        case 6:
          in.put(fred(loc, series, ts, "6", "bad"), false);
          break;
        default:
          in.put(fred(loc, series, ts, Integer.toString(i), null), true);
      }
    }
    in.put(
        RawRecord.unparseable("fred", "err.json", "payload", null, "truncated JSON", "{"), false);
    in.put(RawRecord.of("gemini", "g.csv", "line 2", "BTCUSD", "1.61888E+12", "1", null), false);
    in.put(RawRecord.of("gemini", "g.csv", "line 3", "BTCUSD", "1618876920000", "1", null), true);
    in.put(RawRecord.of("taxi", "t.csv", "line 2", "1", "2016-03-13 02:30:00", "1", null), false);
    in.put(RawRecord.of("taxi", "t.csv", "line 3", "1", "2016-03-13 03:30:00", "1", null), true);
    return in;
  }

  @Test
  void nothingIsLostOrDuplicated(TestPipeline p) {
    Map<RawRecord, Boolean> mix = mixed();
    List<RawRecord> in = new ArrayList<>(mix.keySet());
    long expectedValid = mix.values().stream().filter(v -> v).count();
    long expectedRejected = in.size() - expectedValid;
    assertEquals(18, expectedValid);
    assertEquals(23, expectedRejected);
    PipelineConfig config = config();

    PCollectionTuple out =
        p.apply("Raw", Create.of(in).withCoder(RawRecord.Coder.of()))
            .apply("Validate", ValidateAndClean.of(config));
    PCollection<Observation> valid = out.get(ValidateAndClean.VALID);
    PCollection<Reject> rejects = out.get(ValidateAndClean.REJECTED);

    PCollection<Long> validCount = valid.apply("CountValid", Count.globally());
    PCollection<Long> rejectCount = rejects.apply("CountRejected", Count.globally());
    PAssert.thatSingleton(validCount).isEqualTo(expectedValid);
    PAssert.thatSingleton(rejectCount).isEqualTo(expectedRejected);
    PAssert.thatSingleton(
            PCollectionList.of(validCount)
                .and(rejectCount)
                .apply("BothCounts", Flatten.pCollections())
                .apply("Total", Sum.longsGlobally()))
        .isEqualTo((long) in.size());

    // Stronger than counts: every input's locator comes out exactly once.
    PCollection<String> validLocators =
        valid.apply(
            "ValidLocator",
            MapElements.into(TypeDescriptors.strings())
                .via((Observation o) -> o.origin + " " + o.locator));
    PCollection<String> rejectLocators =
        rejects.apply(
            "RejectLocator",
            MapElements.into(TypeDescriptors.strings())
                .via((Reject r) -> r.record.origin + " " + r.record.locator));
    List<String> expectedLocators = new ArrayList<>();
    List<String> expectedValidLocators = new ArrayList<>();
    List<String> expectedRejectLocators = new ArrayList<>();
    for (Map.Entry<RawRecord, Boolean> e : mix.entrySet()) {
      String l = e.getKey().origin + " " + e.getKey().locator;
      expectedLocators.add(l);
      (e.getValue() ? expectedValidLocators : expectedRejectLocators).add(l);
    }
    assertEquals(in.size(), new TreeSet<>(expectedLocators).size(), "locators are unique");
    PAssert.that(validLocators).containsInAnyOrder(expectedValidLocators);
    PAssert.that(rejectLocators).containsInAnyOrder(expectedRejectLocators);
    PAssert.that(
            PCollectionList.of(validLocators)
                .and(rejectLocators)
                .apply("AllLocators", Flatten.pCollections())
                .setCoder(StringUtf8Coder.of()))
        .containsInAnyOrder(expectedLocators);

    p.run().waitUntilFinish();
  }

  @Test
  void allBadGivesEmptyValid(TestPipeline p) {
    RawRecord a = fred("observations[0]", "UNRATE", "2020-03-01", "1,23", null);
    RawRecord b = fred("observations[1]", "", "2020-03-01", "1", null);
    RawRecord c = RawRecord.unparseable("fred", "e.json", "payload", "UNRATE", "HTTP 500", "oops");

    PCollectionTuple out = validate(p, a, b, c);

    PAssert.that(out.get(ValidateAndClean.VALID)).empty();
    PAssert.thatSingleton(out.get(ValidateAndClean.REJECTED).apply(Count.globally())).isEqualTo(3L);

    p.run().waitUntilFinish();
  }

  @Test
  void exactDoubleOfDecimalText(TestPipeline p) {
    // The value is Double.parseDouble of the text (no float detour, no rounding).
    RawRecord r =
        fred(
            "observations[0]", "DGS10", "2025-11-26", "4.0100000000000000088817841970012523", null);

    PCollectionTuple out = validate(p, r);

    PAssert.that(out.get(ValidateAndClean.VALID))
        .containsInAnyOrder(
            obs(
                r,
                "DGS10",
                at("2025-11-26T00:00:00Z"),
                new BigDecimal("4.0100000000000000088817841970012523").doubleValue(),
                Observation.UNKNOWN_VINTAGE));
    PAssert.that(out.get(ValidateAndClean.REJECTED)).empty();

    p.run().waitUntilFinish();
  }
}

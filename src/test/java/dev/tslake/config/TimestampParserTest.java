package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimestampParserTest {
  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  @Test
  void isoDatesAndDateTimes() {
    TimestampParser utc = TimestampParser.of("iso", "UTC");
    assertEquals(at("2023-03-01T00:00:00Z"), utc.parse("2023-03-01"));
    assertEquals(at("2021-02-17T18:06:00Z"), utc.parse("2021-02-17T18:06:00+00:00"));
    assertEquals(at("2021-02-17T18:06:00Z"), utc.parse(" 2021-02-17 18:06:00 "));
    assertEquals(
        at("2017-04-27T16:12:00Z"),
        TimestampParser.of("iso", "US/Eastern").parse("2017-04-27 12:12:00"));
    assertEquals(at("2022-12-09T21:25:09Z"), utc.parse("2022-12-09T15:25:09-06:00"));
  }

  /** The hand-written yyyy-MM-ddTHH:mm:ssZ path agrees with java.time on every input it takes. */
  @Test
  void fastIsoPathAgreesWithJavaTime() {
    java.util.Random random = new java.util.Random(7);
    TimestampParser utc = TimestampParser.of("iso", "UTC");
    for (int i = 0; i < 20_000; i++) {
      long seconds =
          (long) (random.nextDouble() * 60_000_000_000L) - 30_000_000_000L + 2_000_000_000L;
      Instant t = Instant.ofEpochSecond(seconds);
      String text =
          java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'")
              .withZone(java.time.ZoneOffset.UTC)
              .format(t);
      if (text.length() != 20) {
        continue; // years before 1000 or after 9999: not the fast shape
      }
      assertEquals(t, TimestampParser.isoUtcSeconds(text), text);
      if (t.isAfter(Instant.parse("1000-01-01T00:00:00Z"))
          && t.isBefore(Instant.parse("3000-01-01T00:00:00Z"))) {
        assertEquals(t.toEpochMilli(), utc.parse(text), text);
      }
    }
    // not the fast shape, or not a valid date-time: left to java.time, which says why
    for (String odd :
        new String[] {
          "2023-02-29T00:00:00Z",
          "2024-02-30T10:00:00Z",
          "2024-13-01T00:00:00Z",
          "2024-01-01T24:00:00Z",
          "2024-01-01T00:60:00Z",
          "2024-01-01T00:00:60Z",
          "2024-01-01t00:00:00Z",
          "2024-01-01T00:00:00z",
          "2024-01-01T00:00:00+",
          "+024-01-01T00:00:00Z",
          "2024-0a-01T00:00:00Z"
        }) {
      assertNull(TimestampParser.isoUtcSeconds(odd), odd);
    }
    assertEquals(at("2024-02-29T23:59:59Z"), utc.parse("2024-02-29T23:59:59Z"));
    assertEquals(at("2024-01-01T00:00:00Z"), utc.parse("2024-01-01t00:00:00z"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> utc.parse("2023-02-29T00:00:00Z"));
    assertThat(e.getMessage(), containsString("2023-02-29T00:00:00Z"));
  }

  /**
   * The strict offset patterns take the fast path for the shape it reads and give what the general
   * formatter gives on every input, valid or not: compared with a pattern that always goes the
   * formatter's way ('Z' as a literal in UTC), on random fields in and out of range.
   */
  @Test
  void isoShapedPatternsAgreeWithTheFormatter() {
    java.util.Random random = new java.util.Random(11);
    TimestampParser formatterOnly = TimestampParser.of("yyyy-MM-dd'T'HH:mm:ss'Z'", "UTC");
    int accepted = 0;
    int rejected = 0;
    for (String pattern :
        new String[] {
          "yyyy-MM-dd'T'HH:mm:ssX", "uuuu-MM-dd'T'HH:mm:ssXX", "yyyy-MM-dd'T'HH:mm:ssXXX"
        }) {
      TimestampParser p = TimestampParser.of(pattern, "America/New_York");
      for (int i = 0; i < 30_000; i++) {
        String text =
            String.format(
                java.util.Locale.ROOT,
                "%04d-%02d-%02dT%02d:%02d:%02d%s",
                900 + random.nextInt(2_300),
                random.nextInt(14),
                random.nextInt(33),
                random.nextInt(26),
                random.nextInt(62),
                random.nextInt(62),
                random.nextInt(50) == 0 ? "z" : "Z");
        Long expected;
        try {
          expected = formatterOnly.parse(text);
        } catch (IllegalArgumentException e) {
          expected = null;
        }
        Long got;
        try {
          got = p.parse(text);
        } catch (IllegalArgumentException e) {
          got = null;
          assertThat(e.getMessage(), containsString(text));
        }
        assertEquals(expected, got, pattern + " " + text);
        if (got == null) {
          rejected++;
        } else {
          accepted++;
        }
      }
      // what the fast path does not read still parses as the pattern says
      assertEquals(
          at("2024-01-01T05:00:00Z"),
          p.parse(
              "2024-01-01T00:00:00-05:00"
                  .replace("-05:00", pattern.endsWith("XXX") ? "-05:00" : "-0500")));
    }
    assertTrue(accepted > 10_000 && rejected > 10_000, accepted + " accepted, " + rejected);
  }

  @Test
  void patternsInTheSourceZone() {
    TimestampParser ny = TimestampParser.of("yyyy-MM-dd HH:mm:ss", "America/New_York");
    assertEquals(at("2015-01-15T00:05:39Z"), ny.parse("2015-01-14 19:05:39"));
    assertEquals(at("2016-06-10T01:06:36Z"), ny.parse("2016-06-09 21:06:36"));
    TimestampParser excel = TimestampParser.of("M/d/yyyy H:mm", "UTC");
    assertEquals(at("2021-04-20T00:02:00Z"), excel.parse("4/20/2021 0:02"));
  }

  @Test
  void strictCalendar() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TimestampParser.of("iso", "UTC").parse("2023-02-30"));
    assertThat(e.getMessage(), containsString("2023-02-30"));
    assertThrows(
        IllegalArgumentException.class,
        () -> TimestampParser.of("yyyy-MM-dd", "UTC").parse("2023-13-01"));
  }

  @Test
  void daylightSavingGapAndOverlapAreRejectedNotGuessed() {
    TimestampParser ny = TimestampParser.of("yyyy-MM-dd HH:mm:ss", "America/New_York");
    IllegalArgumentException gap =
        assertThrows(IllegalArgumentException.class, () -> ny.parse("2016-03-13 02:30:00"));
    assertThat(gap.getMessage(), containsString("does not exist"));
    IllegalArgumentException overlap =
        assertThrows(IllegalArgumentException.class, () -> ny.parse("2016-11-06 01:30:00"));
    assertThat(overlap.getMessage(), containsString("ambiguous"));
    // the same wall time in UTC is fine
    assertEquals(
        at("2016-11-06T01:30:00Z"),
        TimestampParser.of("yyyy-MM-dd HH:mm:ss", "UTC").parse("2016-11-06 01:30:00"));
  }

  @Test
  void epochValues() {
    assertEquals(1660953600000L, TimestampParser.of("epoch_seconds", "UTC").parse("1660953600"));
    assertEquals(1660953600500L, TimestampParser.of("epoch_seconds", "UTC").parse("1660953600.5"));
    assertEquals(1618876920000L, TimestampParser.of("epoch_millis", "UTC").parse("1618876920000"));
  }

  @Test
  void excelScientificEpochIsRejectedAsAmbiguous() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TimestampParser.of("epoch_millis", "UTC").parse("1.61888E+12"));
    assertThat(e.getMessage(), containsString("scientific notation"));
  }

  @Test
  void implausibleEpochUnitIsRejected() {
    // milliseconds read as seconds land in year 54000
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TimestampParser.of("epoch_seconds", "UTC").parse("1618876920000"));
    assertThat(e.getMessage(), containsString("wrong unit"));
  }

  @Test
  void badFormatIsAConfigError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TimestampParser.of("yyyy-MM-dd HH:mm:ss bogus{", "UTC"));
    assertThat(e.getMessage(), containsString("timestampFormat"));
    assertThrows(IllegalArgumentException.class, () -> TimestampParser.of("iso", "Mars/Olympus"));
  }

  @Test
  void missingTimestamp() {
    assertThrows(
        IllegalArgumentException.class, () -> TimestampParser.of("iso", "UTC").parse("  "));
  }

  @Test
  void vintages() {
    assertEquals(at("2023-07-18T00:00:00Z"), TimestampParser.parseIsoInstant("2023-07-18"));
    assertEquals(
        at("2017-04-27T16:12:00Z"), TimestampParser.parseIsoInstant("2017-04-27T16:12:00Z"));
    assertThrows(
        IllegalArgumentException.class, () -> TimestampParser.parseIsoInstant("July 2023"));
  }
}

package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.beam.sdk.transforms.windowing.CalendarWindows;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.junit.jupiter.api.Test;

class WindowSpecTest {
  @Test
  void fixedAndCalendarKinds() {
    assertEquals(WindowSpec.Kind.FIXED, WindowSpec.parse("PT1H").kind());
    assertEquals(WindowSpec.Kind.FIXED, WindowSpec.parse("P1D").kind());
    assertEquals(WindowSpec.Kind.FIXED, WindowSpec.parse("pt15m").kind());
    assertEquals(WindowSpec.Kind.MONTHS, WindowSpec.parse("P1M").kind());
    assertEquals(WindowSpec.Kind.MONTHS, WindowSpec.parse("P3M").kind());
    assertEquals(WindowSpec.Kind.YEARS, WindowSpec.parse("P1Y").kind());
    assertEquals(WindowSpec.Kind.WEEKS, WindowSpec.parse("P1W").kind());
    assertEquals("PT15M", WindowSpec.parse("pt15m").text());
  }

  private static long at(String iso) {
    return java.time.Instant.parse(iso).toEpochMilli();
  }

  private static void assertWindow(String window, String ts, String start, String end) {
    long[] b = WindowSpec.parse(window).bounds(at(ts));
    assertEquals(at(start), b[0], window + " start for " + ts);
    assertEquals(at(end), b[1], window + " end for " + ts);
  }

  @Test
  void boundsOnBothSidesOfTheEpoch() {
    assertWindow("PT1H", "2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z");
    assertWindow("PT1H", "1969-07-20T20:17:00Z", "1969-07-20T20:00:00Z", "1969-07-20T21:00:00Z");
    assertWindow("P1D", "1969-12-31T23:59:59.999Z", "1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z");
    assertWindow("P1D", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z");
    assertWindow("P1W", "2024-01-07T23:00:00Z", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z");
    assertWindow("P1W", "1969-12-25T12:00:00Z", "1969-12-22T00:00:00Z", "1969-12-29T00:00:00Z");
    assertWindow("P1M", "2024-02-29T12:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z");
    assertWindow("P1M", "1959-02-01T00:00:00Z", "1959-02-01T00:00:00Z", "1959-03-01T00:00:00Z");
    assertWindow("P3M", "1959-02-01T00:00:00Z", "1959-01-01T00:00:00Z", "1959-04-01T00:00:00Z");
    assertWindow("P3M", "2025-09-01T00:00:00Z", "2025-07-01T00:00:00Z", "2025-10-01T00:00:00Z");
    assertWindow("P1Y", "1947-04-01T00:00:00Z", "1947-01-01T00:00:00Z", "1948-01-01T00:00:00Z");
    assertWindow("P1Y", "2023-12-31T23:59:59Z", "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z");
  }

  @Test
  void afterTheEpochTheSameWindowsAsBeam() {
    org.apache.beam.sdk.transforms.windowing.WindowFn<Object, ?>[] beam =
        new org.apache.beam.sdk.transforms.windowing.WindowFn[] {
          FixedWindows.of(org.joda.time.Duration.standardHours(1)),
          CalendarWindows.months(1).withTimeZone(org.joda.time.DateTimeZone.UTC),
          CalendarWindows.months(3).withTimeZone(org.joda.time.DateTimeZone.UTC),
          CalendarWindows.years(1).withTimeZone(org.joda.time.DateTimeZone.UTC),
          CalendarWindows.weeks(1, org.joda.time.DateTimeConstants.MONDAY)
              .withTimeZone(org.joda.time.DateTimeZone.UTC)
        };
    String[] ours = {"PT1H", "P1M", "P3M", "P1Y", "P1W"};
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 2000; i++) {
      long ts = (long) (random.nextDouble() * at("2030-01-01T00:00:00Z"));
      for (int w = 0; w < ours.length; w++) {
        long[] b = WindowSpec.parse(ours[w]).bounds(ts);
        org.apache.beam.sdk.transforms.windowing.IntervalWindow iw = assign(beam[w], ts);
        assertEquals(iw.start().getMillis(), b[0], ours[w] + " " + ts);
        assertEquals(iw.end().getMillis(), b[1], ours[w] + " " + ts);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static org.apache.beam.sdk.transforms.windowing.IntervalWindow assign(
      org.apache.beam.sdk.transforms.windowing.WindowFn<Object, ?> fn, long ts) {
    try {
      org.apache.beam.sdk.transforms.windowing.WindowFn<
              Object, org.apache.beam.sdk.transforms.windowing.BoundedWindow>
          f =
              (org.apache.beam.sdk.transforms.windowing.WindowFn<
                      Object, org.apache.beam.sdk.transforms.windowing.BoundedWindow>)
                  (Object) fn;
      return (org.apache.beam.sdk.transforms.windowing.IntervalWindow)
          f.assignWindows(
                  f.new AssignContext() {
                    @Override
                    public Object element() {
                      return null;
                    }

                    @Override
                    public org.joda.time.Instant timestamp() {
                      return new org.joda.time.Instant(ts);
                    }

                    @Override
                    public org.apache.beam.sdk.transforms.windowing.BoundedWindow window() {
                      return org.apache.beam.sdk.transforms.windowing.GlobalWindow.INSTANCE;
                    }
                  })
              .iterator()
              .next();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void invalidWindowsSayWhy() {
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("1 hour")).getMessage(),
        containsString("ISO-8601"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("P5M")).getMessage(),
        containsString("divide a year"));
    assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("PT7M"));
    assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("P1M2D"));
    assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("PT0S"));
  }
}

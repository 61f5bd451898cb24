package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.WindowSpec;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.testing.WindowFnTestUtils;
import org.apache.beam.sdk.transforms.windowing.CalendarWindows;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IncompatibleWindowException;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** SpecWindows assigns exactly the windows of WindowSpec#bounds, through Beam's WindowFn API. */
class SpecWindowsTest {

  private static long at(String iso) {
    return java.time.Instant.parse(iso).toEpochMilli();
  }

  private static IntervalWindow window(String start, String end) {
    return new IntervalWindow(new Instant(at(start)), new Instant(at(end)));
  }

  /** The windows Beam's machinery assigns to an element at {@code ts}. */
  private static Collection<IntervalWindow> assigned(String window, String ts) throws Exception {
    return WindowFnTestUtils.assignedWindows(SpecWindows.of(window), at(ts));
  }

  private static void assertAssigned(String window, String ts, String start, String end)
      throws Exception {
    assertEquals(List.of(window(start, end)), List.copyOf(assigned(window, ts)), window + " " + ts);
    long[] b = WindowSpec.parse(window).bounds(at(ts));
    assertEquals(window(start, end), new IntervalWindow(new Instant(b[0]), new Instant(b[1])));
  }

  @Test
  void anInstantOnABoundaryBelongsToTheWindowItStarts() throws Exception {
    assertAssigned("PT1H", "2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z");
    assertAssigned(
        "PT1H", "2024-01-01T10:59:59.999Z", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z");
    assertAssigned("P1D", "2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z");
    assertAssigned("P1M", "2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z");
    assertAssigned(
        "P1M", "2024-02-29T23:59:59.999Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z");
    assertAssigned("P1Y", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
    assertAssigned("P1W", "2024-01-08T00:00:00Z", "2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z");
  }

  @Test
  void monthsHaveTheirCalendarLengths() throws Exception {
    assertAssigned("P1M", "2023-02-14T12:00:00Z", "2023-02-01T00:00:00Z", "2023-03-01T00:00:00Z");
    assertAssigned("P1M", "2024-02-14T12:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z");
    assertAssigned("P1M", "2024-04-30T23:00:00Z", "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z");
    assertAssigned("P1M", "2024-01-31T23:00:00Z", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
    assertAssigned("P1M", "2024-12-31T23:00:00Z", "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z");
    long day = 24L * 3600 * 1000;
    for (String[] c :
        new String[][] {
          {"2023-02-10T00:00:00Z", "28"},
          {"2024-02-10T00:00:00Z", "29"},
          {"2024-04-10T00:00:00Z", "30"},
          {"2024-07-10T00:00:00Z", "31"},
          {"1900-02-10T00:00:00Z", "28"}, // not a leap year
          {"2000-02-10T00:00:00Z", "29"}
        }) {
      IntervalWindow w = SpecWindows.of("P1M").windowOf(at(c[0]));
      assertEquals(Long.parseLong(c[1]) * day, w.end().getMillis() - w.start().getMillis(), c[0]);
    }
    assertAssigned("P3M", "2024-05-15T00:00:00Z", "2024-04-01T00:00:00Z", "2024-07-01T00:00:00Z");
    assertAssigned("P6M", "2024-12-31T00:00:00Z", "2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z");
  }

  @Test
  void weeksStartOnMondayAndYearsInJanuary() throws Exception {
    // 2024-01-07 is a Sunday: its week started Monday 2024-01-01.
    assertAssigned("P1W", "2024-01-07T23:59:59Z", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z");
    assertAssigned("P1W", "1970-01-01T00:00:00Z", "1969-12-29T00:00:00Z", "1970-01-05T00:00:00Z");
    assertAssigned("P1Y", "2024-02-29T12:00:00Z", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
    IntervalWindow leap = SpecWindows.of("P1Y").windowOf(at("2024-06-01T00:00:00Z"));
    assertEquals(366L * 24 * 3600 * 1000, leap.end().getMillis() - leap.start().getMillis());
  }

  @Test
  void instantsBefore1970UseFloorDivision() throws Exception {
    assertAssigned("PT1H", "1969-07-20T20:17:00Z", "1969-07-20T20:00:00Z", "1969-07-20T21:00:00Z");
    assertAssigned(
        "P1D", "1969-12-31T23:59:59.999Z", "1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z");
    assertAssigned("P1M", "1959-02-15T00:00:00Z", "1959-02-01T00:00:00Z", "1959-03-01T00:00:00Z");
    assertAssigned("P1Y", "1959-02-15T00:00:00Z", "1959-01-01T00:00:00Z", "1960-01-01T00:00:00Z");
    assertAssigned("P3M", "1919-11-01T00:00:00Z", "1919-10-01T00:00:00Z", "1920-01-01T00:00:00Z");
    assertAssigned("P1W", "1969-12-28T12:00:00Z", "1969-12-22T00:00:00Z", "1969-12-29T00:00:00Z");
    assertAssigned("P1M", "1919-01-01T00:00:00Z", "1919-01-01T00:00:00Z", "1919-02-01T00:00:00Z");
  }

  @Test
  void afterTheEpochFixedWindowsAgreeWithBeams() throws Exception {
    for (String ts :
        List.of("2024-01-01T10:17:00Z", "2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00Z")) {
      assertEquals(
          WindowFnTestUtils.assignedWindows(FixedWindows.of(Duration.standardHours(1)), at(ts)),
          assigned("PT1H", ts));
      assertEquals(
          WindowFnTestUtils.assignedWindows(CalendarWindows.months(1), at(ts)),
          assigned("P1M", ts));
    }
  }

  @Test
  void oneMonthIsNotThirtyDays() throws Exception {
    SpecWindows month = SpecWindows.of("P1M");
    SpecWindows thirtyDays = SpecWindows.of("P30D");
    assertNotEquals(month, thirtyDays);
    assertFalse(month.isCompatible(thirtyDays));
    assertEquals(
        List.of(window("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z")),
        List.copyOf(assigned("P1M", "2024-03-31T12:00:00Z")));
    // 30-day windows are aligned to the epoch, not to months.
    IntervalWindow w = thirtyDays.windowOf(at("2024-03-31T12:00:00Z"));
    assertEquals(30L * 24 * 3600 * 1000, w.end().getMillis() - w.start().getMillis());
    assertEquals(0, Math.floorMod(w.start().getMillis(), 30L * 24 * 3600 * 1000));
    assertNotEquals(window("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"), w);
  }

  @Test
  void equalAndCompatibleBySpec() throws Exception {
    SpecWindows a = SpecWindows.of("P1M");
    SpecWindows b = SpecWindows.of("p1m");
    SpecWindows c = SpecWindows.of(WindowSpec.parse("P1M"));
    assertEquals(a, b);
    assertEquals(a, c);
    assertEquals(a.hashCode(), b.hashCode());
    assertTrue(a.isCompatible(b));
    a.verifyCompatibility(b);
    assertFalse(a.isCompatible(SpecWindows.of("P3M")));
    assertFalse(a.isCompatible(CalendarWindows.months(1)));
    assertFalse(SpecWindows.of("PT1H").isCompatible(FixedWindows.of(Duration.standardHours(1))));
    assertThrows(
        IncompatibleWindowException.class, () -> a.verifyCompatibility(SpecWindows.of("P1Y")));
    assertTrue(a.isNonMerging());
    assertTrue(a.assignsToOneWindow());
  }

  @Test
  void windowsRoundTripThroughTheWindowCoder() throws Exception {
    SpecWindows fn = SpecWindows.of("P1Y");
    IntervalWindow w = fn.windowOf(at("1919-06-01T00:00:00Z"));
    byte[] bytes = CoderUtils.encodeToByteArray(fn.windowCoder(), w);
    assertEquals(w, CoderUtils.decodeFromByteArray(fn.windowCoder(), bytes));
  }

  @Test
  void sideInputsMapToTheWindowHoldingTheMainWindowsLastInstant() {
    SpecWindows month = SpecWindows.of("P1M");
    IntervalWindow mainHour = window("1959-02-28T23:00:00Z", "1959-03-01T00:00:00Z");
    assertEquals(
        window("1959-02-01T00:00:00Z", "1959-03-01T00:00:00Z"),
        month.getDefaultWindowMappingFn().getSideInputWindow(mainHour));
    assertThrows(
        IllegalArgumentException.class,
        () -> month.getDefaultWindowMappingFn().getSideInputWindow(GlobalWindow.INSTANCE));
  }

  @Test
  void runWindowFnGroupsByCalendarMonth() throws Exception {
    long feb1 = at("1959-02-01T00:00:00Z");
    long feb28 = at("1959-02-28T23:59:59.999Z");
    long mar1 = at("1959-03-01T00:00:00Z");
    assertEquals(
        java.util.Map.of(
            window("1959-02-01T00:00:00Z", "1959-03-01T00:00:00Z"),
            WindowFnTestUtils.set(feb1, feb28),
            window("1959-03-01T00:00:00Z", "1959-04-01T00:00:00Z"),
            WindowFnTestUtils.set(mar1)),
        WindowFnTestUtils.runWindowFn(SpecWindows.of("P1M"), List.of(feb1, feb28, mar1)));
  }
}

package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;
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
    assertThat(WindowSpec.parse("PT1H").windowFn(), instanceOf(FixedWindows.class));
    assertThat(WindowSpec.parse("P1M").windowFn(), instanceOf(CalendarWindows.MonthsWindows.class));
    assertEquals("PT15M", WindowSpec.parse("pt15m").text());
  }

  @Test
  void invalidWindowsSayWhy() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("1 hour"))
        .getMessage(), containsString("ISO-8601"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("P5M"))
        .getMessage(), containsString("divide a year"));
    assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("PT7M"));
    assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("P1M2D"));
    assertThrows(IllegalArgumentException.class, () -> WindowSpec.parse("PT0S"));
  }
}

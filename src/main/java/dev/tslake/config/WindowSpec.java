package dev.tslake.config;

import java.io.Serializable;
import java.time.Duration;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.apache.beam.sdk.transforms.windowing.CalendarWindows;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.joda.time.DateTimeConstants;
import org.joda.time.DateTimeZone;

/**
 * An aggregation window written as an ISO-8601 duration. Durations of days, hours, minutes and
 * seconds ({@code PT1H}, {@code PT15M}, {@code P1D}) are fixed windows aligned to the epoch;
 * months and years ({@code P1M}, {@code P3M}, {@code P1Y}) are calendar windows in UTC, so a month
 * window really is a month whatever its length; weeks ({@code P1W}) are calendar weeks starting on
 * Monday, UTC.
 */
public final class WindowSpec implements Serializable {
  public enum Kind {
    FIXED,
    WEEKS,
    MONTHS,
    YEARS
  }

  private final String text;
  private final Kind kind;
  /** Milliseconds for FIXED, a count of units otherwise. */
  private final long amount;

  private WindowSpec(String text, Kind kind, long amount) {
    this.text = text;
    this.kind = kind;
    this.amount = amount;
  }

  public static WindowSpec parse(String raw) {
    if (raw == null || raw.isBlank()) {
      throw new IllegalArgumentException("window must be an ISO-8601 duration such as PT1H, P1D, P1M");
    }
    String text = raw.trim().toUpperCase(Locale.ROOT);
    if (text.contains("T") || text.endsWith("D")) {
      Duration d;
      try {
        d = Duration.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("window '" + raw + "' is not an ISO-8601 duration "
            + "(fixed windows: PT15M, PT1H, P1D; calendar windows: P1W, P1M, P3M, P1Y)");
      }
      if (d.isNegative() || d.isZero() || d.toMillis() < 1000) {
        throw new IllegalArgumentException("window '" + raw + "' must be at least one second");
      }
      if (Duration.ofDays(1).toMillis() % d.toMillis() != 0 && d.toMillis() % Duration.ofDays(1).toMillis() != 0) {
        throw new IllegalArgumentException("window '" + raw + "' neither divides nor is a multiple of a day,"
            + " so its windows would not line up with days");
      }
      return new WindowSpec(text, Kind.FIXED, d.toMillis());
    }
    Period p;
    try {
      p = Period.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("window '" + raw + "' is not an ISO-8601 duration "
          + "(fixed windows: PT15M, PT1H, P1D; calendar windows: P1W, P1M, P3M, P1Y)");
    }
    if (p.isNegative() || p.isZero()) {
      throw new IllegalArgumentException("window '" + raw + "' must be positive");
    }
    if (p.getYears() > 0 && p.getMonths() == 0 && p.getDays() == 0) {
      return new WindowSpec(text, Kind.YEARS, p.getYears());
    }
    if (p.getMonths() > 0 && p.getYears() == 0 && p.getDays() == 0) {
      if (12 % p.getMonths() != 0) {
        throw new IllegalArgumentException("window '" + raw + "': a month window must divide a year"
            + " (P1M, P2M, P3M, P4M, P6M), so its windows start on the same months every year");
      }
      return new WindowSpec(text, Kind.MONTHS, p.getMonths());
    }
    if (p.getDays() > 0 && p.getDays() % 7 == 0 && p.getYears() == 0 && p.getMonths() == 0) {
      return new WindowSpec(text, Kind.WEEKS, p.getDays() / 7);
    }
    throw new IllegalArgumentException("window '" + raw + "' mixes units; use one of PT<n>M, PT<n>H,"
        + " P<n>D, P<n>W, P<n>M, P<n>Y");
  }

  /** The text that names this window in the warehouse, e.g. {@code P1M}. */
  public String text() {
    return text;
  }

  public Kind kind() {
    return kind;
  }

  public WindowFn<Object, IntervalWindow> windowFn() {
    switch (kind) {
      case FIXED:
        return FixedWindows.of(org.joda.time.Duration.millis(amount));
      case WEEKS:
        return CalendarWindows.weeks((int) amount, DateTimeConstants.MONDAY)
            .withTimeZone(DateTimeZone.UTC);
      case MONTHS:
        return CalendarWindows.months((int) amount).withTimeZone(DateTimeZone.UTC);
      case YEARS:
        return CalendarWindows.years((int) amount).withTimeZone(DateTimeZone.UTC);
      default:
        throw new IllegalStateException(kind.name());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WindowSpec && ((WindowSpec) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}

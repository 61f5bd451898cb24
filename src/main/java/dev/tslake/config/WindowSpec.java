package dev.tslake.config;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * An aggregation window written as an ISO-8601 duration. Durations of days, hours, minutes and
 * seconds ({@code PT1H}, {@code PT15M}, {@code P1D}) are fixed windows aligned to the epoch (so to
 * UTC midnight); months and years ({@code P1M}, {@code P3M}, {@code P1Y}) are calendar windows in
 * UTC, so a month window really is a month whatever its length; weeks ({@code P1W}) are calendar
 * weeks starting on Monday, UTC.
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
      throw new IllegalArgumentException(
          "window must be an ISO-8601 duration such as PT1H, P1D, P1M");
    }
    String text = raw.trim().toUpperCase(Locale.ROOT);
    if (text.contains("T") || text.endsWith("D")) {
      Duration d;
      try {
        d = Duration.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "window '"
                + raw
                + "' is not an ISO-8601 duration "
                + "(fixed windows: PT15M, PT1H, P1D; calendar windows: P1W, P1M, P3M, P1Y)");
      }
      if (d.isNegative() || d.isZero() || d.toMillis() < 1000) {
        throw new IllegalArgumentException("window '" + raw + "' must be at least one second");
      }
      if (Duration.ofDays(1).toMillis() % d.toMillis() != 0
          && d.toMillis() % Duration.ofDays(1).toMillis() != 0) {
        throw new IllegalArgumentException(
            "window '"
                + raw
                + "' neither divides nor is a multiple of a day,"
                + " so its windows would not line up with days");
      }
      return new WindowSpec(text, Kind.FIXED, d.toMillis());
    }
    Period p;
    try {
      p = Period.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "window '"
              + raw
              + "' is not an ISO-8601 duration "
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
        throw new IllegalArgumentException(
            "window '"
                + raw
                + "': a month window must divide a year"
                + " (P1M, P2M, P3M, P4M, P6M), so its windows start on the same months every year");
      }
      return new WindowSpec(text, Kind.MONTHS, p.getMonths());
    }
    if (p.getDays() > 0 && p.getDays() % 7 == 0 && p.getYears() == 0 && p.getMonths() == 0) {
      return new WindowSpec(text, Kind.WEEKS, p.getDays() / 7);
    }
    throw new IllegalArgumentException(
        "window '"
            + raw
            + "' mixes units; use one of PT<n>M, PT<n>H,"
            + " P<n>D, P<n>W, P<n>M, P<n>Y");
  }

  /** The text that names this window in the warehouse, e.g. {@code P1M}. */
  public String text() {
    return text;
  }

  public Kind kind() {
    return kind;
  }

  /**
   * The window {@code [start, end)} holding an instant, both in epoch millis UTC.
   *
   * <p>Beam's {@code FixedWindows} and {@code CalendarWindows} compute the same windows after 1970
   * but round toward zero before it (a February 1959 observation lands in a 1960 yearly window),
   * and FRED series go back to 1919; so window bounds are computed here with floor division, the
   * same rule on both sides of the epoch.
   */
  public long[] bounds(long ts) {
    switch (kind) {
      case FIXED:
        {
          long start = Math.floorDiv(ts, amount) * amount;
          return new long[] {start, start + amount};
        }
      case WEEKS:
        {
          long size = amount * WEEK_MILLIS;
          long start = MONDAY_1969_12_29 + Math.floorDiv(ts - MONDAY_1969_12_29, size) * size;
          return new long[] {start, start + size};
        }
      case MONTHS:
        {
          LocalDate date = Instant.ofEpochMilli(ts).atOffset(ZoneOffset.UTC).toLocalDate();
          long months = (date.getYear() - 1970L) * 12 + date.getMonthValue() - 1;
          long first = Math.floorDiv(months, amount) * amount;
          LocalDate start = LocalDate.of(1970, 1, 1).plusMonths(first);
          return new long[] {millis(start), millis(start.plusMonths(amount))};
        }
      case YEARS:
        {
          int year = Instant.ofEpochMilli(ts).atOffset(ZoneOffset.UTC).getYear();
          long first = 1970 + Math.floorDiv(year - 1970L, amount) * amount;
          LocalDate start = LocalDate.of((int) first, 1, 1);
          return new long[] {millis(start), millis(start.plusYears(amount))};
        }
      default:
        throw new IllegalStateException(kind.name());
    }
  }

  /** The longest a window of this size can be, in milliseconds (31-day months, 366-day years). */
  public long maxLengthMillis() {
    switch (kind) {
      case FIXED:
        return amount;
      case WEEKS:
        return amount * WEEK_MILLIS;
      case MONTHS:
        return amount * 31L * 24 * 3600 * 1000;
      case YEARS:
        return amount * 366L * 24 * 3600 * 1000;
      default:
        throw new IllegalStateException(kind.name());
    }
  }

  private static final long WEEK_MILLIS = 7L * 24 * 3600 * 1000;

  /** The Monday of the epoch's week: weeks start on Monday. */
  private static final long MONDAY_1969_12_29 = -3L * 24 * 3600 * 1000;

  private static long millis(LocalDate date) {
    return date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
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

package dev.tslake.serve;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Query parameters, checked: a bad one is a 400 naming it. */
final class Params {
  private static final Pattern DURATION =
      Pattern.compile(
          "P(?:\\d+Y)?(?:\\d+M)?(?:\\d+W)?(?:\\d+D)?(?:T(?:\\d+H)?(?:\\d+M)?(?:\\d+S)?)?");

  private Params() {}

  /** An ISO-8601 instant, offset date-time, local date-time (UTC) or date (UTC midnight). */
  static @Nullable Instant instant(String name, @Nullable String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      // next form
    }
    try {
      return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // next form
    }
    try {
      return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          name,
          name
              + " must be an ISO-8601 timestamp (2024-01-31, 2024-01-31T12:00:00Z or with an"
              + " offset), not '"
              + clip(v)
              + "'");
    }
  }

  static int integer(String name, @Nullable String value, int dflt, int min, int max) {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    long v;
    try {
      v = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name, name + " must be an integer, not '" + clip(value) + "'");
    }
    if (v < min || v > max) {
      throw ApiException.badRequest(
          name, name + " must be between " + min + " and " + max + ", not " + v);
    }
    return (int) v;
  }

  /** An ISO-8601 duration such as P1D, PT1H, P1M (as windows are written in the config). */
  static @Nullable String duration(String name, @Nullable String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.equals("P") || v.endsWith("T") || !DURATION.matcher(v).matches()) {
      throw ApiException.badRequest(
          name,
          name + " must be an ISO-8601 duration such as P1D, PT1H or P1M, not '" + clip(v) + "'");
    }
    return v;
  }

  static void range(@Nullable Instant from, @Nullable Instant to) {
    if (from != null && to != null && to.isBefore(from)) {
      throw ApiException.badRequest("to", "to (" + to + ") is before from (" + from + ")");
    }
  }

  /** A value quoted in a message: short, and printable. */
  static String clip(String v) {
    String s = v.length() > 80 ? v.substring(0, 80) + "..." : v;
    return s.replaceAll("\\p{Cntrl}", "?");
  }
}

package dev.tslake.config;

import java.io.Serializable;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One entry of a source's {@code checks} list: a declared data-quality check (see docs/checks.md).
 * Fields are the user-facing contract; which ones a type needs is checked by {@link #validate}.
 */
public final class CheckSpec implements Serializable {
  public static final String NOT_NULL = "not_null";
  public static final String RANGE = "range";
  public static final String FRESHNESS = "freshness";
  public static final String GAPS = "gaps";
  public static final String ANOMALY = "anomaly";
  public static final String MIN_ROWS = "min_rows";

  public static final Set<String> TYPES =
      Set.of(NOT_NULL, RANGE, FRESHNESS, GAPS, ANOMALY, MIN_ROWS);

  public static final String WARN = "warn";
  public static final String ERROR = "error";

  /** One of {@link #TYPES}. */
  public @Nullable String type;

  /** {@code warn} (report only) or {@code error} (the run ends {@code failed_checks}). */
  public String severity = WARN;

  /** The check's name in {@code quality_results.check}; default the type ({@code type#n}). */
  public @Nullable String id;

  /** not_null: largest allowed share (0..1) of missing values; range, min_rows: the bounds. */
  public @Nullable Double max;

  public @Nullable Double min;

  /** freshness: ISO-8601 duration. */
  public @Nullable String maxAge;

  /** gaps: a multiple of the median spacing; anomaly: standard deviations. */
  public @Nullable Double k;

  /** gaps: the longest allowed gap, an ISO-8601 duration. */
  public @Nullable String maxGap;

  /** anomaly: the trailing window, an ISO-8601 duration. */
  public @Nullable String window;

  public CheckSpec() {}

  /** Validates; {@code where} names the source and the check's index for messages. */
  void validate(String where) {
    if (type == null) {
      throw new ConfigException(where + ": 'type' is required (one of " + typeList() + ")");
    }
    if (!TYPES.contains(type)) {
      throw new ConfigException(
          where + ": 'type' '" + type + "' is unknown (one of " + typeList() + ")");
    }
    if (!WARN.equals(severity) && !ERROR.equals(severity)) {
      throw new ConfigException(
          where + ": 'severity' must be 'warn' or 'error' (was '" + severity + "')");
    }
    if (id != null && id.isBlank()) {
      throw new ConfigException(where + ": 'id' must not be blank");
    }
    switch (type) {
      case NOT_NULL:
        require(where, "max", max);
        if (max < 0 || max > 1) {
          throw new ConfigException(where + ": 'max' must be a share between 0 and 1");
        }
        break;
      case RANGE:
        if (min == null && max == null) {
          throw new ConfigException(where + ": a range check needs 'min' or 'max' (or both)");
        }
        if (min != null && max != null && min > max) {
          throw new ConfigException(where + ": 'min' is greater than 'max'");
        }
        break;
      case FRESHNESS:
        require(where, "maxAge", maxAge);
        duration(where, "maxAge", maxAge);
        break;
      case GAPS:
        if ((k == null) == (maxGap == null)) {
          throw new ConfigException(where + ": a gaps check needs exactly one of 'k' or 'maxGap'");
        }
        if (k != null && !(k > 0)) {
          throw new ConfigException(where + ": 'k' must be positive");
        }
        if (maxGap != null) {
          duration(where, "maxGap", maxGap);
        }
        break;
      case ANOMALY:
        require(where, "window", window);
        require(where, "k", k);
        duration(where, "window", window);
        if (!(k > 0)) {
          throw new ConfigException(where + ": 'k' must be positive");
        }
        break;
      case MIN_ROWS:
        require(where, "min", min);
        if (min < 0) {
          throw new ConfigException(where + ": 'min' must not be negative");
        }
        break;
      default:
        throw new AssertionError(type);
    }
  }

  private static void require(String where, String field, @Nullable Object value) {
    if (value == null) {
      throw new ConfigException(where + ": '" + field + "' is required");
    }
  }

  private static String typeList() {
    return String.join(", ", new java.util.TreeSet<>(TYPES));
  }

  private static long duration(String where, String field, String text) {
    try {
      return durationMillis(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": '" + field + "' " + e.getMessage());
    }
  }

  /**
   * An ISO-8601 duration of fixed length in milliseconds: {@code PT1H}, {@code P7D}, {@code P2W}
   * (months and years have no fixed length and are refused).
   */
  public static long durationMillis(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    try {
      long ms;
      if (t.matches("P\\d+W")) {
        ms = Duration.ofDays(7 * Long.parseLong(t.substring(1, t.length() - 1))).toMillis();
      } else {
        ms = Duration.parse(t).toMillis();
      }
      if (ms <= 0) {
        throw new IllegalArgumentException("'" + text + "' must be a positive duration");
      }
      return ms;
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not an ISO-8601 duration of fixed length such as PT1H, P7D or P2W"
              + " (months and years vary in length)");
    }
  }

  public long maxAgeMillis() {
    return durationMillis(maxAge);
  }

  public long maxGapMillis() {
    return durationMillis(maxGap);
  }

  public long windowMillis() {
    return durationMillis(window);
  }

  public boolean isError() {
    return ERROR.equals(severity);
  }

  /** The threshold as text for {@code quality_results.threshold}. */
  public String thresholdText() {
    switch (type) {
      case NOT_NULL:
        return "missing share <= " + num(max);
      case RANGE:
        return "["
            + (min == null ? "-inf" : num(min))
            + ", "
            + (max == null ? "inf" : num(max))
            + "]";
      case FRESHNESS:
        return "age <= " + maxAge;
      case GAPS:
        return k != null ? "gap <= " + num(k) + " x median spacing" : "gap <= " + maxGap;
      case ANOMALY:
        return "|value - mean(" + window + ")| <= " + num(k) + " sd";
      case MIN_ROWS:
        return "rows >= " + num(min);
      default:
        return "";
    }
  }

  private static String num(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}

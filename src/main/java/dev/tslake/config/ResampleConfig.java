package dev.tslake.config;

import java.io.Serializable;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A source's {@code resample}: a regular grid of cells ({@code every}, the same cells as an
 * aggregate window of that size), each holding the observed value that falls in it or a filled one.
 * See docs/resample.md for the exact rules.
 */
public final class ResampleConfig implements Serializable {
  /** How a cell without an observed value is filled. */
  public enum Fill {
    NONE,
    PREVIOUS,
    LINEAR,
    MEAN
  }

  /** The grid cell: an ISO-8601 duration parsed like a window (P1D, PT1H, P1W, P1M...). */
  public @Nullable String every;

  /** {@code none} (default), {@code previous}, {@code linear} or {@code mean}. */
  public String fill = "none";

  /**
   * The longest gap between the observed values around a cell that is filled (a duration of days,
   * hours, minutes, seconds: {@code P7D}, {@code PT6H}); required unless {@code fill} is none.
   */
  public @Nullable String maxGap;

  public ResampleConfig() {}

  /** Checks the fields; messages name the source ({@code where}) and the field. */
  void validate(String where) {
    String at = where + ": resample";
    if (every == null || every.isBlank()) {
      throw new ConfigException(at + ".every is required (e.g. \"P1D\")");
    }
    try {
      WindowSpec.parse(every);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(at + ".every: " + e.getMessage());
    }
    Fill f;
    try {
      f = fill();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          at + ".fill '" + fill + "' must be one of none, previous, linear, mean");
    }
    if (maxGap == null) {
      if (f != Fill.NONE) {
        throw new ConfigException(
            at
                + ".maxGap is required with fill '"
                + fill
                + "' (e.g. \"P7D\"): it bounds how far a value is carried");
      }
      return;
    }
    Duration d;
    try {
      d = Duration.parse(maxGap.trim().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new ConfigException(
          at
              + ".maxGap '"
              + maxGap
              + "' is not an ISO-8601 duration of days or time (P7D, PT6H;"
              + " months and years have no fixed length)");
    }
    if (d.isNegative()) {
      throw new ConfigException(at + ".maxGap '" + maxGap + "' is negative");
    }
  }

  public WindowSpec everySpec() {
    return WindowSpec.parse(every);
  }

  public Fill fill() {
    return Fill.valueOf(fill.trim().toUpperCase(Locale.ROOT));
  }

  /** maxGap in milliseconds; 0 when absent (fill none needs no context). */
  public long maxGapMillis() {
    return maxGap == null ? 0 : Duration.parse(maxGap.trim().toUpperCase(Locale.ROOT)).toMillis();
  }

  /**
   * How far before and after the span a run touches the stored observations must be read back:
   * twice maxGap plus two of the longest cells (a touched point changes the cells within maxGap
   * plus one cell of it, and each of those needs maxGap of context on its far side).
   */
  public long contextMillis() {
    return 2 * maxGapMillis() + 2 * everySpec().maxLengthMillis();
  }
}

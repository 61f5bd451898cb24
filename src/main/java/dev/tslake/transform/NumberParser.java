package dev.tslake.transform;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads a numeric value as sources write them, or says why not. Missing markers become {@code
 * null}; thousands separators are accepted only in well-formed groups of three, so a value whose
 * separator could be a decimal comma ({@code 1,23}, {@code 1.234,5}) is rejected as ambiguous
 * instead of guessed.
 */
public final class NumberParser {
  /** What sources write for "no value": FRED's ".", empty fields, NULL and NaN exports. */
  public static final Set<String> MISSING_MARKERS =
      Set.of("", ".", "null", "nan", "n/a", "na", "#n/a", "none");

  private static final Pattern PLAIN =
      Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern GROUPED = Pattern.compile("[+-]?\\d{1,3}(,\\d{3})+(\\.\\d+)?");
  private static final Pattern HAS_DIGIT = Pattern.compile(".*\\d.*");

  private NumberParser() {}

  public static boolean isMissing(@Nullable String raw) {
    return raw == null || MISSING_MARKERS.contains(raw.trim().toLowerCase(Locale.ROOT));
  }

  /** The value, {@code null} for a missing marker; throws with the reason when not a number. */
  public static @Nullable Double parse(@Nullable String raw) {
    if (isMissing(raw)) {
      return null;
    }
    String text = raw.trim();
    double v;
    if (PLAIN.matcher(text).matches()) {
      v = Double.parseDouble(text);
    } else if (GROUPED.matcher(text).matches()) {
      v = Double.parseDouble(text.replace(",", ""));
    } else if (text.indexOf(',') >= 0
        && HAS_DIGIT.matcher(text).matches()
        && text.matches("[+-]?[\\d.,]+")) {
      throw new IllegalArgumentException(
          "value '"
              + text
              + "' is ambiguous: ',' is neither a"
              + " thousands separator in groups of three nor allowed as a decimal separator");
    } else {
      throw new IllegalArgumentException("value '" + abbreviate(text) + "' is not a number");
    }
    if (Double.isInfinite(v) || Double.isNaN(v)) {
      throw new IllegalArgumentException("value '" + text + "' is out of range for a double");
    }
    return v;
  }

  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}

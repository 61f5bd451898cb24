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

  static final Pattern PLAIN = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern GROUPED = Pattern.compile("[+-]?\\d{1,3}(,\\d{3})+(\\.\\d+)?");
  private static final Pattern HAS_DIGIT = Pattern.compile(".*\\d.*");

  private NumberParser() {}

  public static boolean isMissing(@Nullable String raw) {
    return raw == null || MISSING_MARKERS.contains(raw.trim().toLowerCase(Locale.ROOT));
  }

  /**
   * Whether {@code s} is a plain number as {@link #PLAIN} has it ({@code [+-]?(\d+(\.\d*)?|\.\d+)
   * ([eE][+-]?\d+)?}), scanned by hand: the regex was a tenth of reading a big csv file. {@code
   * NumberParserTest} compares the two.
   */
  static boolean isPlain(String s) {
    int n = s.length();
    int i = 0;
    if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
    }
    int start = i;
    i = skipDigits(s, i);
    int intDigits = i - start;
    int fracDigits = 0;
    if (i < n && s.charAt(i) == '.') {
      start = ++i;
      i = skipDigits(s, i);
      fracDigits = i - start;
    }
    if (intDigits == 0 && fracDigits == 0) {
      return false;
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      start = i;
      i = skipDigits(s, i);
      if (i == start) {
        return false; // an exponent without digits
      }
    }
    return i == n;
  }

  /** The index of the first character at or after {@code i} that is not a digit. */
  private static int skipDigits(String s, int i) {
    int n = s.length();
    while (i < n && isDigit(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean isDigit(char c) {
    // \d in a Java regex without UNICODE_CHARACTER_CLASS: ASCII digits only
    return c >= '0' && c <= '9';
  }

  /** The value, {@code null} for a missing marker; throws with the reason when not a number. */
  public static @Nullable Double parse(@Nullable String raw) {
    if (raw == null) {
      return null;
    }
    String text = raw.trim();
    // the common case first: a plain number (no missing marker is one)
    if (isPlain(text)) {
      return checked(Double.parseDouble(text), text);
    }
    if (isMissing(text)) {
      return null;
    }
    double v;
    if (GROUPED.matcher(text).matches()) {
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
    return checked(v, text);
  }

  private static double checked(double v, String text) {
    if (Double.isInfinite(v) || Double.isNaN(v)) {
      throw new IllegalArgumentException("value '" + text + "' is out of range for a double");
    }
    return v;
  }

  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}

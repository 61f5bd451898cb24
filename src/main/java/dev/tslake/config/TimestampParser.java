package dev.tslake.config;

import java.io.Serializable;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns a source's timestamp text into epoch milliseconds UTC, or says exactly why it cannot.
 *
 * <p>Nothing is guessed: parsing is strict (no February 30th rolled into March), a local time that
 * a daylight-saving change skipped or repeated in the source's zone is rejected, and an epoch value
 * in scientific notation (what Excel does to {@code 1618876920000}) is rejected because its
 * precision is gone.
 */
public final class TimestampParser implements Serializable {
  /** Years outside this range are taken as a unit mix-up (seconds read as millis and so on). */
  private static final Instant MIN_PLAUSIBLE = Instant.parse("1000-01-01T00:00:00Z");

  private static final Instant MAX_PLAUSIBLE = Instant.parse("3000-01-01T00:00:00Z");
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
  private static final Pattern DECIMAL = Pattern.compile("[+-]?\\d+(\\.\\d+)?");
  private static final Pattern SCIENTIFIC = Pattern.compile("[+-]?\\d+(\\.\\d+)?[eE][+-]?\\d+");

  private static final DateTimeFormatter ISO_LOCAL =
      new DateTimeFormatterBuilder()
          .parseCaseInsensitive()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .optionalStart()
          .optionalStart()
          .appendLiteral('T')
          .optionalEnd()
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .append(DateTimeFormatter.ISO_LOCAL_TIME)
          .optionalStart()
          .appendOffsetId()
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HHmm", "Z")
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HH", "Z")
          .optionalEnd()
          .optionalEnd()
          .toFormatter(Locale.ROOT)
          .withResolverStyle(ResolverStyle.STRICT)
          .withChronology(java.time.chrono.IsoChronology.INSTANCE);

  private enum Mode {
    ISO,
    EPOCH_SECONDS,
    EPOCH_MILLIS,
    PATTERN
  }

  /**
   * Patterns that read {@code yyyy-MM-ddTHH:mm:ssZ} exactly as {@link #isoUtcSeconds} does (the
   * offset letters {@code X}, {@code XX}, {@code XXX} all take {@code Z} for UTC), after {@code y}
   * became {@code u}.
   */
  private static final java.util.Set<String> ISO_UTC_SECONDS_PATTERNS =
      java.util.Set.of(
          "uuuu-MM-dd'T'HH:mm:ssX", "uuuu-MM-dd'T'HH:mm:ssXX", "uuuu-MM-dd'T'HH:mm:ssXXX");

  private final Mode mode;
  private final String pattern;
  private final String zoneId;
  private transient DateTimeFormatter formatter;

  /** The pattern reads the fast path's shape the same way: try it before the formatter. */
  private transient boolean isoShapedPattern;

  private transient ZoneId zone;

  private TimestampParser(Mode mode, String pattern, String zoneId) {
    this.mode = mode;
    this.pattern = pattern;
    this.zoneId = zoneId;
  }

  /** Validates the format eagerly so a bad config fails before any data is read. */
  public static TimestampParser of(String format, String timeZone) {
    String f = format == null ? "iso" : format.trim();
    TimestampParser p;
    switch (f.toLowerCase(Locale.ROOT)) {
      case "iso":
        p = new TimestampParser(Mode.ISO, f, timeZone);
        break;
      case "epoch_seconds":
        p = new TimestampParser(Mode.EPOCH_SECONDS, f, timeZone);
        break;
      case "epoch_millis":
        p = new TimestampParser(Mode.EPOCH_MILLIS, f, timeZone);
        break;
      default:
        p = new TimestampParser(Mode.PATTERN, f, timeZone);
    }
    p.init();
    return p;
  }

  private void init() {
    try {
      zone = ZoneId.of(zoneId);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("timeZone '" + zoneId + "' is not a known zone id");
    }
    if (mode == Mode.PATTERN) {
      isoShapedPattern = ISO_UTC_SECONDS_PATTERNS.contains(yearOfEraToYear(pattern));
      try {
        // 'y' (year of era) needs an era under STRICT resolution; 'u' is the proleptic year.
        formatter =
            new DateTimeFormatterBuilder()
                .parseCaseInsensitive()
                .appendPattern(yearOfEraToYear(pattern))
                .toFormatter(Locale.ROOT)
                .withResolverStyle(ResolverStyle.STRICT)
                .withChronology(java.time.chrono.IsoChronology.INSTANCE);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "timestampFormat '"
                + pattern
                + "' is neither iso,"
                + " epoch_seconds, epoch_millis nor a valid java.time pattern: "
                + e.getMessage());
      }
    }
  }

  private static String yearOfEraToYear(String p) {
    StringBuilder out = new StringBuilder();
    boolean quoted = false;
    for (char c : p.toCharArray()) {
      if (c == '\'') {
        quoted = !quoted;
      }
      out.append(!quoted && c == 'y' ? 'u' : c);
    }
    return out.toString();
  }

  private ZoneId zone() {
    if (zone == null || (mode == Mode.PATTERN && formatter == null)) {
      init();
    }
    return zone;
  }

  /** Epoch millis UTC; throws {@link IllegalArgumentException} with the reason otherwise. */
  public long parse(String raw) {
    if (raw == null || raw.trim().isEmpty()) {
      throw new IllegalArgumentException("missing timestamp");
    }
    String text = raw.trim();
    ZoneId z = zone();
    Instant instant;
    switch (mode) {
      case EPOCH_SECONDS:
        instant = epoch(text, 1000);
        break;
      case EPOCH_MILLIS:
        instant = epoch(text, 1);
        break;
      case ISO:
        instant = iso(text, z);
        break;
      default:
        instant = patterned(text, z);
    }
    if (instant.isBefore(MIN_PLAUSIBLE) || !instant.isBefore(MAX_PLAUSIBLE)) {
      throw new IllegalArgumentException(
          "timestamp '"
              + text
              + "' is "
              + instant
              + ", outside years 1000-2999: wrong unit or format?");
    }
    return instant.toEpochMilli();
  }

  private Instant epoch(String text, long millisPerUnit) {
    if (SCIENTIFIC.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "epoch timestamp '"
              + text
              + "' is in scientific notation:"
              + " its digits were lost (typically by a spreadsheet), so the time is ambiguous");
    }
    if (millisPerUnit == 1 ? !INTEGER.matcher(text).matches() : !DECIMAL.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "epoch timestamp '"
              + text
              + "' is not a number of "
              + (millisPerUnit == 1 ? "milliseconds" : "seconds"));
    }
    try {
      BigDecimal millis = new BigDecimal(text).multiply(BigDecimal.valueOf(millisPerUnit));
      if (millis.stripTrailingZeros().scale() > 0) {
        throw new IllegalArgumentException(
            "epoch timestamp '" + text + "' has sub-millisecond digits");
      }
      return Instant.ofEpochMilli(millis.longValueExact());
    } catch (ArithmeticException | DateTimeException e) {
      throw new IllegalArgumentException("epoch timestamp '" + text + "' is out of range");
    }
  }

  private static Instant iso(String text, ZoneId zone) {
    Instant fast = isoUtcSeconds(text);
    if (fast != null) {
      return fast;
    }
    TemporalAccessor t;
    try {
      t = ISO_LOCAL.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "timestamp '" + text + "' is not an ISO-8601 date or date-time");
    }
    return resolve(t, text, zone);
  }

  /**
   * The most common shape, {@code yyyy-MM-ddTHH:mm:ssZ}, read without the general formatter (which
   * took a tenth of a 10M-row run); same result and same strictness. Anything else, or anything
   * invalid, returns null and goes the general way, which also words the error.
   */
  static Instant isoUtcSeconds(String t) {
    if (t.length() != 20
        || t.charAt(4) != '-'
        || t.charAt(7) != '-'
        || t.charAt(10) != 'T'
        || t.charAt(13) != ':'
        || t.charAt(16) != ':'
        || t.charAt(19) != 'Z') {
      return null;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 2);
    int day = digits(t, 8, 2);
    int hour = digits(t, 11, 2);
    int minute = digits(t, 14, 2);
    int second = digits(t, 17, 2);
    if (year < 0
        || month < 1
        || month > 12
        || day < 1
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59
        || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
      return null;
    }
    long days = LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(days * 86_400L + hour * 3_600L + minute * 60L + second);
  }

  private static int digits(String t, int from, int n) {
    int v = 0;
    for (int i = from; i < from + n; i++) {
      char c = t.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private Instant patterned(String text, ZoneId zone) {
    if (isoShapedPattern) {
      // the strict pattern the peers use, yyyy-MM-dd'T'HH:mm:ssX: java.time's parse and resolve
      // took a quarter of the validation step's samples at 1M rows (JFR); same result, and
      // anything the fast path does not take goes to the formatter, which words the error
      Instant fast = isoUtcSeconds(text);
      if (fast != null) {
        return fast;
      }
    }
    TemporalAccessor t;
    try {
      t = formatter.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "timestamp '" + text + "' does not match pattern '" + pattern + "'");
    }
    return resolve(t, text, zone);
  }

  private static Instant resolve(TemporalAccessor t, String text, ZoneId zone) {
    LocalDate date = t.query(java.time.temporal.TemporalQueries.localDate());
    if (date == null) {
      throw new IllegalArgumentException("timestamp '" + text + "' has no complete date");
    }
    java.time.LocalTime time = t.query(java.time.temporal.TemporalQueries.localTime());
    LocalDateTime local = time == null ? date.atStartOfDay() : date.atTime(time);
    if (t.isSupported(ChronoField.OFFSET_SECONDS)) {
      return local.toInstant(ZoneOffset.ofTotalSeconds(t.get(ChronoField.OFFSET_SECONDS)));
    }
    ZoneId explicitZone = t.query(java.time.temporal.TemporalQueries.zoneId());
    return atZone(local, explicitZone != null ? explicitZone : zone, text);
  }

  /** Local time to instant, refusing times a DST change made nonexistent or ambiguous. */
  static Instant atZone(LocalDateTime local, ZoneId zone, String text) {
    ZoneRules rules = zone.getRules();
    List<ZoneOffset> offsets = rules.getValidOffsets(local);
    if (offsets.size() == 1) {
      return local.toInstant(offsets.get(0));
    }
    if (offsets.isEmpty()) {
      throw new IllegalArgumentException(
          "local time '"
              + text
              + "' does not exist in "
              + zone
              + " (skipped by a daylight-saving change)");
    }
    throw new IllegalArgumentException(
        "local time '"
            + text
            + "' is ambiguous in "
            + zone
            + " (it occurs twice around a daylight-saving change: offsets "
            + offsets
            + ")");
  }

  /** Parses an ISO date (midnight UTC) or instant with offset; used for vintages. */
  public static long parseIsoInstant(String raw) {
    if (raw == null || raw.isBlank()) {
      throw new IllegalArgumentException("missing vintage");
    }
    Instant instant;
    try {
      instant = OffsetDateTime.parse(raw.trim()).toInstant();
    } catch (DateTimeParseException e) {
      // a plain date or a local date-time taken as UTC
      instant = iso(raw.trim(), ZoneOffset.UTC);
    }
    try {
      return instant.toEpochMilli();
    } catch (ArithmeticException e) {
      // a year like +300000000 parses as a date but is no epoch millisecond
      throw new IllegalArgumentException("vintage '" + raw + "' is out of range");
    }
  }

  @Override
  public String toString() {
    return mode == Mode.PATTERN ? "pattern '" + pattern + "' in " + zoneId : mode + " in " + zoneId;
  }
}

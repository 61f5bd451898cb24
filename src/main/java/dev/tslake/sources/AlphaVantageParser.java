package dev.tslake.sources;

import dev.tslake.model.RawRecord;
import dev.tslake.sources.JsonPayload.Node;
import dev.tslake.sources.JsonPayload.Obj;
import java.io.IOException;
import java.io.Reader;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Alpha Vantage {@code TIME_SERIES_DAILY}, {@code _WEEKLY}, {@code _MONTHLY} responses and their
 * {@code _ADJUSTED} variants: one raw record per date and field.
 *
 * <p>Series ids are {@code SYMBOL.field} for daily bars, {@code SYMBOL.weekly.field} and {@code
 * SYMBOL.monthly.field} otherwise, the field being the key without its number ({@code "5. adjusted
 * close"} is {@code adjusted_close}).
 *
 * <p>Alpha Vantage labels a weekly or monthly bar by its last trading day, and while the period is
 * still open by the last refresh time ({@code "2017-04-27 12:12:00"}). So that a later fetch
 * supersedes a partial bar instead of adding a second one, the timestamp is the period start (the
 * Monday of the week, the first of the month) and the vintage the response's {@code Last Refreshed}
 * in its {@code Time Zone}, a date alone meaning the 16:00 market close.
 */
public final class AlphaVantageParser implements PayloadParser {
  private static final long serialVersionUID = 1L;

  private static final Pattern KEY_NUMBER = Pattern.compile("^\\s*\\d+[a-zA-Z]?\\.\\s*");
  private static final Pattern DATE_KEY =
      Pattern.compile("(\\d{4}-\\d{2}-\\d{2})(?:[ T](\\d{2}:\\d{2}(?::\\d{2})?))?");

  /** US market close, the time of a daily bar whose Last Refreshed is only a date. */
  private static final LocalTime MARKET_CLOSE = LocalTime.of(16, 0);

  enum Frequency {
    DAILY(""),
    WEEKLY(".weekly"),
    MONTHLY(".monthly");

    final String infix;

    Frequency(String infix) {
      this.infix = infix;
    }
  }

  @Override
  public void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException {
    JsonPayload.Result r = JsonPayload.read(payload);
    if (r.error != null) {
      out.record(bad(ctx, r.error, r.excerpt));
      return;
    }
    if (!(r.root instanceof Obj)) {
      out.record(
          bad(
              ctx,
              "not an Alpha Vantage response: the JSON is "
                  + r.root.kind()
                  + ", expected an object",
              r.excerpt));
      return;
    }
    Obj root = (Obj) r.root;
    if (root.has("Error Message")) {
      out.record(bad(ctx, "Alpha Vantage error: " + root.text("Error Message"), r.excerpt));
      return;
    }
    List<Integer> seriesKeys = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      if (root.keys.get(i).toLowerCase(Locale.ROOT).contains("time series")) {
        seriesKeys.add(i);
      }
    }
    if (seriesKeys.isEmpty()) {
      for (String k : new String[] {"Note", "Information"}) {
        if (root.has(k)) {
          out.record(bad(ctx, "Alpha Vantage rate limit: " + root.text(k), r.excerpt));
          return;
        }
      }
      out.record(
          bad(
              ctx,
              "not an Alpha Vantage time series response: no 'Time Series' object"
                  + " (top-level keys: "
                  + String.join(", ", root.keys)
                  + ")",
              r.excerpt));
      return;
    }
    Node metaNode = root.get("Meta Data");
    Obj meta = metaNode instanceof Obj ? (Obj) metaNode : null;
    String symbol = meta == null ? null : metaText(meta, "symbol");
    if (symbol == null || symbol.isBlank()) {
      out.record(
          bad(ctx, "Alpha Vantage response has no 'Meta Data' symbol ('2. Symbol')", r.excerpt));
      return;
    }
    String vintage = ctx.vintage;
    if (vintage == null) {
      vintage = vintage(metaText(meta, "last refreshed"), metaText(meta, "time zone"));
    }
    for (int k : seriesKeys) {
      String key = root.keys.get(k);
      Frequency f = frequency(key);
      if (f == null) {
        out.record(
            bad(
                ctx,
                "unsupported Alpha Vantage series '"
                    + key
                    + "': only daily, weekly"
                    + " and monthly time series are read",
                r.excerpt));
        continue;
      }
      Node bars = root.values.get(k);
      if (!(bars instanceof Obj)) {
        out.record(
            bad(
                ctx,
                "'" + key + "' is " + bars.kind() + ", expected an object of dates",
                r.excerpt));
        continue;
      }
      emit(ctx, key, f, symbol.trim(), vintage, (Obj) bars, out);
    }
  }

  private static void emit(
      PayloadContext ctx,
      String key,
      Frequency f,
      String symbol,
      @Nullable String vintage,
      Obj bars,
      ParseOutput out) {
    String prefix = symbol + f.infix;
    for (int i = 0; i < bars.size(); i++) {
      String dateKey = bars.keys.get(i);
      Node bar = bars.values.get(i);
      String ts = periodStart(dateKey, f);
      String at = key + "[\"" + dateKey + "\"]";
      if (!(bar instanceof Obj)) {
        out.record(
            new RawRecord(
                ctx.source.name,
                ctx.origin,
                at,
                prefix,
                ts,
                RawRecord.excerpt(bar.json()),
                vintage,
                "Alpha Vantage bar for '"
                    + dateKey
                    + "' is "
                    + bar.kind()
                    + ", expected an object of"
                    + " fields"));
        continue;
      }
      Obj fields = (Obj) bar;
      for (int j = 0; j < fields.size(); j++) {
        String field = fieldName(fields.keys.get(j));
        out.record(
            RawRecord.of(
                ctx.source.name,
                ctx.origin,
                at + "." + field,
                prefix + "." + field,
                ts,
                fields.values.get(j).rawText(),
                vintage));
      }
    }
  }

  static @Nullable Frequency frequency(String seriesKey) {
    String k = seriesKey.toLowerCase(Locale.ROOT);
    if (k.contains("daily")) {
      return Frequency.DAILY;
    }
    if (k.contains("weekly")) {
      return Frequency.WEEKLY;
    }
    if (k.contains("monthly")) {
      return Frequency.MONTHLY;
    }
    return null;
  }

  /** {@code "5. adjusted close"} to {@code adjusted_close}. */
  static String fieldName(String key) {
    String s = KEY_NUMBER.matcher(key).replaceFirst("").trim().toLowerCase(Locale.ROOT);
    return s.replaceAll("\\s+", "_");
  }

  /**
   * The ISO date the bar's period starts on, or the key unchanged when it is not a date (so
   * validation rejects it with the key in its reason).
   */
  static String periodStart(String dateKey, Frequency f) {
    Matcher m = DATE_KEY.matcher(dateKey.trim());
    if (!m.matches()) {
      return dateKey;
    }
    LocalDate d;
    try {
      d = LocalDate.parse(m.group(1));
    } catch (DateTimeParseException e) {
      return dateKey;
    }
    switch (f) {
      case WEEKLY:
        d = d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        break;
      case MONTHLY:
        d = d.withDayOfMonth(1);
        break;
      default:
        break;
    }
    return d.toString();
  }

  /**
   * {@code Last Refreshed} in the response's zone as an ISO instant ({@code 2017-04-27T16:12:00Z});
   * a date alone is the 16:00 close of that day. Null when either is missing or unreadable.
   */
  static @Nullable String vintage(@Nullable String lastRefreshed, @Nullable String timeZone) {
    if (lastRefreshed == null || timeZone == null) {
      return null;
    }
    Matcher m = DATE_KEY.matcher(lastRefreshed.trim());
    if (!m.matches()) {
      return null;
    }
    try {
      LocalDate d = LocalDate.parse(m.group(1));
      LocalTime t = m.group(2) == null ? MARKET_CLOSE : LocalTime.parse(m.group(2));
      ZoneId zone = ZoneId.of(timeZone.trim());
      return ZonedDateTime.of(LocalDateTime.of(d, t), zone).toInstant().toString();
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** A Meta Data value by its name without the number ({@code "3. Last Refreshed"}). */
  private static @Nullable String metaText(Obj meta, String name) {
    for (int i = 0; i < meta.size(); i++) {
      if (fieldName(meta.keys.get(i)).equals(name.replace(' ', '_'))) {
        return meta.values.get(i).rawText();
      }
    }
    return null;
  }

  private static RawRecord bad(PayloadContext ctx, String error, String excerpt) {
    return RawRecord.unparseable(
        ctx.source.name, ctx.origin, "payload", ctx.seriesIdHint, error, excerpt);
  }
}

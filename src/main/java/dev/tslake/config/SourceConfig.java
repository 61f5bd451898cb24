package dev.tslake.config;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One entry of the config's {@code sources} array. Field names are the user-facing contract; see
 * README "Config". Unknown fields are an error, so a typo does not silently change a run.
 */
public final class SourceConfig implements Serializable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

  @JsonProperty(required = true)
  public String name;

  @JsonProperty(required = true)
  public SourceType type;

  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> windows = new ArrayList<>();

  /**
   * Trailing windows for moving statistics (table {@code rolling}): fixed ISO-8601 durations such
   * as {@code PT1H}, {@code P7D} or {@code P30D}.
   */
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> rolling = new ArrayList<>();

  /**
   * Trailing duration of the streaming {@code latest} statistics (a fixed ISO-8601 duration);
   * {@link #DEFAULT_LATEST} when not set.
   */
  public String latest;

  /** The {@code latest} trailing duration when a source sets none. */
  public static final String DEFAULT_LATEST = "PT1H";

  /** Recorded payloads to read: paths or globs, local or any Beam filesystem. */
  @JsonAlias("path")
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<FileEntry> files = new ArrayList<>();

  /** FRED {@code /fred/series} responses describing the series (title, units, frequency...). */
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<FileEntry> metadataFiles = new ArrayList<>();

  /** Vintage (ISO date or instant) of every file of this source that does not state its own. */
  public @Nullable String vintage;

  // --- csv ---
  /** Lines to skip before the header (e.g. CryptoDataDownload's banner line). */
  public int skipLines;

  public @Nullable String timestampColumn;

  /** A java.time pattern, {@code iso}, {@code epoch_seconds} or {@code epoch_millis}. */
  public String timestampFormat = "iso";

  /** Zone of timestamps that carry no offset. */
  public String timeZone = "UTC";

  public @Nullable String seriesColumn;
  public @Nullable String seriesId;

  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> valueColumns = new ArrayList<>();

  public char delimiter = ',';

  /**
   * csv: read a file larger than this many bytes as several line ranges of about this size, in
   * parallel (0, the default: each file is read whole by one worker). The contract, like Spark's
   * {@code multiLine=false}: one record per physical line, no quoted line breaks. Records, their
   * locators ({@code line N ...}) and rejects are the same as a whole-file read of such a file.
   */
  public long splitBytes;

  /** Units stated for this source's series (written to the {@code series} table). */
  public @Nullable String units;

  // --- live fetch: a source with no 'files' fetches over HTTP what these name ---
  /** fred: FRED series ids to fetch. */
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> series = new ArrayList<>();

  /** fred: first observation date to fetch; by default the day after the newest one loaded. */
  public @Nullable String observationStart;

  /**
   * fred: how far before the incremental start point to fetch again (an ISO-8601 period such as
   * {@code P3M} or {@code P90D}), so revisions of recent observations arrive; default none.
   */
  public @Nullable String lookback;

  /**
   * fred (live): fetch every vintage of each observation (ALFRED: {@code realtime_start=1776-07-04}
   * to {@code realtime_end=9999-12-31}); each row's {@code realtime_start} is its vintage, so
   * {@code observation_vintages} backfills the series' revision history. See docs/vintages.md.
   */
  public boolean vintages;

  /** alphavantage: symbols to fetch. */
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> symbols = new ArrayList<>();

  /** alphavantage: TIME_SERIES_DAILY, _WEEKLY, _MONTHLY or their _ADJUSTED variants. */
  public @Nullable String function;

  /** alphavantage: compact (last 100 points) or full. */
  public String outputSize = "compact";

  /** census: dataset path, e.g. {@code 2012/acs5} or {@code timeseries/eits/resconst}. */
  public @Nullable String dataset;

  /** census: variables to get. */
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> get = new ArrayList<>();

  /** census: geography, e.g. {@code state:*}. */
  @JsonProperty("for")
  public @Nullable String forGeography;

  /** census: enclosing geography, e.g. {@code state:06}. */
  @JsonProperty("in")
  public @Nullable String inGeography;

  /** census: other predicates passed as query parameters, e.g. {@code time: from 2015}. */
  public java.util.Map<String, String> predicates = new java.util.LinkedHashMap<>();

  /** edgar: company CIKs. */
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> ciks = new ArrayList<>();

  /** edgar: {@code taxonomy/tag} concepts; empty fetches whole companyfacts. */
  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
  public List<String> concepts = new ArrayList<>();

  /**
   * Live sources, streaming runs only: fetch again every this long (an ISO-8601 duration such as
   * {@code PT1M}, at least {@code PT1S}); each poll asks only for what is new since the last
   * complete fetch. Batch runs ignore it.
   */
  public @Nullable String poll;

  /**
   * File sources, streaming runs only: list the {@code files} globs again every this long (an
   * ISO-8601 duration such as {@code PT30S}) and read each new file once. Batch runs ignore it.
   */
  public @Nullable String watch;

  /** Requests per second to this API, across all workers of a run; a per-type default if unset. */
  public @Nullable Double maxRequestsPerSecond;

  /** Requests in flight to this API at once, across all workers of a run. */
  public @Nullable Integer maxConcurrentRequests;

  /** Gap filling on a regular grid into table {@code resampled}; see docs/resample.md. */
  public @Nullable ResampleConfig resample;

  /** Declared data-quality checks (docs/checks.md). */
  public List<CheckSpec> checks = new ArrayList<>();

  public SourceConfig() {}

  /**
   * The checks with their ids: the {@code id} given, else the type, {@code type#2} for the second
   * of its type and so on; ids are unique within the source.
   */
  public List<String> checkIds() {
    List<String> ids = new ArrayList<>();
    java.util.Map<String, Integer> seen = new java.util.HashMap<>();
    for (CheckSpec c : checks) {
      int n = seen.merge(c.type, 1, Integer::sum);
      ids.add(c.id != null ? c.id : n == 1 ? c.type : c.type + "#" + n);
    }
    return ids;
  }

  /**
   * How far before the span a run touches (already widened to whole windows) the stored
   * observations are read back, in milliseconds: the largest need of this source's analytics.
   */
  public long contextBefore() {
    long ms = 0;
    if (resample != null) {
      ms = Math.max(ms, resample.contextMillis());
    }
    for (CheckSpec c : checks) {
      if (CheckSpec.ANOMALY.equals(c.type)) {
        ms = Math.max(ms, c.windowMillis()); // an anomaly check's trailing window
      }
    }
    for (long w : rollingWindows().values()) {
      ms = Math.max(ms, w); // the trailing windows of the run's points
    }
    return ms;
  }

  /** Like {@link #contextBefore()}, after the span. */
  public long contextAfter() {
    long ms = 0;
    if (resample != null) {
      ms = Math.max(ms, resample.contextMillis());
    }
    for (long w : rollingWindows().values()) {
      ms = Math.max(ms, w); // the rows after a point within its largest rolling window change
    }
    return ms;
  }

  /** The source's windows, each once ({@code P1M} and {@code p1m} are one window). */
  public List<WindowSpec> windowSpecs() {
    java.util.Set<WindowSpec> out = new java.util.LinkedHashSet<>();
    for (String w : windows) {
      out.add(WindowSpec.parse(w));
    }
    return new ArrayList<>(out);
  }

  /**
   * The {@code latest} trailing duration: its text (upper case) and length in ms. Throws
   * IllegalArgumentException on a duration that is not fixed and positive.
   */
  public java.util.Map.Entry<String, Long> latestTrailing() {
    String text =
        (latest == null ? DEFAULT_LATEST : latest).trim().toUpperCase(java.util.Locale.ROOT);
    long ms;
    try {
      ms = java.time.Duration.parse(text).toMillis();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "latest '" + latest + "' is not a fixed ISO-8601 duration such as PT1H or P1D");
    }
    if (ms <= 0) {
      throw new IllegalArgumentException("latest '" + latest + "' must be positive");
    }
    return java.util.Map.entry(text, ms);
  }

  /**
   * The rolling windows, each once: name (the configured text, upper case) to length in ms, in
   * config order. Throws IllegalArgumentException on a duration that is not fixed and positive.
   */
  public java.util.Map<String, Long> rollingWindows() {
    java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
    java.util.Set<Long> lengths = new java.util.HashSet<>();
    for (String r : rolling) {
      String text = r == null ? "" : r.trim().toUpperCase(java.util.Locale.ROOT);
      long ms;
      try {
        ms = java.time.Duration.parse(text).toMillis();
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "rolling window '"
                + r
                + "' is not a fixed ISO-8601 duration such as PT1H, P7D or P30D"
                + " (months and years vary in length and are not allowed: use days)");
      }
      if (ms <= 0) {
        throw new IllegalArgumentException("rolling window '" + r + "' must be positive");
      }
      if (lengths.add(ms)) {
        out.put(text, ms);
      }
    }
    return out;
  }

  /**
   * Checks everything that can be checked before reading data; messages name the source and field.
   */
  void validate() {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new ConfigException(
          "source name '"
              + name
              + "' must be 1-64 letters, digits, '_' or '-'"
              + " (it names lake folders and warehouse rows)");
    }
    String where = "source '" + name + "'";
    if (type == null) {
      throw new ConfigException(where + ": 'type' is required");
    }
    for (String w : windows) {
      try {
        WindowSpec.parse(w);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + ": " + e.getMessage());
      }
    }
    if (resample != null) {
      resample.validate(where);
    }
    try {
      rollingWindows();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
    try {
      latestTrailing();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
    if (files.isEmpty() && !isLive()) {
      throw new ConfigException(
          where
              + ": needs 'files' (or 'path') to read recorded payloads, or"
              + " what to fetch live: "
              + liveFields());
    }
    if (!files.isEmpty() && isLive()) {
      throw new ConfigException(
          where
              + ": has both 'files' and live fetch fields; a source either"
              + " reads files or fetches, split it in two");
    }
    if (isLive()
        && type == SourceType.ALPHAVANTAGE
        && (function == null
            || !function.matches("TIME_SERIES_(DAILY|WEEKLY|MONTHLY)(_ADJUSTED)?"))) {
      throw new ConfigException(
          where
              + ": 'function' must be TIME_SERIES_DAILY, _WEEKLY or"
              + " _MONTHLY, optionally _ADJUSTED (was "
              + function
              + ")");
    }
    if (isLive() && type == SourceType.CENSUS && (get.isEmpty() || forGeography == null)) {
      throw new ConfigException(
          where
              + ": a live census source needs 'get' (variables) and 'for'"
              + " (geography, e.g. state:*)");
    }
    for (String concept : concepts) {
      if (!concept.matches("[A-Za-z0-9-]+/[A-Za-z0-9_-]+")) {
        throw new ConfigException(
            where + ": concept '" + concept + "' must be taxonomy/tag, e.g." + " us-gaap/Revenues");
      }
    }
    if (poll != null) {
      if (!isLive()) {
        throw new ConfigException(
            where
                + ": 'poll' applies to live sources only (they fetch over HTTP); a source reading"
                + " 'files' takes 'watch' instead");
      }
      java.time.Duration d = positiveDuration(where, "poll", poll);
      if (d.compareTo(MIN_POLL) < 0) {
        throw new ConfigException(where + ": poll '" + poll + "' is shorter than PT1S");
      }
    }
    if (watch != null) {
      if (isLive()) {
        throw new ConfigException(
            where
                + ": 'watch' applies to sources reading 'files' only; a live source takes 'poll'"
                + " instead");
      }
      positiveDuration(where, "watch", watch);
    }
    if (maxRequestsPerSecond != null && !(maxRequestsPerSecond > 0)) {
      throw new ConfigException(where + ": maxRequestsPerSecond must be positive");
    }
    if (maxConcurrentRequests != null && maxConcurrentRequests < 1) {
      throw new ConfigException(where + ": maxConcurrentRequests must be at least 1");
    }
    if (vintages && !(type == SourceType.FRED && isLive())) {
      throw new ConfigException(
          where
              + ": 'vintages' applies to live fred sources only (files state their own vintage,"
              + " or take 'vintage')");
    }
    if (lookback != null) {
      try {
        if (java.time.Period.parse(lookback).isNegative()) {
          throw new ConfigException(where + ": lookback '" + lookback + "' is negative");
        }
      } catch (java.time.format.DateTimeParseException e) {
        throw new ConfigException(
            where + ": lookback '" + lookback + "' is not an ISO-8601 period such as P3M or P90D");
      }
    }
    if (observationStart != null) {
      try {
        java.time.LocalDate.parse(observationStart);
      } catch (RuntimeException e) {
        throw new ConfigException(
            where + ": observationStart '" + observationStart + "' is not a yyyy-MM-dd date");
      }
    }
    try {
      ZoneId.of(timeZone);
    } catch (RuntimeException e) {
      throw new ConfigException(where + ": timeZone '" + timeZone + "' is not a known zone id");
    }
    checkVintage(where, vintage);
    for (FileEntry f : files) {
      checkVintage(where + " file " + f.path, f.vintage);
    }
    if (type == SourceType.CSV || type == SourceType.PARQUET) {
      String kind = "a " + type.id() + " source";
      if (timestampColumn == null || timestampColumn.isBlank()) {
        throw new ConfigException(where + ": " + kind + " needs 'timestampColumn'");
      }
      if (valueColumns.isEmpty()) {
        throw new ConfigException(where + ": " + kind + " needs 'valueColumns'");
      }
      if ((seriesColumn == null) == (seriesId == null)) {
        throw new ConfigException(
            where + ": " + kind + " needs exactly one of 'seriesColumn' or 'seriesId'");
      }
      if (skipLines < 0) {
        throw new ConfigException(where + ": skipLines must not be negative");
      }
    }
    if (splitBytes < 0) {
      throw new ConfigException(
          where + ": splitBytes must be positive (or 0: read each file whole)");
    }
    if (splitBytes > 0 && type != SourceType.CSV) {
      throw new ConfigException(
          where
              + ": splitBytes applies to csv sources only; a "
              + type.id()
              + " file cannot be cut at line breaks (its parser needs the whole payload"
              + (type == SourceType.FRED_CSV ? ", e.g. the header naming the series" : "")
              + ")");
    }
    try {
      TimestampParser.of(timestampFormat, timeZone);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
    for (int i = 0; i < checks.size(); i++) {
      if (checks.get(i) == null) {
        throw new ConfigException(where + ": check " + i + " is empty");
      }
      checks.get(i).validate(where + " check " + i);
    }
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (String id : checkIds()) {
      if (!ids.add(id)) {
        throw new ConfigException(where + ": two checks have the id '" + id + "'");
      }
    }
  }

  private static final java.time.Duration MIN_POLL = java.time.Duration.ofSeconds(1);

  /** {@link #poll} as a duration, or null when the source is not polled. */
  public java.time.@Nullable Duration pollInterval() {
    return poll == null ? null : java.time.Duration.parse(poll.trim().toUpperCase(Locale.ROOT));
  }

  /** {@link #watch} as a duration, or null when the source's files are not watched. */
  public java.time.@Nullable Duration watchInterval() {
    return watch == null ? null : java.time.Duration.parse(watch.trim().toUpperCase(Locale.ROOT));
  }

  /**
   * Parses a positive ISO-8601 duration such as {@code PT1M}; a ConfigException naming {@code
   * where} and {@code field} otherwise.
   */
  public static java.time.Duration positiveDuration(String where, String field, String text) {
    java.time.Duration d;
    try {
      d = java.time.Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new ConfigException(
          where
              + ": "
              + field
              + " '"
              + text
              + "' is not an ISO-8601 duration such as PT1S, PT1M or PT1H");
    }
    if (d.isNegative() || d.isZero()) {
      throw new ConfigException(where + ": " + field + " '" + text + "' must be positive");
    }
    return d;
  }

  /** Whether this source fetches over HTTP (it names what to fetch instead of files). */
  public boolean isLive() {
    switch (type) {
      case FRED:
        return !series.isEmpty();
      case ALPHAVANTAGE:
        return !symbols.isEmpty();
      case CENSUS:
        return dataset != null;
      case EDGAR:
        return !ciks.isEmpty();
      case COINDESK:
        return files.isEmpty();
      default:
        return false;
    }
  }

  private String liveFields() {
    switch (type) {
      case FRED:
        return "'series'";
      case ALPHAVANTAGE:
        return "'symbols' and 'function'";
      case CENSUS:
        return "'dataset', 'get' and 'for'";
      case EDGAR:
        return "'ciks' (and optionally 'concepts')";
      default:
        return "nothing: type " + type.id() + " only reads files";
    }
  }

  private static void checkVintage(String where, @Nullable String v) {
    if (v == null) {
      return;
    }
    try {
      TimestampParser.parseIsoInstant(v);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": vintage '" + v + "' is not an ISO date or instant");
    }
  }
}

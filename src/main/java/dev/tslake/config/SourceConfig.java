package dev.tslake.config;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
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

  /** Units stated for this source's series (written to the {@code series} table). */
  public @Nullable String units;

  public SourceConfig() {}

  /** The source's windows, each once ({@code P1M} and {@code p1m} are one window). */
  public List<WindowSpec> windowSpecs() {
    java.util.Set<WindowSpec> out = new java.util.LinkedHashSet<>();
    for (String w : windows) {
      out.add(WindowSpec.parse(w));
    }
    return new ArrayList<>(out);
  }

  /** Checks everything that can be checked before reading data; messages name the source and field. */
  void validate() {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new ConfigException("source name '" + name + "' must be 1-64 letters, digits, '_' or '-'"
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
    if (files.isEmpty()) {
      throw new ConfigException(where + ": 'files' (or 'path') must name at least one file or glob");
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
    if (type == SourceType.CSV) {
      if (timestampColumn == null || timestampColumn.isBlank()) {
        throw new ConfigException(where + ": a csv source needs 'timestampColumn'");
      }
      if (valueColumns.isEmpty()) {
        throw new ConfigException(where + ": a csv source needs 'valueColumns'");
      }
      if ((seriesColumn == null) == (seriesId == null)) {
        throw new ConfigException(where + ": a csv source needs exactly one of 'seriesColumn' or 'seriesId'");
      }
      if (skipLines < 0) {
        throw new ConfigException(where + ": skipLines must not be negative");
      }
    }
    try {
      dev.tslake.transform.TimestampParser.of(timestampFormat, timeZone);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
  }

  private static void checkVintage(String where, @Nullable String v) {
    if (v == null) {
      return;
    }
    try {
      dev.tslake.transform.TimestampParser.parseIsoInstant(v);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": vintage '" + v + "' is not an ISO date or instant");
    }
  }
}

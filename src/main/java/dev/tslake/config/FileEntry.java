package dev.tslake.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A file pattern of a source, written in config either as a plain string (a path or glob) or as an
 * object with a path and what the file itself does not say: the series id (FRED observation
 * responses carry none) and the vintage (CSV downloads carry none).
 */
public final class FileEntry implements Serializable {
  public final String path;
  public final @Nullable String seriesId;
  public final @Nullable String vintage;

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public FileEntry(
      @JsonProperty(value = "path", required = true) String path,
      @JsonProperty("seriesId") @Nullable String seriesId,
      @JsonProperty("vintage") @Nullable String vintage) {
    this.path = Objects.requireNonNull(path, "path");
    this.seriesId = seriesId;
    this.vintage = vintage;
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static FileEntry of(String path) {
    return new FileEntry(path, null, null);
  }

  FileEntry withPath(String resolved) {
    return new FileEntry(resolved, seriesId, vintage);
  }

  @Override
  public String toString() {
    return path
        + (seriesId == null ? "" : " (series " + seriesId + ")")
        + (vintage == null ? "" : " (vintage " + vintage + ")");
  }
}

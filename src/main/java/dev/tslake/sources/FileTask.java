package dev.tslake.sources;

import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/** One concrete file to parse for one source, with what config says about it. */
public final class FileTask implements Serializable {
  public final String source;
  /** Full resource spec, local path or {@code s3://...}. */
  public final String path;
  public final @Nullable String seriesIdHint;
  public final @Nullable String vintage;

  public FileTask(String source, String path, @Nullable String seriesIdHint, @Nullable String vintage) {
    this.source = source;
    this.path = path;
    this.seriesIdHint = seriesIdHint;
    this.vintage = vintage;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FileTask && ((FileTask) o).source.equals(source)
        && ((FileTask) o).path.equals(path);
  }

  @Override
  public int hashCode() {
    return source.hashCode() * 31 + path.hashCode();
  }

  @Override
  public String toString() {
    return source + ":" + path;
  }
}

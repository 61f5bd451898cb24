package dev.tslake.sources;

import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One concrete file to parse for one source, with what config says about it: the whole file, or one
 * byte range of it ({@link #part} of {@link #parts}, bytes [{@link #start}, {@link #end})), when
 * its source sets {@code splitBytes} and the file is bigger.
 */
public final class FileTask implements Serializable {
  public final String source;

  /** Full resource spec, local path or {@code s3://...}. */
  public final String path;

  public final @Nullable String seriesIdHint;
  public final @Nullable String vintage;

  /** Index of this range among the file's ranges; -1 for a whole file. */
  public final int part;

  /** Number of ranges the file is cut into; 0 for a whole file. */
  public final int parts;

  /** First byte of the range (a range owns the lines whose first byte is in [start, end)). */
  public final long start;

  public final long end;

  public FileTask(
      String source, String path, @Nullable String seriesIdHint, @Nullable String vintage) {
    this(source, path, seriesIdHint, vintage, -1, 0, 0, Long.MAX_VALUE);
  }

  private FileTask(
      String source,
      String path,
      @Nullable String seriesIdHint,
      @Nullable String vintage,
      int part,
      int parts,
      long start,
      long end) {
    this.source = source;
    this.path = path;
    this.seriesIdHint = seriesIdHint;
    this.vintage = vintage;
    this.part = part;
    this.parts = parts;
    this.start = start;
    this.end = end;
  }

  /** Range {@code part} of {@code parts} of this (whole-file) task. */
  public FileTask range(int part, int parts, long start, long end) {
    if (part < 0 || part >= parts || start < 0 || end < start) {
      throw new IllegalArgumentException(
          "bad range " + part + "/" + parts + " [" + start + ", " + end + ")");
    }
    return new FileTask(source, path, seriesIdHint, vintage, part, parts, start, end);
  }

  public boolean isRange() {
    return part >= 0;
  }

  /** Identifies a range of a file among all ranges of a run. */
  public static String rangeKey(String source, String path, int part) {
    return source + '\u0000' + path + '\u0000' + part;
  }

  public String rangeKey() {
    return rangeKey(source, path, part);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FileTask
        && ((FileTask) o).source.equals(source)
        && ((FileTask) o).path.equals(path)
        && ((FileTask) o).part == part;
  }

  @Override
  public int hashCode() {
    return (source.hashCode() * 31 + path.hashCode()) * 31 + part;
  }

  @Override
  public String toString() {
    return source
        + ":"
        + path
        + (part < 0 ? "" : "#" + part + "/" + parts + "[" + start + "," + end + ")");
  }
}

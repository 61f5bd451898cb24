package dev.tslake.lake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Lake layout: {@code
 * <root>/<zone>/source=<source>/ingest_date=<yyyy-MM-dd>/run_id=<run>/<name>.csv}, where the run id
 * keeps every run's files apart (the lake is append-only: a run never replaces another run's files,
 * only a rerun of the same run id replaces its own), and {@code <name>} is a series id ({@link
 * #file}: rejects, and raw records fetched from APIs) or an input file ({@link #inputFile}: raw
 * records of file sources, one lake file per input file).
 *
 * <p>Series ids come from data, so they are never used as path text directly: every byte outside
 * {@code [A-Za-z0-9_-]} and every '.' is percent-encoded ({@code ../x} becomes {@code %2E%2E%2Fx}),
 * so a name can neither climb out of its folder, nor be hidden, nor be absolute; long names are cut
 * and suffixed with a hash so distinct ids stay distinct files. The encoding is reversible for ids
 * up to the cut, so a reader of the lake can recover the id.
 */
public final class LakePaths {
  public static final String RAW = "raw";
  public static final String REJECTED = "rejected";

  /**
   * File for records that have no series id (a payload that could not be split). No encoded id can
   * collide with it: '@' is always percent-encoded.
   */
  public static final String NO_SERIES = "@no_series";

  private static final int MAX_SEGMENT = 150;

  /**
   * Separates an input file's encoded base name from the hash of its full path. No series file can
   * contain it ('@' is always percent-encoded, and {@link #NO_SERIES} holds no hash).
   */
  public static final char INPUT_HASH_MARK = '@';

  /** Hex digits of the SHA-256 of an input's full path in its lake file name. */
  static final int INPUT_HASH_LENGTH = 12;

  private LakePaths() {}

  /** Relative path of the file holding a record, under the lake root. */
  public static String file(
      String zone, String source, String ingestDate, String runId, @Nullable String seriesId) {
    String name = seriesId == null || seriesId.isBlank() ? NO_SERIES : safeSegment(seriesId.trim());
    return runFolder(zone, source, ingestDate, runId) + name + ".csv";
  }

  /** Marks the folder of one run's files inside an ingest date's partition. */
  public static final String RUN_PREFIX = "run_id=";

  /**
   * The folder, ending in '/', of the files run {@code runId} writes for {@code source} on {@code
   * ingestDate}: {@code <zone>/source=<source>/ingest_date=<date>/run_id=<run>/}. Every part is
   * encoded like a series id, so a hostile run id cannot climb out of it.
   */
  public static String runFolder(String zone, String source, String ingestDate, String runId) {
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("a lake path needs a run id");
    }
    return zone
        + "/source="
        + safeSegment(source)
        + "/ingest_date="
        + safeSegment(ingestDate)
        + "/"
        + RUN_PREFIX
        + safeSegment(runId)
        + "/";
  }

  /**
   * Relative path, under the lake root, of the file holding the raw records read from one input
   * file: {@code <zone>/source=<source>/ingest_date=<date>/<base name>@<hash>.csv}. The base name
   * (after the last '/' or '\\') is encoded like a series id; the hash of the full path keeps two
   * inputs with the same base name apart. The same input of the same run always maps to the same
   * file, so a rerun of that run id replaces it; another run writes its own file.
   */
  public static String inputFile(
      String zone, String source, String ingestDate, String runId, String inputPath) {
    return inputFileStem(zone, source, ingestDate, runId, inputPath) + ".csv";
  }

  /** Starts the name of a streaming run's window file ({@link #windowFile}). */
  public static final String WINDOW_MARK = "@w";

  /**
   * Relative path of the file holding one pane of one window of a streaming run's records for
   * {@code source}: {@code <zone>/source=<source>/ingest_date=<UTC date of the window start>/
   * run_id=<run>/@w<start>-<end>-p<pane>.csv}, times as {@code yyyyMMdd'T'HHmmss'Z'} (UTC). Unique
   * per (run, window, pane), so a pane's file is written once and no other pane replaces it. No
   * series or input file name can start with '@w' ('@' is always percent-encoded there).
   */
  public static String windowFile(
      String zone, String source, String runId, long windowStart, long windowEnd, long pane) {
    java.time.format.DateTimeFormatter stamp =
        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(java.time.ZoneOffset.UTC);
    String date =
        java.time.format.DateTimeFormatter.ISO_LOCAL_DATE
            .withZone(java.time.ZoneOffset.UTC)
            .format(java.time.Instant.ofEpochMilli(windowStart));
    return runFolder(zone, source, date, runId)
        + WINDOW_MARK
        + stamp.format(java.time.Instant.ofEpochMilli(windowStart))
        + "-"
        + stamp.format(java.time.Instant.ofEpochMilli(windowEnd))
        + "-p"
        + pane
        + ".csv";
  }

  /** Marks the range index in the lake file of one range of a split input. */
  public static final String PART_MARK = "-part";

  /**
   * Relative path of the file holding the raw records read from range {@code part} of an input read
   * in line ranges (a csv source's {@code splitBytes}): {@link #inputFile}'s name with {@code
   * -partNNNNN} before {@code .csv}. No whole-input name can end so: after the '@' of an input name
   * come only the hash's hex digits.
   */
  public static String inputPartFile(
      String zone, String source, String ingestDate, String runId, String inputPath, int part) {
    if (part < 0) {
      throw new IllegalArgumentException("part must not be negative: " + part);
    }
    return inputFileStem(zone, source, ingestDate, runId, inputPath)
        + PART_MARK
        + String.format(java.util.Locale.ROOT, "%05d", part)
        + ".csv";
  }

  /** {@link #inputFile} without {@code .csv}. */
  public static String inputFileStem(
      String zone, String source, String ingestDate, String runId, String inputPath) {
    String base =
        inputPath.substring(Math.max(inputPath.lastIndexOf('/'), inputPath.lastIndexOf('\\')) + 1);
    return runFolder(zone, source, ingestDate, runId)
        + safeSegment(base)
        + INPUT_HASH_MARK
        + sha256Hex(inputPath).substring(0, INPUT_HASH_LENGTH);
  }

  /** A single path segment that is safe on every filesystem Beam writes to. */
  public static String safeSegment(String text) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      boolean safe =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-';
      if (safe) {
        out.append((char) c);
      } else {
        out.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    if (out.length() == 0) {
      return "@empty";
    }
    if (out.length() > MAX_SEGMENT) {
      return out.substring(0, MAX_SEGMENT - 17) + "~" + sha256Hex(text).substring(0, 16);
    }
    return out.toString();
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

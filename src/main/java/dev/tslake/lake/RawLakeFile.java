package dev.tslake.lake;

import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The raw records read from one input file, streamed into one lake CSV ({@link
 * LakePaths#inputFile}) by the step that reads the file, so the raw lake needs no shuffle.
 *
 * <p>One writer per input file, whatever the number of series in it: memory stays flat (a 64 KiB
 * buffer, plus the one multipart part Beam's S3 channel buffers per open file). Records go to a
 * temporary name under {@code <lake root>/.temp-tslake/}, through Beam's {@link FileSystems} (a
 * local directory, {@code s3://}, {@code gs://}); {@link #commit} renames it to the final name only
 * when the input was read to its end, replacing the file an earlier attempt of the same run id left
 * (the name holds the run id: another run's file is never replaced). {@link #close} without a
 * commit (the read failed) deletes the temporary file, so a failed or retried read never leaves a
 * half-written file under a final name. An input with no raw records (a FRED metadata file) has no
 * lake file; committing it removes one an earlier attempt of the same run id left.
 *
 * <p>A write that fails poisons the file: later writes and {@link #commit} throw that failure, so a
 * parser that turns exceptions into rejected records cannot make a partial file look complete. Same
 * CSV as {@link WriteToLake#raw} ({@link CsvSink}, header {@link RawRecord#CSV_HEADER}), so {@link
 * ReadRawLake} reads both alike.
 */
public final class RawLakeFile implements AutoCloseable {
  /** Folder of the temporary files, directly under the lake root. */
  public static final String TEMP_FOLDER = ".temp-tslake";

  private final String relativePath;
  private final ResourceId target;
  private final ResourceId temp;
  private @Nullable WritableByteChannel channel;
  private @Nullable CsvSink<RawRecord> sink;
  private @Nullable IOException failure;
  private long records;

  /** The temporary file may exist (its creation was attempted). */
  private boolean tempCreated;

  /** Commit started (or close ran): no more writes. */
  private boolean finished;

  /** The final file is in place (or, for no records, an old one removed): nothing to clean up. */
  private boolean done;

  private RawLakeFile(String lakeRoot, String relativePath) {
    String root = lakeRoot.endsWith("/") ? lakeRoot : lakeRoot + "/";
    this.relativePath = relativePath;
    this.target = FileSystems.matchNewResource(root + relativePath, false);
    String name = relativePath.substring(relativePath.lastIndexOf('/') + 1);
    this.temp =
        FileSystems.matchNewResource(
            root + TEMP_FOLDER + "/" + UUID.randomUUID() + "-" + name, false);
  }

  /** The lake file for the raw records of {@code inputPath} read for {@code source}. */
  public static RawLakeFile forInput(
      String lakeRoot, String source, String ingestDate, String runId, String inputPath) {
    return new RawLakeFile(
        lakeRoot, LakePaths.inputFile(LakePaths.RAW, source, ingestDate, runId, inputPath));
  }

  /** The lake file for the raw records of range {@code part} of {@code inputPath}. */
  public static RawLakeFile forInputPart(
      String lakeRoot, String source, String ingestDate, String runId, String inputPath, int part) {
    return new RawLakeFile(
        lakeRoot,
        LakePaths.inputPartFile(LakePaths.RAW, source, ingestDate, runId, inputPath, part));
  }

  /**
   * Removes what an earlier attempt of the same run id left for {@code inputPath} under other names
   * than this attempt writes (only inside this run's folder: other runs' files are never touched):
   * with {@code parts == 0} (read whole) every part file; otherwise the whole-input file and the
   * part files numbered {@code parts} and up. Without this a rerun with another {@code splitBytes}
   * would leave records twice in the lake. Files this run writes are never touched, so it may run
   * while the other ranges of the input are being written.
   */
  public static void removeOtherLayouts(
      String lakeRoot, String source, String ingestDate, String runId, String inputPath, int parts)
      throws IOException {
    String root = lakeRoot.endsWith("/") ? lakeRoot : lakeRoot + "/";
    String stem = LakePaths.inputFileStem(LakePaths.RAW, source, ingestDate, runId, inputPath);
    List<ResourceId> stale = new java.util.ArrayList<>();
    if (parts > 0) {
      stale.add(FileSystems.matchNewResource(root + stem + ".csv", false));
    }
    org.apache.beam.sdk.io.fs.MatchResult m =
        FileSystems.match(
            root + stem + LakePaths.PART_MARK + "*.csv",
            org.apache.beam.sdk.io.fs.EmptyMatchTreatment.ALLOW);
    if (m.status() == org.apache.beam.sdk.io.fs.MatchResult.Status.OK) {
      for (org.apache.beam.sdk.io.fs.MatchResult.Metadata md : m.metadata()) {
        String name = md.resourceId().getFilename();
        String digits =
            name == null
                ? ""
                : name.substring(
                    name.lastIndexOf(LakePaths.PART_MARK) + LakePaths.PART_MARK.length(),
                    name.length() - ".csv".length());
        if (!digits.matches("[0-9]{5,9}") || Integer.parseInt(digits) >= parts) {
          stale.add(md.resourceId());
        }
      }
    }
    FileSystems.delete(stale, StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /** Path of the final file under the lake root. */
  public String relativePath() {
    return relativePath;
  }

  public ResourceId target() {
    return target;
  }

  public long records() {
    return records;
  }

  /** Appends one record; opens the temporary file on the first. */
  public void write(RawRecord record) throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (finished) {
      throw new IllegalStateException("lake file " + target + " is already committed or closed");
    }
    try {
      if (sink == null) {
        tempCreated = true;
        channel = FileSystems.create(temp, "text/csv");
        CsvSink<RawRecord> s = new CsvSink<>(RawRecord.CSV_HEADER, RawRecord::toCsvRow);
        s.open(channel);
        sink = s;
      }
      sink.write(record);
      records++;
    } catch (IOException | RuntimeException e) {
      failure =
          e instanceof IOException
              ? (IOException) e
              : new IOException("cannot write raw lake file " + temp + ": " + e, e);
      throw failure;
    }
  }

  /** {@link #write} for callbacks that cannot throw checked exceptions. */
  public void writeUnchecked(RawRecord record) {
    try {
      write(record);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The input was read to its end: completes the temporary file and renames it to the final name
   * (replacing an earlier one). With no records, removes an earlier run's file of this input.
   */
  public void commit() throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (finished) {
      throw new IllegalStateException("lake file " + target + " is already committed or closed");
    }
    finished = true;
    if (sink == null) {
      FileSystems.delete(List.of(target), StandardMoveOptions.IGNORE_MISSING_FILES);
      done = true;
      return;
    }
    sink.flush();
    WritableByteChannel c = channel;
    channel = null;
    c.close(); // on S3 this completes the upload; a failure here leaves the final name untouched
    FileSystems.rename(List.of(temp), List.of(target));
    done = true;
  }

  /** Without a commit: discards the temporary file. After one: nothing left to do. */
  @Override
  public void close() throws IOException {
    finished = true;
    if (done) {
      return;
    }
    IOException problem = null;
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException | RuntimeException e) {
        problem = e instanceof IOException ? (IOException) e : new IOException(e);
      }
      channel = null;
    }
    if (tempCreated) {
      try {
        FileSystems.delete(List.of(temp), StandardMoveOptions.IGNORE_MISSING_FILES);
      } catch (IOException | RuntimeException e) {
        IOException d = new IOException("cannot delete temporary lake file " + temp, e);
        if (problem == null) {
          problem = d;
        } else {
          problem.addSuppressed(d);
        }
      }
    }
    if (problem != null) {
      throw problem;
    }
  }
}

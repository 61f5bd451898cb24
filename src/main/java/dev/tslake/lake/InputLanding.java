package dev.tslake.lake;

import dev.tslake.model.RawRecord;
import java.io.IOException;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * The raw lake file of one input being read (a whole file, or one line range of a csv file): its
 * records are written as they are read and the file is committed only once the reader read the
 * input to its end and the counts agree; closed before that, it is aborted (its temporary file
 * deleted, no final file). {@link LandRawFiles} lands a reader's marked stream with it; the
 * one-pass batch graph calls it from its reading step.
 *
 * <pre>{@code
 * try (InputLanding lake = InputLanding.open(root, date, runId, source, path, part, parts, csv)) {
 *   for (RawRecord r : records) lake.write(r);
 *   lake.commit(records.size());
 * }
 * }</pre>
 */
public final class InputLanding implements AutoCloseable {
  private static final Counter FILES = Metrics.counter(LandRawFiles.class, "raw_lake_files");
  private static final Counter ABORTED =
      Metrics.counter(LandRawFiles.class, "raw_lake_files_aborted");

  private final String lakeRoot;
  private final String source;
  private final String ingestDate;
  private final String runId;
  private final String origin;
  private final int part;
  private final int parts;
  private final boolean splittable;
  private final RawLakeFile file;
  private boolean done;

  private InputLanding(
      String lakeRoot,
      String ingestDate,
      String runId,
      String source,
      String origin,
      int part,
      int parts,
      boolean splittable) {
    this.lakeRoot = lakeRoot;
    this.source = source;
    this.ingestDate = ingestDate;
    this.runId = runId;
    this.origin = origin;
    this.part = part;
    this.parts = parts;
    this.splittable = splittable;
    this.file =
        part >= 0
            ? RawLakeFile.forInputPart(lakeRoot, source, ingestDate, runId, origin, part)
            : RawLakeFile.forInput(lakeRoot, source, ingestDate, runId, origin);
  }

  /**
   * The lake file of range {@code part} of {@code parts} of {@code origin} ({@code part} -1 and
   * {@code parts} 0 for a whole input); {@code splittable}: the source may be read in ranges (csv),
   * so an earlier attempt of this run id may have left the input under another layout.
   */
  public static InputLanding open(
      String lakeRoot,
      String ingestDate,
      String runId,
      String source,
      String origin,
      int part,
      int parts,
      boolean splittable) {
    return new InputLanding(lakeRoot, ingestDate, runId, source, origin, part, parts, splittable);
  }

  public void write(RawRecord record) throws IOException {
    file.write(record);
  }

  /**
   * Commits the file once the reader emitted {@code emitted} records for the input (a different
   * count of records written fails); true when a file with records was committed. An input read
   * whole or as a first range then removes what an earlier attempt of this run id left for it under
   * another layout, so a replay reads each record once (only this run's folder).
   */
  public boolean commit(long emitted) throws IOException {
    done = true;
    boolean any;
    try (RawLakeFile lake = file) {
      if (lake.records() != emitted) {
        throw new IllegalStateException(
            "lake file "
                + lake.relativePath()
                + " got "
                + lake.records()
                + " records, the reader emitted "
                + emitted);
      }
      lake.commit();
      any = lake.records() > 0;
    }
    FILES.inc();
    if (splittable && part <= 0) {
      RawLakeFile.removeOtherLayouts(lakeRoot, source, ingestDate, runId, origin, parts);
    }
    return any;
  }

  /** Aborts the file unless it was committed. */
  @Override
  public void close() throws IOException {
    if (!done) {
      done = true;
      ABORTED.inc();
      file.close();
    }
  }
}

package dev.tslake.lake;

import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.transform.CountElements;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;

/**
 * Lands records in the lake as CSV with a header, one file per (zone, source, ingest date, run id,
 * series). File names are deterministic per run: a rerun of the same run id replaces its own files,
 * another run (another run id) writes beside them and never replaces them; Beam writes to a
 * temporary folder inside the lake root and renames, so a failed run leaves no half-written file
 * under a final name. {@link #committedFiles} counts the files once they are in place.
 */
public final class WriteToLake<T> extends PTransform<PCollection<T>, WriteFilesResult<String>> {
  private final String lakeRoot;
  private final String zone;
  private final String ingestDate;
  private final String runId;
  private final String[] header;
  private final SerializableFunction<T, String> source;
  private final SerializableFunction<T, String> series;
  private final SerializableFunction<T, String[]> toRow;

  private WriteToLake(
      String lakeRoot,
      String zone,
      String ingestDate,
      String runId,
      String[] header,
      SerializableFunction<T, String> source,
      SerializableFunction<T, String> series,
      SerializableFunction<T, String[]> toRow) {
    this.lakeRoot = lakeRoot;
    this.zone = zone;
    this.ingestDate = ingestDate;
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("WriteToLake needs a run id");
    }
    this.runId = runId;
    this.header = header;
    this.source = source;
    this.series = series;
    this.toRow = toRow;
  }

  /** Raw records under {@code raw/}. */
  public static WriteToLake<RawRecord> raw(String lakeRoot, String ingestDate, String runId) {
    return new WriteToLake<>(
        lakeRoot,
        LakePaths.RAW,
        ingestDate,
        runId,
        RawRecord.CSV_HEADER,
        r -> r.source,
        r -> r.seriesId,
        RawRecord::toCsvRow);
  }

  /**
   * Raw records of an unbounded run, one file per source, event-time window of {@code period} and
   * pane: see {@link WriteWindowedToLake}.
   */
  public static WriteWindowedToLake<RawRecord> rawWindowed(
      String lakeRoot, String runId, org.joda.time.Duration period) {
    return new WriteWindowedToLake<>(
        lakeRoot,
        LakePaths.RAW,
        runId,
        period,
        WriteWindowedToLake.DEFAULT_ALLOWED_LATENESS,
        RawRecord.CSV_HEADER,
        r -> r.source,
        RawRecord::toCsvRow);
  }

  /** Rejected records of an unbounded run under {@code rejected/}, as {@link #rawWindowed}. */
  public static WriteWindowedToLake<Reject> rejectedWindowed(
      String lakeRoot, String runId, org.joda.time.Duration period) {
    return new WriteWindowedToLake<>(
        lakeRoot,
        LakePaths.REJECTED,
        runId,
        period,
        WriteWindowedToLake.DEFAULT_ALLOWED_LATENESS,
        Reject.CSV_HEADER,
        r -> r.record.source,
        Reject::toCsvRow);
  }

  /** Rejected records, with stage and reason, under {@code rejected/}. */
  public static WriteToLake<Reject> rejected(String lakeRoot, String ingestDate, String runId) {
    return new WriteToLake<>(
        lakeRoot,
        LakePaths.REJECTED,
        ingestDate,
        runId,
        Reject.CSV_HEADER,
        r -> r.record.source,
        r -> r.record.seriesId,
        Reject::toCsvRow);
  }

  @Override
  public WriteFilesResult<String> expand(PCollection<T> input) {
    String zone = this.zone;
    String ingestDate = this.ingestDate;
    String runId = this.runId;
    SerializableFunction<T, String> source = this.source;
    SerializableFunction<T, String> series = this.series;
    String[] header = this.header;
    SerializableFunction<T, String[]> toRow = this.toRow;
    return input.apply(
        "WriteCsv",
        FileIO.<String, T>writeDynamic()
            .by(e -> LakePaths.file(zone, source.apply(e), ingestDate, runId, series.apply(e)))
            .withDestinationCoder(StringUtf8Coder.of())
            .via(Contextful.fn(dest -> new CsvSink<>(header, toRow)))
            .to(lakeRoot)
            .withNaming(dest -> (window, pane, numShards, shardIndex, compression) -> dest)
            .withNumShards(1));
  }

  /**
   * How many files a {@link WriteToLake} put in place, as partial counts (one per bundle, none when
   * there was nothing to write) whose sum is the number: emitted only after Beam renamed every file
   * to its final name, so a step that gathers them (RecordRun) runs after the write committed.
   */
  public static PCollection<Long> committedFiles(WriteFilesResult<String> written, String name) {
    return written
        .getPerDestinationOutputFilenames()
        .apply(name + "Files", CountElements.perBundle());
  }
}

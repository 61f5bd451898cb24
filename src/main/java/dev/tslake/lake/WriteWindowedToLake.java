package dev.tslake.lake;

import dev.tslake.model.RawRecord;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Lands the raw records of an unbounded (streaming) run in the lake: per source and event-time
 * window of {@code period} (fixed windows on the records' timestamps), one CSV file per pane, in
 * the same format (header {@link RawRecord#CSV_HEADER}) and partition layout as batch raw files
 * ({@code raw/source=<s>/ingest_date=<date of the window start>/run_id=<run>/}), named {@link
 * LakePaths#windowFile} ({@code @w<start>-<end>-p<pane>.csv}). {@link ReadRawLake} replays them
 * like any other raw file.
 *
 * <p>A window's on-time pane fires when the watermark passes its end; records arriving later (up to
 * {@code allowedLateness}) fire further panes, each its own file: a committed file is never
 * rewritten (Beam writes to a temporary folder and renames; a retried bundle writes the same name
 * with the same content). Records later than {@code allowedLateness} are dropped by the windowing
 * (Beam's {@code droppedDueToLateness} counter): stamp raw records with their fetch time (which the
 * watermark of a polling source follows) so that none is late.
 */
public final class WriteWindowedToLake<T>
    extends PTransform<PCollection<T>, WriteFilesResult<String>> {
  /** Default lateness after which a window accepts no more records. */
  public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.standardDays(1);

  private final String lakeRoot;
  private final String zone;
  private final String runId;
  private final Duration period;
  private final Duration allowedLateness;
  private final String[] header;
  private final SerializableFunction<T, String> source;
  private final SerializableFunction<T, String[]> toRow;

  WriteWindowedToLake(
      String lakeRoot,
      String zone,
      String runId,
      Duration period,
      Duration allowedLateness,
      String[] header,
      SerializableFunction<T, String> source,
      SerializableFunction<T, String[]> toRow) {
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("WriteWindowedToLake needs a run id");
    }
    if (period == null || !period.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("the window period must be positive: " + period);
    }
    if (allowedLateness == null || allowedLateness.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("allowed lateness must not be negative");
    }
    this.lakeRoot = lakeRoot;
    this.zone = zone;
    this.runId = runId;
    this.period = period;
    this.allowedLateness = allowedLateness;
    this.header = header;
    this.source = source;
    this.toRow = toRow;
  }

  /** Records later than {@code lateness} after their window's end are dropped. */
  public WriteWindowedToLake<T> withAllowedLateness(Duration lateness) {
    return new WriteWindowedToLake<>(
        lakeRoot, zone, runId, period, lateness, header, source, toRow);
  }

  @Override
  public WriteFilesResult<String> expand(PCollection<T> input) {
    String runId = this.runId;
    String zone = this.zone;
    String[] header = this.header;
    SerializableFunction<T, String[]> toRow = this.toRow;
    return input
        .apply(
            "Window",
            Window.<T>into(FixedWindows.of(period))
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(allowedLateness)
                .discardingFiredPanes())
        .apply(
            "WriteWindowedCsv",
            FileIO.<String, T>writeDynamic()
                .by(source)
                .withDestinationCoder(StringUtf8Coder.of())
                .via(Contextful.fn(dest -> new CsvSink<>(header, toRow)))
                .to(lakeRoot)
                .withNaming(
                    source ->
                        (window, pane, numShards, shardIndex, compression) -> {
                          IntervalWindow w = (IntervalWindow) window;
                          return LakePaths.windowFile(
                              zone,
                              source,
                              runId,
                              w.start().getMillis(),
                              w.end().getMillis(),
                              pane.getIndex());
                        })
                .withNumShards(1));
  }
}

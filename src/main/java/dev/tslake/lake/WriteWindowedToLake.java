package dev.tslake.lake;

import dev.tslake.model.RawRecord;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.PTransform;
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
public final class WriteWindowedToLake
    extends PTransform<PCollection<RawRecord>, WriteFilesResult<String>> {
  /** Default lateness after which a window accepts no more records. */
  public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.standardDays(1);

  private final String lakeRoot;
  private final String runId;
  private final Duration period;
  private final Duration allowedLateness;

  WriteWindowedToLake(String lakeRoot, String runId, Duration period, Duration allowedLateness) {
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
    this.runId = runId;
    this.period = period;
    this.allowedLateness = allowedLateness;
  }

  /** Records later than {@code lateness} after their window's end are dropped. */
  public WriteWindowedToLake withAllowedLateness(Duration lateness) {
    return new WriteWindowedToLake(lakeRoot, runId, period, lateness);
  }

  @Override
  public WriteFilesResult<String> expand(PCollection<RawRecord> input) {
    String runId = this.runId;
    return input
        .apply(
            "WindowRaw",
            Window.<RawRecord>into(FixedWindows.of(period))
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(allowedLateness)
                .discardingFiredPanes())
        .apply(
            "WriteWindowedCsv",
            FileIO.<String, RawRecord>writeDynamic()
                .by(r -> r.source)
                .withDestinationCoder(StringUtf8Coder.of())
                .via(
                    Contextful.fn(dest -> new CsvSink<>(RawRecord.CSV_HEADER, RawRecord::toCsvRow)))
                .to(lakeRoot)
                .withNaming(
                    source ->
                        (window, pane, numShards, shardIndex, compression) -> {
                          IntervalWindow w = (IntervalWindow) window;
                          return LakePaths.windowFile(
                              LakePaths.RAW,
                              source,
                              runId,
                              w.start().getMillis(),
                              w.end().getMillis(),
                              pane.getIndex());
                        })
                .withNumShards(1));
  }
}

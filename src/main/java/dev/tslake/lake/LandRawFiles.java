package dev.tslake.lake;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Lands the raw zone of file sources: applied to a reader's raw stream with input markers ({@link
 * RawRecord#inputStart}, {@link RawRecord#inputEnd}), it streams each input's records into that
 * input's lake file ({@link RawLakeFile}: one CSV per input file, or per line range of a file read
 * in ranges) and passes the records through unchanged; the markers are dropped.
 *
 * <p>It is a plain {@link ParDo}; applied to a reader's output with no shuffle and no flatten in
 * between (ReadSources applies it so: {@code ReadSources.withRawLanding}), the runner fuses it with
 * the reader (on Flink the two run chained in one thread; the DirectRunner hands it the reader's
 * output bundle as one bundle): it sees an input's elements in the order the reader emitted them,
 * and landing costs no shuffle. A lake file is opened at its input's start marker and committed
 * (renamed to its final name, then other layouts of the input removed) at its end marker, which the
 * reader emits only when it read the input to its end. Files stay open across bundle boundaries
 * (Flink ends a bundle every 1000 elements); a file still open when the step is torn down, or when
 * its input starts again before it ended (the read failed and is retried), is aborted: its
 * temporary file is deleted and no final file appears.
 *
 * <pre>{@code
 * PCollectionTuple read =
 *     p.apply(ReadSources.from(config)
 *         .withRawLanding(LandRawFiles.to(lakeRoot, ingestDate, config)));
 * }</pre>
 */
public final class LandRawFiles extends PTransform<PCollection<RawRecord>, PCollection<RawRecord>> {
  private final String lakeRoot;
  private final String ingestDate;

  /** Sources whose inputs may have been read in ranges (csv): other layouts to remove. */
  private final Set<String> splittableSources;

  private LandRawFiles(String lakeRoot, String ingestDate, Set<String> splittableSources) {
    this.lakeRoot = lakeRoot;
    this.ingestDate = ingestDate;
    this.splittableSources = splittableSources;
  }

  /**
   * Raw records to {@code <lakeRoot>/raw/source=<source>/ingest_date=<ingestDate>/}, one file per
   * input ({@link LakePaths#inputFile}, {@link LakePaths#inputPartFile}); {@code config} tells
   * which sources are csv (only those can be read in ranges, so only their inputs can have lake
   * files of another layout left by an earlier run of the day).
   */
  public static LandRawFiles to(String lakeRoot, String ingestDate, PipelineConfig config) {
    if (lakeRoot == null || lakeRoot.isBlank() || ingestDate == null || ingestDate.isBlank()) {
      throw new IllegalArgumentException("LandRawFiles needs a lake root and an ingest date");
    }
    Set<String> csv = new HashSet<>();
    for (SourceConfig s : config.sources) {
      if (s.type == SourceType.CSV) {
        csv.add(s.name);
      }
    }
    return new LandRawFiles(lakeRoot, ingestDate, csv);
  }

  @Override
  public PCollection<RawRecord> expand(PCollection<RawRecord> raw) {
    return raw.apply(
            "LandRawRecords", ParDo.of(new LandFn(lakeRoot, ingestDate, splittableSources)))
        .setCoder(RawRecord.Coder.of());
  }

  static final class LandFn extends DoFn<RawRecord, RawRecord> {
    private final String lakeRoot;
    private final String ingestDate;
    private final Set<String> splittableSources;
    private final Counter files = Metrics.counter(LandRawFiles.class, "raw_lake_files");
    private final Counter aborted = Metrics.counter(LandRawFiles.class, "raw_lake_files_aborted");

    /**
     * The inputs whose records are arriving, by source and input path (a record's origin): one
     * reader thread reads one input at a time, but this step keeps working if it is handed the
     * streams of several.
     */
    private transient @Nullable Map<String, Open> open;

    /** An input's lake file and the marker that opened it. */
    private static final class Open {
      final RawRecord start;
      final RawLakeFile file;

      Open(RawRecord start, RawLakeFile file) {
        this.start = start;
        this.file = file;
      }
    }

    LandFn(String lakeRoot, String ingestDate, Set<String> splittableSources) {
      this.lakeRoot = lakeRoot;
      this.ingestDate = ingestDate;
      this.splittableSources = splittableSources;
    }

    private static String key(RawRecord r) {
      return r.source + '\u0000' + r.origin;
    }

    @ProcessElement
    public void process(@Element RawRecord element, OutputReceiver<RawRecord> out)
        throws IOException {
      if (open == null) {
        open = new HashMap<>();
      }
      switch (element.kind) {
        case INPUT_START:
          abort(open.remove(key(element))); // started again without an end: that read failed
          RawLakeFile file =
              element.markerPart() >= 0
                  ? RawLakeFile.forInputPart(
                      lakeRoot, element.source, ingestDate, element.origin, element.markerPart())
                  : RawLakeFile.forInput(lakeRoot, element.source, ingestDate, element.origin);
          open.put(key(element), new Open(element, file));
          return;
        case INPUT_END:
          commit(open.remove(key(element)), element);
          return;
        default:
          Open input = open.get(key(element));
          if (input == null) {
            throw new IllegalStateException(
                "raw record outside any input (no input-start marker before it): " + element);
          }
          input.file.write(element);
          out.output(element);
      }
    }

    private void commit(@Nullable Open input, RawRecord end) throws IOException {
      if (input == null || input.start.markerPart() != end.markerPart()) {
        abort(input);
        throw new IllegalStateException(
            "input-end marker "
                + end
                + " does not close an open input"
                + (input == null ? "" : " (open: " + input.start + ")"));
      }
      try (RawLakeFile lake = input.file) {
        if (lake.records() != end.markerRecords()) {
          throw new IllegalStateException(
              "lake file "
                  + lake.relativePath()
                  + " got "
                  + lake.records()
                  + " records, the reader emitted "
                  + end.markerRecords());
        }
        lake.commit();
      }
      files.inc();
      // An input read whole or as a first range removes what an earlier run of the day left for it
      // under another layout, so a replay reads each record once.
      if (splittableSources.contains(end.source) && end.markerPart() <= 0) {
        RawLakeFile.removeOtherLayouts(
            lakeRoot, end.source, ingestDate, end.origin, end.markerParts());
      }
    }

    /** Discards the temporary file of an input that did not end. */
    private void abort(@Nullable Open input) throws IOException {
      if (input != null) {
        aborted.inc();
        input.file.close();
      }
    }

    @Teardown
    public void teardown() throws IOException {
      if (open == null) {
        return;
      }
      IOException problem = null;
      for (Open input : open.values()) {
        try {
          abort(input);
        } catch (IOException e) {
          if (problem == null) {
            problem = e;
          } else {
            problem.addSuppressed(e);
          }
        }
      }
      open.clear();
      if (problem != null) {
        throw problem;
      }
    }
  }
}

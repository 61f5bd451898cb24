package dev.tslake.lake;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
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
 *         .withRawLanding(LandRawFiles.to(lakeRoot, ingestDate, runId, config)));
 * }</pre>
 */
public final class LandRawFiles extends PTransform<PCollection<RawRecord>, PCollection<RawRecord>> {
  private final String lakeRoot;
  private final String ingestDate;
  private final String runId;

  /** Sources whose inputs may have been read in ranges (csv): other layouts to remove. */
  private final Set<String> splittableSources;

  private LandRawFiles(
      String lakeRoot, String ingestDate, String runId, Set<String> splittableSources) {
    this.lakeRoot = lakeRoot;
    this.ingestDate = ingestDate;
    this.runId = runId;
    this.splittableSources = splittableSources;
  }

  static final TupleTag<Long> COMMITTED = new TupleTag<Long>() {};

  /** The committed-file counts of every application ({@link #committedFiles}); graph-build only. */
  private transient @Nullable List<PCollection<Long>> committed;

  /**
   * Raw records to {@code <lakeRoot>/raw/source=<source>/ingest_date=<ingestDate>/run_id=<runId>/},
   * one file per input ({@link LakePaths#inputFile}, {@link LakePaths#inputPartFile}); {@code
   * config} tells which sources are csv (only those can be read in ranges, so only their inputs can
   * have lake files of another layout left by an earlier attempt of the same run id).
   */
  public static LandRawFiles to(
      String lakeRoot, String ingestDate, String runId, PipelineConfig config) {
    if (lakeRoot == null
        || lakeRoot.isBlank()
        || ingestDate == null
        || ingestDate.isBlank()
        || runId == null
        || runId.isBlank()) {
      throw new IllegalArgumentException(
          "LandRawFiles needs a lake root, an ingest date and a run id");
    }
    Set<String> csv = new HashSet<>();
    for (SourceConfig s : config.sources) {
      if (s.type == SourceType.CSV) {
        csv.add(s.name);
      }
    }
    return new LandRawFiles(lakeRoot, ingestDate, runId, csv);
  }

  @Override
  public PCollection<RawRecord> expand(PCollection<RawRecord> raw) {
    PCollectionTuple out =
        raw.apply(
            "LandRawRecords",
            ParDo.of(new LandFn(lakeRoot, ingestDate, runId, splittableSources))
                .withOutputTags(LandFn.RECORDS, TupleTagList.of(COMMITTED)));
    out.get(COMMITTED).setCoder(VarLongCoder.of());
    if (committed == null) {
      committed = new ArrayList<>();
    }
    committed.add(out.get(COMMITTED));
    return out.get(LandFn.RECORDS).setCoder(RawRecord.Coder.in(raw.getPipeline()));
  }

  /**
   * The number of lake files committed by every application of this transform so far (a reader step
   * applies it once per kind of reader), as partial counts to sum: each count is emitted only after
   * its files are in place, so a step that waits for their sum (a side input) waits for the raw
   * landing. Call it after the pipeline's sources are applied; empty when none was.
   */
  public PCollection<Long> committedFiles(Pipeline pipeline) {
    if (committed == null || committed.isEmpty()) {
      return pipeline.apply("NoRawLakeFiles", Create.empty(VarLongCoder.of()));
    }
    PCollectionList<Long> all = PCollectionList.empty(pipeline);
    for (PCollection<Long> c : committed) {
      all = all.and(c);
    }
    return all.apply("RawLakeFilesCommitted", Flatten.pCollections());
  }

  static final class LandFn extends DoFn<RawRecord, RawRecord> {
    static final TupleTag<RawRecord> RECORDS = new TupleTag<RawRecord>() {};
    private final String lakeRoot;
    private final String ingestDate;
    private final String runId;
    private final Set<String> splittableSources;

    /**
     * The inputs whose records are arriving, by source and input path (a record's origin): one
     * reader thread reads one input at a time, but this step keeps working if it is handed the
     * streams of several.
     */
    private transient @Nullable Map<String, Open> open;

    /** Files committed in this bundle, emitted as one count when it finishes. */
    private transient long committed;

    /** An input's lake file and the marker that opened it. */
    private static final class Open {
      final RawRecord start;
      final InputLanding file;

      Open(RawRecord start, InputLanding file) {
        this.start = start;
        this.file = file;
      }
    }

    LandFn(String lakeRoot, String ingestDate, String runId, Set<String> splittableSources) {
      this.lakeRoot = lakeRoot;
      this.ingestDate = ingestDate;
      this.runId = runId;
      this.splittableSources = splittableSources;
    }

    private static String key(RawRecord r) {
      return r.source + '\u0000' + r.origin;
    }

    @StartBundle
    public void startBundle() {
      committed = 0;
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) {
      if (committed > 0) {
        ctx.output(
            COMMITTED, committed, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
        committed = 0;
      }
    }

    @ProcessElement
    public void process(@Element RawRecord element, MultiOutputReceiver receiver)
        throws IOException {
      OutputReceiver<RawRecord> out = receiver.get(RECORDS);
      if (open == null) {
        open = new HashMap<>();
      }
      switch (element.kind) {
        case INPUT_START:
          abort(open.remove(key(element))); // started again without an end: that read failed
          InputLanding file =
              InputLanding.open(
                  lakeRoot,
                  ingestDate,
                  runId,
                  element.source,
                  element.origin,
                  element.markerPart(),
                  element.markerParts(),
                  splittableSources.contains(element.source));
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
      try (InputLanding lake = input.file) {
        if (lake.commit(end.markerRecords())) {
          committed++;
        }
      }
    }

    /** Discards the temporary file of an input that did not end. */
    private void abort(@Nullable Open input) throws IOException {
      if (input != null) {
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

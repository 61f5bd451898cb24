package dev.tslake.sources;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The unbounded counterpart of {@link ReadSources}, for streaming runs: the {@code files} globs of
 * every file source with a {@code watch} interval are listed again at that interval (a {@link
 * Ticks} source per pattern, {@code FileSystems.match} on each tick), and each new file is read
 * once, by the same readers as a batch run ({@link ReadSources.ParseFileFn}, {@link
 * ReadSources.ReadParquetFn}; whole files, no {@code splitBytes} ranges, no input markers), into
 * {@link ReadSources#RAW} and {@link ReadSources#SERIES}.
 *
 * <p>Once per file: a step keyed by source and path ({@link OnceFn}) keeps, in Beam state, the
 * files it has passed and drops every later listing of them (a file rewritten under the same name
 * is not read again; a file matched by two patterns is read once). That state is checkpointed with
 * the job on Flink: a job restored from a checkpoint neither re-reads the files it had passed
 * before that checkpoint nor misses the ones that appeared since (the next listing finds them). A
 * job started afresh (no checkpoint) reads every matching file again, as a batch run would.
 *
 * <p>Not {@code FileIO.match().continuously} (Beam's {@code Watch}): on the Flink runner (Beam
 * 2.62, Flink 1.19) its splittable DoFn re-polled in a tight loop instead of waiting its interval
 * and logged each round (~5,000 "will resume polling in 1000 ms" lines a second, 1 GB of
 * TaskManager log in 3 minutes). Beam's {@code PeriodicImpulse} ticks spun there too (silently),
 * and no checkpoint completed while they ran: hence {@link Ticks}, a native unbounded source.
 *
 * <p>With {@code stopAfter} each glob is listed at once, then once per interval until {@code
 * stopAfter} after that first listing (no catching up: a job restored after an outage lists once,
 * not once per missed interval), then the stream ends and the run finishes; without it the globs
 * are listed until the job is cancelled.
 */
public final class WatchFiles extends PTransform<PBegin, PCollectionTuple> {
  private final PipelineConfig config;
  private final java.time.@Nullable Duration stopAfter;

  private WatchFiles(PipelineConfig config, java.time.@Nullable Duration stopAfter) {
    this.config = config;
    this.stopAfter = stopAfter;
  }

  /** Watches the sources of {@code config} that have a {@code watch} interval. */
  public static WatchFiles of(PipelineConfig config, java.time.@Nullable Duration stopAfter) {
    return new WatchFiles(config, stopAfter);
  }

  /** The sources this transform watches: file sources with a {@code watch} interval. */
  public static List<SourceConfig> watched(PipelineConfig config) {
    List<SourceConfig> out = new ArrayList<>();
    for (SourceConfig s : config.sources) {
      if (!s.isLive() && s.watch != null) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    PCollectionList<RawRecord> raw = PCollectionList.empty(begin.getPipeline());
    PCollectionList<SeriesInfo> series = PCollectionList.empty(begin.getPipeline());
    for (SourceConfig s : watched(config)) {
      PCollectionList<KV<String, FileTask>> found = PCollectionList.empty(begin.getPipeline());
      List<FileEntry> entries = new ArrayList<>(s.files);
      entries.addAll(s.metadataFiles);
      Duration interval = Duration.millis(s.watchInterval().toMillis());
      for (int i = 0; i < entries.size(); i++) {
        FileEntry entry = entries.get(i);
        // one listing at once, then one per interval; no burst of missed ticks after an outage
        Ticks ticks =
            Ticks.every(interval)
                .stoppingAfter(stopAfter == null ? null : Duration.millis(stopAfter.toMillis()));
        found =
            found.and(
                begin
                    .apply("Watch-" + s.name + "-" + i, ticks.read())
                    .apply(
                        "List-" + s.name + "-" + i,
                        ParDo.of(new ListFn(s, entry.path, entry.seriesId, entry.vintage)))
                    .setCoder(
                        KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(FileTask.class))));
      }
      PCollectionTuple read =
          found
              .apply("AllFound-" + s.name, Flatten.pCollections())
              .apply("OncePerFile-" + s.name, ParDo.of(new OnceFn()))
              .setCoder(SerializableCoder.of(FileTask.class))
              .apply(
                  "Read-" + s.name,
                  ParDo.of(
                          s.type == SourceType.PARQUET
                              ? new ReadSources.ReadParquetFn(config, false)
                              : new ReadSources.ParseFileFn(config, false))
                      .withOutputTags(ReadSources.RAW, TupleTagList.of(ReadSources.SERIES)));
      raw = raw.and(read.get(ReadSources.RAW).setCoder(RawRecord.Coder.of()));
      series = series.and(read.get(ReadSources.SERIES).setCoder(SeriesInfo.coder()));
    }
    if (raw.size() == 0) {
      return PCollectionTuple.of(
              ReadSources.RAW, begin.apply("NoWatchedRaw", Create.empty(RawRecord.Coder.of())))
          .and(
              ReadSources.SERIES, begin.apply("NoWatchedSeries", Create.empty(SeriesInfo.coder())));
    }
    return PCollectionTuple.of(
            ReadSources.RAW, raw.apply("AllWatchedRecords", Flatten.pCollections()))
        .and(ReadSources.SERIES, series.apply("AllWatchedSeries", Flatten.pCollections()));
  }

  /**
   * Lists one pattern on each tick ({@code FileSystems.match}, an empty match allowed) and makes a
   * task of every file found, keyed by source and path; {@link OnceFn} passes each key once.
   */
  static final class ListFn extends DoFn<org.joda.time.Instant, KV<String, FileTask>> {
    private final String pattern;
    private final ToTaskFn toTask;

    ListFn(
        SourceConfig source, String pattern, @Nullable String seriesId, @Nullable String vintage) {
      this.pattern = pattern;
      this.toTask = new ToTaskFn(source, seriesId, vintage);
    }

    @ProcessElement
    public void process(OutputReceiver<KV<String, FileTask>> out) throws java.io.IOException {
      MatchResult match = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW);
      if (match.status() == MatchResult.Status.NOT_FOUND) {
        return;
      }
      for (MatchResult.Metadata file : match.metadata()) {
        toTask.process(file, out);
      }
    }
  }

  /** A matched file as the task a batch run would make of it, keyed by source and path. */
  static final class ToTaskFn extends DoFn<MatchResult.Metadata, KV<String, FileTask>> {
    private final SourceConfig source;
    private final @Nullable String seriesId;
    private final @Nullable String vintage;

    ToTaskFn(SourceConfig source, @Nullable String seriesId, @Nullable String vintage) {
      this.source = source;
      this.seriesId = seriesId;
      this.vintage = vintage;
    }

    @ProcessElement
    public void process(
        @Element MatchResult.Metadata file, OutputReceiver<KV<String, FileTask>> out) {
      if (file.resourceId().isDirectory()) {
        return;
      }
      String path = file.resourceId().toString();
      String hint = seriesId != null ? seriesId : ReadSources.seriesIdFromFileName(source, path);
      FileTask task =
          new FileTask(source.name, path, hint, vintage != null ? vintage : source.vintage);
      out.output(KV.of(source.name + '\u0000' + path, task));
    }
  }

  /** Passes each (source, path) once, however many patterns matched it. */
  static final class OnceFn extends DoFn<KV<String, FileTask>, FileTask> {
    @StateId("seen")
    private final StateSpec<ValueState<Boolean>> seenSpec = StateSpecs.value(BooleanCoder.of());

    @ProcessElement
    public void process(
        @Element KV<String, FileTask> file,
        @StateId("seen") ValueState<Boolean> seen,
        OutputReceiver<FileTask> out) {
      if (seen.read() == null) {
        seen.write(true);
        out.output(file.getValue());
      }
    }
  }
}

package dev.tslake.onepass;

import dev.tslake.aggregate.WindowFolds;
import dev.tslake.aggregate.WindowedStats;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.config.TimestampParser;
import dev.tslake.lake.InputLanding;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.model.SeriesInfo;
import dev.tslake.sources.FileTask;
import dev.tslake.sources.ParseOutput;
import dev.tslake.sources.ReadSources;
import dev.tslake.sources.SpreadTasks;
import dev.tslake.transform.DedupLatestVintage;
import dev.tslake.transform.ValidateAndClean;
import dev.tslake.transform.Validated;
import dev.tslake.warehouse.BatchWriter;
import dev.tslake.warehouse.StoredKeyRanges;
import dev.tslake.warehouse.Tables;
import dev.tslake.warehouse.UpsertBatches;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A batch run's file sources read, landed, validated, deduplicated, folded into window statistics
 * and loaded into {@code observations} and {@code observation_vintages} in two steps around one
 * shuffle, instead of a step (and, on Flink's batch runner, an encode and decode of every record)
 * per stage. The same rules as the staged graph, by the same code: {@link ReadSources.TaskReader}
 * reads, {@link InputLanding} lands the raw records, {@link ValidateAndClean#validate} judges each,
 * {@link DedupLatestVintage#pick} picks each key's winner, {@link WindowFolds} folds the winners,
 * and {@link BatchWriter} loads them.
 *
 * <ol>
 *   <li>{@code ReadLandValidate}: per file task (a whole text file, or a line range of a csv file),
 *       each record is landed in the raw lake and validated; valid observations are appended to a
 *       chunk of encoded observations per (source, series, time bucket), rejects leave with their
 *       reason. The chunks, a few per task and bucket, are what crosses the shuffle.
 *   <li>{@code GroupBuckets}: one group per (source, series, bucket), keyed by bytes that sort by
 *       series and time, so each worker loads its keys in key order.
 *   <li>{@code DedupFoldLoad}: per bucket, the records are sorted by time and each key's winner
 *       picked; the winners are loaded in batches, their vintages too, and folded into partial
 *       window statistics; only counts, rejects, partial statistics and each series' first and last
 *       winner leave the step.
 * </ol>
 *
 * <p>Only for a batch run whose warehouse held no observation of its sources at launch (nothing to
 * read back and decide against) and whose sources are text files; the caller checks ({@code
 * TsLake.onePass}). Window statistics of a bucket are partial (a window may span buckets): {@link
 * WindowFolds#toAggregates} merges them exactly.
 *
 * <pre>{@code
 * PCollectionTuple out =
 *     p.apply(OnePassBatch.of(config, tasks, Observation.Coder.in(p))
 *         .landingIn(lakeRoot, ingestDate, runId)
 *         .loadingInto(warehouse, 5000, storedAtLaunch)
 *         .withBucketMillis(OnePassBatch.DAY));
 * PCollection<Long> loaded = out.get(OnePassBatch.LOADED);
 * }</pre>
 */
public final class OnePassBatch extends PTransform<PBegin, PCollectionTuple> {
  /** Observations written to {@code observations}, one partial count per batch. */
  public static final TupleTag<Long> LOADED = new TupleTag<Long>() {};

  /** Records read (every record a parser emitted, valid or not), partial counts. */
  public static final TupleTag<Long> READ = new TupleTag<Long>() {};

  /** Records that passed validation, partial counts (progress). */
  public static final TupleTag<Long> VALID = new TupleTag<Long>() {};

  /** Raw lake files committed with records, partial counts. */
  public static final TupleTag<Long> LAKE_FILES = new TupleTag<Long>() {};

  /** Records rejected by validation or parsing, with the original record and the reason. */
  public static final TupleTag<Reject> REJECTED = new TupleTag<Reject>() {};

  /** Series metadata the parsers found (FRED's titles, units...). */
  public static final TupleTag<SeriesInfo> SERIES = new TupleTag<SeriesInfo>() {};

  /** Keys' winners (progress), partial counts. */
  public static final TupleTag<Long> DEDUPED = new TupleTag<Long>() {};

  /** Records superseded by a more recent record of their key, partial counts. */
  public static final TupleTag<Long> SUPERSEDED = new TupleTag<Long>() {};

  /** Winners the warehouse refused, as rejects with its reason. */
  public static final TupleTag<Reject> LOAD_FAILED = new TupleTag<Reject>() {};

  /** Partial window statistics of the winners ({@link WindowFolds#toAggregates} merges them). */
  public static final TupleTag<KV<String, WindowedStats>> WINDOW_STATS =
      new TupleTag<KV<String, WindowedStats>>() {};

  /**
   * The aggregates of windows that lie within one group's span of time (the whole series, or one
   * bucket): the group saw every point of them, so they need no merge.
   */
  public static final TupleTag<Aggregate> WHOLE_WINDOWS = new TupleTag<Aggregate>() {};

  /**
   * Per series and step bundle, its earliest and latest winner: all the {@code series} dimension
   * needs of the observations (its span), as {@code SeriesRows} reads it from every winner.
   */
  public static final TupleTag<Observation> SPAN_ENDS = new TupleTag<Observation>() {};

  /** One day in milliseconds: the bucket of a Flink or Dataflow run. */
  public static final long DAY = 86_400_000L;

  private final PipelineConfig config;
  private final List<FileTask> tasks;
  private final Observation.Coder coder;
  private final @Nullable Landing landing;
  private final @Nullable Loading loading;
  private final long bucketMillis;
  private final int flinkWorkers;

  /** Where the raw records land: {@link #landingIn}. */
  private static final class Landing implements Serializable {
    final String lakeRoot;
    final String ingestDate;
    final String runId;

    Landing(String lakeRoot, String ingestDate, String runId) {
      this.lakeRoot = lakeRoot;
      this.ingestDate = ingestDate;
      this.runId = runId;
    }
  }

  /** Where and how the winners are loaded: {@link #loadingInto}. */
  private static final class Loading implements Serializable {
    final WarehouseSpec warehouse;
    final int batchSize;
    final @Nullable StoredKeyRanges storedAtLaunch;

    Loading(WarehouseSpec warehouse, int batchSize, @Nullable StoredKeyRanges storedAtLaunch) {
      this.warehouse = warehouse;
      this.batchSize = batchSize;
      this.storedAtLaunch = storedAtLaunch;
    }
  }

  private OnePassBatch(
      PipelineConfig config,
      List<FileTask> tasks,
      Observation.Coder coder,
      @Nullable Landing landing,
      @Nullable Loading loading,
      long bucketMillis,
      int flinkWorkers) {
    this.config = config;
    this.tasks = tasks;
    this.coder = coder;
    this.landing = landing;
    this.loading = loading;
    this.bucketMillis = bucketMillis;
    this.flinkWorkers = flinkWorkers;
  }

  /**
   * Reads {@code tasks} (text files or csv line ranges of {@code config}'s sources); {@code coder}
   * encodes the observations of the shuffle (the run's, with its known strings).
   */
  public static OnePassBatch of(
      PipelineConfig config, List<FileTask> tasks, Observation.Coder coder) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(tasks, "tasks");
    Objects.requireNonNull(coder, "coder");
    Map<String, SourceType> types = new HashMap<>();
    for (SourceConfig s : config.sources) {
      types.put(s.name, s.type);
    }
    for (FileTask t : tasks) {
      SourceType type = types.get(t.source);
      if (type == null || type == SourceType.PARQUET) {
        throw new IllegalArgumentException(
            "OnePassBatch reads text files of the config's sources, not " + t);
      }
    }
    return new OnePassBatch(config, List.copyOf(tasks), coder, null, null, DAY, 0);
  }

  /** The raw lake: {@code <lakeRoot>/raw/source=.../ingest_date=.../run_id=.../}. */
  public OnePassBatch landingIn(String lakeRoot, String ingestDate, String runId) {
    if (lakeRoot == null || lakeRoot.isBlank() || ingestDate == null || runId == null) {
      throw new IllegalArgumentException(
          "landingIn needs a lake root, an ingest date and a run id");
    }
    Landing at = new Landing(lakeRoot, ingestDate, runId);
    return new OnePassBatch(config, tasks, coder, at, loading, bucketMillis, flinkWorkers);
  }

  /**
   * The warehouse, rows per batch, and what {@code observations} held at launch ({@link
   * BatchWriter#storedAtLaunch}): the run must have read it and found none of its sources' series.
   */
  public OnePassBatch loadingInto(
      WarehouseSpec warehouse, int batchSize, @Nullable StoredKeyRanges storedAtLaunch) {
    Objects.requireNonNull(warehouse, "warehouse");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be positive, not " + batchSize);
    }
    Loading into = new Loading(warehouse, batchSize, storedAtLaunch);
    return new OnePassBatch(config, tasks, coder, landing, into, bucketMillis, flinkWorkers);
  }

  /**
   * The time span of a group: {@link #DAY} by default; 0 puts each series whole in one group (for
   * the DirectRunner, which schedules work per group and wants few).
   */
  public OnePassBatch withBucketMillis(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("bucket millis must be 0 (whole series) or positive");
    }
    return new OnePassBatch(config, tasks, coder, landing, loading, millis, flinkWorkers);
  }

  /**
   * The job's Flink parallelism, so that the tasks reach the workers in bins of equal bytes ({@link
   * SpreadTasks}); 0 (the default) for other runners: random keys.
   */
  public OnePassBatch withFlinkWorkers(int workers) {
    return new OnePassBatch(
        config, tasks, coder, landing, loading, bucketMillis, Math.max(0, workers));
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    if (landing == null || loading == null) {
      throw new IllegalStateException("OnePassBatch needs landingIn(...) and loadingInto(...)");
    }
    PCollection<FileTask> spread =
        begin.apply("SpreadFileTasks", SpreadTasks.of(tasks).onFlinkWorkers(flinkWorkers));
    PCollectionView<Map<String, Long>> lineCounts = null;
    ParDo.SingleOutput<FileTask, KV<byte[], byte[]>> read =
        ParDo.of(new ReadLandValidateFn(this, null));
    if (tasks.stream().anyMatch(FileTask::isRange)) {
      lineCounts = ReadSources.lineCounts(spread.apply("RangeTasks", Filter.by(FileTask::isRange)));
      read = ParDo.of(new ReadLandValidateFn(this, lineCounts)).withSideInputs(lineCounts);
    }
    PCollectionTuple chunks =
        spread.apply(
            "ReadLandValidate",
            read.withOutputTags(
                ReadLandValidateFn.CHUNKS,
                TupleTagList.of(READ).and(VALID).and(LAKE_FILES).and(REJECTED).and(SERIES)));
    chunks.get(READ).setCoder(VarLongCoder.of());
    chunks.get(VALID).setCoder(VarLongCoder.of());
    chunks.get(LAKE_FILES).setCoder(VarLongCoder.of());
    chunks.get(REJECTED).setCoder(Reject.coder());
    chunks.get(SERIES).setCoder(SeriesInfo.coder());
    PCollectionTuple loaded =
        chunks
            .get(ReadLandValidateFn.CHUNKS)
            .setCoder(KvCoder.of(ByteArrayCoder.of(), ByteArrayCoder.of()))
            .apply("GroupBuckets", GroupByKey.create())
            .apply(
                "DedupFoldLoad",
                ParDo.of(new DedupFoldLoadFn(this))
                    .withOutputTags(
                        LOADED,
                        TupleTagList.of(DEDUPED)
                            .and(SUPERSEDED)
                            .and(LOAD_FAILED)
                            .and(WINDOW_STATS)
                            .and(WHOLE_WINDOWS)
                            .and(SPAN_ENDS)));
    loaded.get(LOADED).setCoder(VarLongCoder.of());
    loaded.get(DEDUPED).setCoder(VarLongCoder.of());
    loaded.get(SUPERSEDED).setCoder(VarLongCoder.of());
    loaded.get(LOAD_FAILED).setCoder(Reject.coder());
    loaded.get(WINDOW_STATS).setCoder(WindowFolds.coder());
    loaded.get(SPAN_ENDS).setCoder(coder);
    loaded.get(WHOLE_WINDOWS).setCoder(Aggregate.coder());
    return PCollectionTuple.of(READ, chunks.get(READ))
        .and(VALID, chunks.get(VALID))
        .and(LAKE_FILES, chunks.get(LAKE_FILES))
        .and(REJECTED, chunks.get(REJECTED))
        .and(SERIES, chunks.get(SERIES))
        .and(LOADED, loaded.get(LOADED))
        .and(DEDUPED, loaded.get(DEDUPED))
        .and(SUPERSEDED, loaded.get(SUPERSEDED))
        .and(LOAD_FAILED, loaded.get(LOAD_FAILED))
        .and(WINDOW_STATS, loaded.get(WINDOW_STATS))
        .and(WHOLE_WINDOWS, loaded.get(WHOLE_WINDOWS))
        .and(SPAN_ENDS, loaded.get(SPAN_ENDS));
  }

  /**
   * The group key of an observation's bucket: eight bytes that sort by series (16 bits of its hash)
   * then time (the bucket number), the full 64-bit series hash, then the exact source and series.
   */
  static byte[] bucketKey(String source, String seriesId, long ts, long bucketMillis) {
    long hash = DedupLatestVintage.seriesHash(source, seriesId);
    long bucket = bucketMillis == 0 ? 0 : Math.floorDiv(ts, bucketMillis);
    long units = Math.max(0, Math.min((1L << 48) - 1, bucket + (1L << 47)));
    byte[] src = source.getBytes(StandardCharsets.UTF_8);
    byte[] ser = seriesId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(16 + src.length + 1 + ser.length + 8)
        .putLong(((hash >>> 48) << 48) | units)
        .putLong(hash)
        .put(src)
        .put((byte) 0)
        .put(ser)
        .putLong(bucket) // exact, past the clamp of the prefix
        .array();
  }

  /** Reads a task, lands and validates each record, emits chunks of observations per bucket. */
  static final class ReadLandValidateFn extends DoFn<FileTask, KV<byte[], byte[]>> {
    static final TupleTag<KV<byte[], byte[]>> CHUNKS = new TupleTag<KV<byte[], byte[]>>() {};

    /** A task's chunks are handed on when they hold this many bytes in all (and at its end). */
    static final int FLUSH_BYTES = 16 << 20;

    private final PipelineConfig config;
    private final Observation.Coder coder;
    private final String lakeRoot;
    private final String ingestDate;
    private final String runId;
    private final long bucketMillis;
    private final @Nullable PCollectionView<Map<String, Long>> lineCounts;
    private final Counter files = Metrics.counter(ReadSources.class, "files_read");
    private final Counter ranges = Metrics.counter(ReadSources.class, "file_ranges_read");
    private final Counter records = Metrics.counter(ReadSources.class, "records_read");
    private final Counter valid = Metrics.counter(ValidateAndClean.class, "valid");
    private final Counter rejected = Metrics.counter(ValidateAndClean.class, "rejected");
    private final Counter missing = Metrics.counter(ValidateAndClean.class, "missing_values");
    private transient ReadSources.TaskReader reader;
    private transient Map<String, TimestampParser> timestamps;
    private transient Map<String, SourceType> types;

    ReadLandValidateFn(OnePassBatch t, @Nullable PCollectionView<Map<String, Long>> lineCounts) {
      this.config = t.config;
      this.coder = t.coder;
      this.lakeRoot = t.landing.lakeRoot;
      this.ingestDate = t.landing.ingestDate;
      this.runId = t.landing.runId;
      this.bucketMillis = t.bucketMillis;
      this.lineCounts = lineCounts;
    }

    @Setup
    public void setup() {
      reader = new ReadSources.TaskReader(config);
      timestamps = new HashMap<>();
      types = new HashMap<>();
      for (SourceConfig s : config.sources) {
        timestamps.put(s.name, TimestampParser.of(s.timestampFormat, s.timeZone));
        types.put(s.name, s.type);
      }
    }

    /** The chunks of one task being read, by bucket. */
    private final class Chunks implements ParseOutput {
      final MultiOutputReceiver out;
      final FileTask task;
      final InputLanding lake;
      final Map<ByteKey, ByteArrayOutputStream> buffers = new HashMap<>();

      /** The chunk each series of the task's source is filling (by series id), and its bucket. */
      final Map<String, Filling> filling = new HashMap<>();

      long bytes;
      long n;
      long validN;
      long missingN;
      long rejectedN;
      String lastSource;
      TimestampParser lastParser;

      Chunks(MultiOutputReceiver out, FileTask task, InputLanding lake) {
        this.out = out;
        this.task = task;
        this.lake = lake;
      }

      @Override
      public void record(RawRecord r) {
        n++;
        try {
          lake.write(r);
          if (r.source != lastSource) { // one source per task: looked up once
            lastParser = timestamps.get(r.source);
            lastSource = r.source;
          }
          Validated v = ValidateAndClean.validate(r, lastParser);
          if (!v.isValid()) {
            rejectedN++;
            out.get(REJECTED).output(v.reject());
            return;
          }
          Observation o = v.observation();
          validN++;
          if (o.value == null) {
            missingN++;
          }
          ByteArrayOutputStream buffer = buffer(o);
          int before = buffer.size();
          coder.encode(o, buffer);
          bytes += buffer.size() - before;
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }

      private ByteArrayOutputStream buffer(Observation o) {
        long bucket = bucketMillis == 0 ? 0 : Math.floorDiv(o.ts, bucketMillis);
        Filling f = o.source.equals(task.source) ? filling.get(o.seriesId) : null;
        if (f != null && f.bucket == bucket && f.buffer != null) {
          return f.buffer;
        }
        if (bytes >= FLUSH_BYTES) {
          flush();
        }
        ByteKey key = new ByteKey(bucketKey(o.source, o.seriesId, o.ts, bucketMillis));
        ByteArrayOutputStream buffer =
            buffers.computeIfAbsent(key, k -> new ByteArrayOutputStream(4096));
        if (o.source.equals(task.source)) {
          if (f == null) {
            f = new Filling();
            filling.put(o.seriesId, f);
          }
          f.bucket = bucket;
          f.buffer = buffer;
        }
        return buffer;
      }

      void flush() {
        for (Map.Entry<ByteKey, ByteArrayOutputStream> e : buffers.entrySet()) {
          out.get(CHUNKS).output(KV.of(e.getKey().bytes, e.getValue().toByteArray()));
        }
        buffers.clear();
        filling.clear();
        bytes = 0;
      }

      @Override
      public void series(SeriesInfo info) {
        out.get(SERIES).output(info);
      }
    }

    /** A series' current bucket and the chunk it fills. */
    private static final class Filling {
      long bucket;
      ByteArrayOutputStream buffer;
    }

    @ProcessElement
    public void process(ProcessContext c, MultiOutputReceiver out) throws IOException {
      FileTask task = c.element();
      Map<String, Long> counts = lineCounts == null ? null : c.sideInput(lineCounts);
      Chunks chunks;
      try (InputLanding lake =
          InputLanding.open(
              lakeRoot,
              ingestDate,
              runId,
              task.source,
              task.path,
              task.part,
              task.parts,
              types.get(task.source) == SourceType.CSV)) {
        chunks = new Chunks(out, task, lake);
        try {
          reader.read(task, counts, chunks);
        } catch (java.io.UncheckedIOException e) {
          throw e.getCause();
        }
        if (lake.commit(chunks.n)) {
          out.get(LAKE_FILES).output(1L);
        }
      }
      chunks.flush();
      out.get(READ).output(chunks.n);
      out.get(VALID).output(chunks.validN);
      records.inc(chunks.n);
      valid.inc(chunks.validN);
      rejected.inc(chunks.rejectedN);
      missing.inc(chunks.missingN);
      if (task.part <= 0) {
        files.inc();
      }
      if (task.isRange()) {
        ranges.inc();
      }
    }
  }

  /** A byte array as a hash key. */
  private static final class ByteKey {
    final byte[] bytes;
    final int hash;

    ByteKey(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey && Arrays.equals(bytes, ((ByteKey) o).bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** Per bucket: dedup, fold, load. */
  static final class DedupFoldLoadFn extends DoFn<KV<byte[], Iterable<byte[]>>, Long> {
    /** Partial window statistics are handed on once they hold this many windows. */
    static final int MAX_BUFFERED_WINDOWS = 200_000;

    private static final Comparator<Observation> BY_TIME =
        Comparator.comparingLong((Observation o) -> o.ts);

    private final Observation.Coder coder;
    private final WarehouseSpec warehouse;
    private final int batchSize;
    private final @Nullable StoredKeyRanges storedAtLaunch;
    private final WindowFolds folds;
    private final long bucketMillis;
    private final Counter superseded = Metrics.counter(DedupLatestVintage.class, "superseded");
    private transient BatchWriter<Observation> observations;
    private transient BatchWriter<Observation> vintages;
    private transient List<Observation> rows;
    private transient List<Observation> vintageRows;
    private transient WindowFolds.Folder groupFolder;
    private transient Map<String, WindowedStats> partials;
    private transient Map<String, Observation[]> spans;
    private transient long supersededN;
    private transient long winnersN;

    DedupFoldLoadFn(OnePassBatch t) {
      this.coder = t.coder;
      this.warehouse = t.loading.warehouse;
      this.batchSize = t.loading.batchSize;
      this.storedAtLaunch = t.loading.storedAtLaunch;
      this.folds = WindowFolds.of(t.config);
      this.bucketMillis = t.bucketMillis;
    }

    @Setup
    public void setup() throws Exception {
      observations =
          new BatchWriter<>(
              warehouse,
              Tables.observations(),
              true,
              true,
              BatchWriter.DEFAULT_RETRY,
              org.apache.beam.sdk.util.Sleeper.DEFAULT,
              UpsertBatches.metricsListener(Tables.observations().name()));
      observations.storedAtLaunch(storedAtLaunch);
      vintages =
          new BatchWriter<>(
              warehouse,
              Tables.observationVintages(),
              true,
              false,
              BatchWriter.DEFAULT_RETRY,
              org.apache.beam.sdk.util.Sleeper.DEFAULT,
              UpsertBatches.metricsListener(Tables.observationVintages().name()));
      vintages.storedAtLaunch(storedAtLaunch);
    }

    @StartBundle
    public void startBundle() {
      rows = new ArrayList<>();
      vintageRows = new ArrayList<>();
      groupFolder = folds.folder();
      partials = new HashMap<>();
      spans = new HashMap<>();
      supersededN = 0;
      winnersN = 0;
    }

    @ProcessElement
    public void process(@Element KV<byte[], Iterable<byte[]>> group, MultiOutputReceiver out)
        throws Exception {
      List<Observation> records = new ArrayList<>();
      for (byte[] chunk : group.getValue()) {
        ByteArrayInputStream in = new ByteArrayInputStream(chunk);
        while (in.available() > 0) {
          records.add(coder.decode(in));
        }
      }
      records.sort(BY_TIME); // stable: equal times keep their order, but pick decides anyway
      List<Observation> sameKey = new ArrayList<>();
      Observation first = null;
      Observation latest = null;
      int i = 0;
      while (i < records.size()) {
        Observation o = records.get(i);
        int j = i + 1;
        while (j < records.size() && records.get(j).ts == o.ts) {
          j++;
        }
        Observation winner;
        if (j == i + 1) {
          winner = o;
          if (o.hasVintage()) {
            vintageRows.add(o);
          }
        } else {
          sameKey.clear();
          sameKey.addAll(records.subList(i, j));
          winner = DedupLatestVintage.pick(sameKey, vintageRows::add);
          supersededN += j - i - 1;
        }
        winnersN++;
        if (first == null) {
          first = winner;
        }
        latest = winner;
        groupFolder.add(winner);
        rows.add(winner);
        if (rows.size() >= batchSize) {
          writeRows(out);
        }
        if (vintageRows.size() >= batchSize) {
          writeVintages();
        }
        i = j;
      }
      if (first != null) {
        Observation[] span =
            spans.computeIfAbsent(
                first.source + '\u0000' + first.seriesId, k -> new Observation[2]);
        if (span[0] == null || first.ts < span[0].ts) {
          span[0] = first;
        }
        if (span[1] == null || latest.ts > span[1].ts) {
          span[1] = latest;
        }
      }
      // windows inside the group's span are whole here; the others are merged after
      long lo = Long.MIN_VALUE;
      long hi = Long.MAX_VALUE;
      if (bucketMillis > 0 && first != null) {
        long bucket = Math.floorDiv(first.ts, bucketMillis);
        lo = bucket * bucketMillis;
        hi = lo + bucketMillis;
      }
      groupFolder.drain(
          lo,
          hi,
          a -> out.get(WHOLE_WINDOWS).output(a),
          (k, v) -> partials.merge(k, v, WindowFolds::merged));
      if (partialWindows() >= MAX_BUFFERED_WINDOWS) {
        partials.forEach((k, v) -> out.get(WINDOW_STATS).output(KV.of(k, v)));
        partials.clear();
      }
    }

    private int partialWindows() {
      int n = 0;
      for (WindowedStats w : partials.values()) {
        n += WindowFolds.windows(w);
      }
      return n;
    }

    private void writeRows(MultiOutputReceiver out) throws Exception {
      BatchWriter.Result<Observation> r = observations.writeDistinct(rows);
      rows = new ArrayList<>();
      out.get(LOADED).output(r.written);
      for (UpsertBatches.KeyedFailure<Observation> f : r.failures) {
        out.get(LOAD_FAILED).output(new Reject("warehouse", f.reason, f.row.asRawRecord()));
      }
    }

    private void writeVintages() throws Exception {
      vintages.write(vintageRows);
      vintageRows = new ArrayList<>();
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) throws Exception {
      org.joda.time.Instant end = GlobalWindow.INSTANCE.maxTimestamp();
      GlobalWindow w = GlobalWindow.INSTANCE;
      if (!rows.isEmpty()) {
        BatchWriter.Result<Observation> r = observations.writeDistinct(rows);
        rows = new ArrayList<>();
        ctx.output(LOADED, r.written, end, w);
        for (UpsertBatches.KeyedFailure<Observation> f : r.failures) {
          ctx.output(LOAD_FAILED, new Reject("warehouse", f.reason, f.row.asRawRecord()), end, w);
        }
      }
      if (!vintageRows.isEmpty()) {
        writeVintages();
      }
      partials.forEach((k, v) -> ctx.output(WINDOW_STATS, KV.of(k, v), end, w));
      partials.clear();
      for (Observation[] span : spans.values()) {
        ctx.output(SPAN_ENDS, span[0], end, w);
        if (span[1] != span[0]) {
          ctx.output(SPAN_ENDS, span[1], end, w);
        }
      }
      spans.clear();
      if (supersededN > 0) {
        superseded.inc(supersededN);
        ctx.output(SUPERSEDED, supersededN, end, w);
      }
      if (winnersN > 0) {
        ctx.output(DEDUPED, winnersN, end, w);
      }
      supersededN = 0;
      winnersN = 0;
    }

    @Teardown
    public void teardown() {
      if (observations != null) {
        observations.close();
      }
      if (vintages != null) {
        vintages.close();
      }
    }
  }
}

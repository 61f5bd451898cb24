package dev.tslake.sources;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.KnownStrings;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The sources box of the graph: every configured file, parsed by its type's payload parser into raw
 * records (and series metadata where the payload has it).
 *
 * <p>Globs are expanded when the graph is built, so a pattern that matches nothing fails the run
 * before anything is written, and a file matched by two patterns of one source is read once. Files
 * are then spread across workers; each file is streamed by one worker, except a csv file bigger
 * than its source's {@code splitBytes}: that one is cut into byte ranges read in parallel ({@link
 * LineRange}, {@link CsvParser#parseLines}), with the same records and locators as a whole-file
 * read (one record per physical line required), and one lake file per range.
 *
 * <p>This transform only reads: it writes nothing. {@link #withInputMarkers} makes it emit, in the
 * {@link #RAW} stream, an {@linkplain RawRecord#inputStart input-start} marker before each input's
 * (file's or range's) records and an {@linkplain RawRecord#inputEnd input-end} marker after them,
 * the latter only when the input was read to its end. A step applied right after it (the raw lake
 * landing, {@code dev.tslake.lake.LandRawFiles}) runs fused with the reader, sees each input's
 * elements in emission order, and can stream them into one lake file per input without a shuffle;
 * it drops the markers. Without markers the stream holds records only.
 */
public final class ReadSources extends PTransform<PBegin, PCollectionTuple> {
  public static final TupleTag<RawRecord> RAW = new TupleTag<RawRecord>() {};
  public static final TupleTag<SeriesInfo> SERIES = new TupleTag<SeriesInfo>() {};

  private final PipelineConfig config;
  private final boolean markers;
  private final @Nullable PTransform<PCollection<RawRecord>, PCollection<RawRecord>> landing;
  private final @Nullable List<FileTask> matched;
  private final int flinkWorkers;

  private ReadSources(
      PipelineConfig config,
      boolean markers,
      @Nullable PTransform<PCollection<RawRecord>, PCollection<RawRecord>> landing,
      @Nullable List<FileTask> matched,
      int flinkWorkers) {
    this.config = config;
    this.markers = markers;
    this.landing = landing;
    this.matched = matched;
    this.flinkWorkers = flinkWorkers;
  }

  public static ReadSources from(PipelineConfig config) {
    return new ReadSources(config, false, null, null, 0);
  }

  /**
   * Reads these files, already matched by {@link #expandFiles} for this config (so a caller that
   * needed the list too does not list every pattern twice), instead of matching them again.
   */
  public ReadSources withMatchedFiles(List<FileTask> files) {
    return new ReadSources(config, markers, landing, List.copyOf(files), flinkWorkers);
  }

  /**
   * Also emits input markers around each input's records in {@link #RAW} ({@link
   * RawRecord#inputStart}, {@link RawRecord#inputEnd}): for a step that must know where an input's
   * records begin and end, and that drops the markers.
   */
  public ReadSources withInputMarkers() {
    return new ReadSources(config, true, landing, matched, flinkWorkers);
  }

  /**
   * Input markers on, and {@code landing} (the raw lake, {@code dev.tslake.lake.LandRawFiles})
   * applied to each reader's raw output right after the reader, before the readers' outputs are
   * flattened: so it runs fused with one reader and sees that reader's elements in emission order
   * (after a flatten, Flink would merge the readers' streams into one operator's input). {@code
   * landing} must drop the markers; what it returns is this transform's {@link #RAW}.
   */
  public ReadSources withRawLanding(
      PTransform<PCollection<RawRecord>, PCollection<RawRecord>> landing) {
    if (landing == null) {
      throw new IllegalArgumentException("withRawLanding needs a transform");
    }
    return new ReadSources(config, true, landing, matched, flinkWorkers);
  }

  /**
   * The job's Flink parallelism: files and ranges reach the workers in bins of equal bytes ({@link
   * SpreadTasks}); 0 (the default) for other runners: random keys.
   */
  public ReadSources withFlinkWorkers(int workers) {
    return new ReadSources(config, markers, landing, matched, Math.max(0, workers));
  }

  /** A reader's output with the landing (when set) applied to its raw records. */
  private PCollectionTuple landed(PCollectionTuple read, String name) {
    read.get(RAW).setCoder(RawRecord.Coder.in(read.getPipeline()));
    read.get(SERIES).setCoder(SeriesInfo.coder());
    if (landing == null) {
      return read;
    }
    PCollection<RawRecord> raw = read.get(RAW).apply(name, landing);
    return PCollectionTuple.of(RAW, raw).and(SERIES, read.get(SERIES));
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    List<FileTask> tasks = matched != null ? matched : expandFiles(config);
    Set<String> parquetSources = new HashSet<>();
    for (SourceConfig s : config.sources) {
      if (s.type == SourceType.PARQUET) {
        parquetSources.add(s.name);
      }
    }
    List<FileTask> textTasks = new ArrayList<>();
    List<FileTask> parquetTasks = new ArrayList<>();
    List<FileTask> rangeTasks = new ArrayList<>();
    for (FileTask t : tasks) {
      (t.isRange() ? rangeTasks : parquetSources.contains(t.source) ? parquetTasks : textTasks)
          .add(t);
    }
    List<PCollectionTuple> parts = new ArrayList<>();
    if (!rangeTasks.isEmpty()) {
      parts.add(readRanges(begin, rangeTasks));
    }
    PCollectionTuple text = null;
    if (!textTasks.isEmpty() || (parquetTasks.isEmpty() && rangeTasks.isEmpty())) {
      text =
          begin
              .apply("SpreadFiles", SpreadTasks.of(textTasks).onFlinkWorkers(flinkWorkers))
              .apply(
                  "ParsePayloads",
                  ParDo.of(new ParseFileFn(config, markers))
                      .withOutputTags(RAW, TupleTagList.of(SERIES)));
      text = landed(text, "LandRawFiles");
    }
    if (text != null) {
      parts.add(text);
    }
    if (parquetTasks.isEmpty()) {
      return flatten(parts);
    }
    checkParquetRuntime();
    // Parquet is binary and needs random access (the footer is at the end): its own branch.
    PCollectionTuple parquet =
        begin
            .apply("SpreadParquetFiles", SpreadTasks.of(parquetTasks).onFlinkWorkers(flinkWorkers))
            .apply(
                "ReadParquet",
                ParDo.of(new ReadParquetFn(config, markers))
                    .withOutputTags(RAW, TupleTagList.of(SERIES)));
    parts.add(landed(parquet, "LandRawParquetFiles"));
    return flatten(parts);
  }

  private static PCollectionTuple flatten(List<PCollectionTuple> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    PCollectionList<RawRecord> raw = PCollectionList.empty(parts.get(0).getPipeline());
    PCollectionList<SeriesInfo> series = PCollectionList.empty(parts.get(0).getPipeline());
    for (PCollectionTuple t : parts) {
      raw = raw.and(t.get(RAW));
      series = series.and(t.get(SERIES));
    }
    return PCollectionTuple.of(RAW, raw.apply("AllFileRecords", Flatten.pCollections()))
        .and(SERIES, series.apply("AllFileSeries", Flatten.pCollections()));
  }

  /**
   * Files read in line ranges: a first step counts the line breaks of each range (each worker reads
   * its own range only), and the parsing step numbers each range's lines from the sum of the counts
   * of the ranges before it, so locators are those of a whole-file read.
   */
  private PCollectionTuple readRanges(PBegin begin, List<FileTask> rangeTasks) {
    PCollection<FileTask> ranges =
        begin.apply("SpreadFileRanges", SpreadTasks.of(rangeTasks).onFlinkWorkers(flinkWorkers));
    PCollectionView<Map<String, Long>> lineCounts = lineCounts(ranges);
    PCollectionTuple out =
        ranges.apply(
            "ParseRanges",
            ParDo.of(new ParseRangeFn(config, markers))
                .withSideInput(ParseRangeFn.LINE_COUNTS, lineCounts)
                .withOutputTags(RAW, TupleTagList.of(SERIES)));
    return landed(out, "LandRawFileRanges");
  }

  /** parquet-hadoop 1.13 needs Hadoop's Configuration at run time; say so before the run starts. */
  private static void checkParquetRuntime() {
    try {
      Class.forName(
          "org.apache.hadoop.conf.Configuration", false, ReadSources.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          "parquet sources need Hadoop's client classes on the classpath"
              + " (org.apache.hadoop:hadoop-client-api and hadoop-client-runtime 3.4.1)",
          e);
    }
  }

  /**
   * What a batch run's coders write as ids ({@link KnownStrings}): the names of the sources and
   * {@code files}, the files {@link #expandFiles} matched (the origins of the records read).
   */
  public static KnownStrings knownStrings(PipelineConfig config, List<FileTask> files) {
    List<String> known = new ArrayList<>();
    for (SourceConfig s : config.sources) {
      known.add(s.name);
    }
    for (FileTask t : files) {
      known.add(t.path);
    }
    return KnownStrings.of(known);
  }

  /** Matches every file pattern of every source; fails with the source and pattern on no match. */
  public static List<FileTask> expandFiles(PipelineConfig config) {
    Set<FileTask> tasks = new LinkedHashSet<>();
    Map<FileTask, Long> sizes = new HashMap<>();
    Map<String, SourceConfig> byName = new HashMap<>();
    for (SourceConfig source : config.sources) {
      byName.put(source.name, source);
      List<FileEntry> entries = new ArrayList<>(source.files);
      entries.addAll(source.metadataFiles);
      for (FileEntry entry : entries) {
        for (Map.Entry<String, Long> file : match(source, entry.path).entrySet()) {
          String path = file.getKey();
          String hint =
              entry.seriesId != null ? entry.seriesId : seriesIdFromFileName(source, path);
          String vintage = entry.vintage != null ? entry.vintage : source.vintage;
          FileTask t = new FileTask(source.name, path, hint, vintage);
          if (tasks.add(t)) {
            sizes.put(t, file.getValue());
          }
        }
      }
    }
    List<FileTask> out = new ArrayList<>();
    for (FileTask t : tasks) {
      out.addAll(splitIfLarge(byName.get(t.source), t, sizes.get(t)));
    }
    return out;
  }

  /**
   * A csv file bigger than its source's {@code splitBytes}: the fewest ranges of equal size (to a
   * byte) that are at most {@code splitBytes} each; anything else: the task itself.
   */
  static List<FileTask> splitIfLarge(SourceConfig source, FileTask whole, long size) {
    long split = source.splitBytes;
    if (source.type != SourceType.CSV || split <= 0 || size <= split) {
      return List.of(whole);
    }
    long n = (size + split - 1) / split;
    if (n > 1_000_000) {
      throw new IllegalArgumentException(
          "source '"
              + source.name
              + "': splitBytes "
              + split
              + " cuts "
              + whole.path
              + " ("
              + size
              + " bytes) into "
              + n
              + " ranges; at most 1000000 per file");
    }
    // n ranges of equal size (at most splitBytes each): a 47 MB file and 32 MiB give two halves,
    // not 32 and 15 MB, so two workers finish together
    List<FileTask> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(whole.range(i, (int) n, cut(size, n, i), cut(size, n, i + 1)));
    }
    return out;
  }

  /** Byte {@code i * size / n} without overflow. */
  private static long cut(long size, long n, long i) {
    return Math.multiplyHigh(size, i) == 0 && size * i >= 0
        ? size * i / n
        : java.math.BigInteger.valueOf(size)
            .multiply(java.math.BigInteger.valueOf(i))
            .divide(java.math.BigInteger.valueOf(n))
            .longValueExact();
  }

  /** Matching files, sorted by path, with their sizes in bytes. */
  private static Map<String, Long> match(SourceConfig source, String pattern) {
    MatchResult result;
    try {
      result = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW_IF_WILDCARD);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "source '" + source.name + "': cannot list files '" + pattern + "': " + e.getMessage(),
          e);
    }
    Map<String, Long> out = new TreeMap<>();
    try {
      if (result.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata m : result.metadata()) {
          if (!m.resourceId().isDirectory()) {
            out.put(m.resourceId().toString(), m.sizeBytes());
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "source '" + source.name + "': cannot list files '" + pattern + "': " + e.getMessage(),
          e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "source '" + source.name + "': files '" + pattern + "' matched no files");
    }
    return out;
  }

  /**
   * FRED observation responses do not name their series; by convention the file name does, up to
   * the first '_' or '.' ({@code PAYEMS_obs_2023.json} is PAYEMS). Config can say otherwise.
   */
  static @Nullable String seriesIdFromFileName(SourceConfig source, String path) {
    if (source.type != SourceType.FRED) {
      return null;
    }
    String name = path.substring(path.lastIndexOf('/') + 1);
    int end = name.length();
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) == '_' || name.charAt(i) == '.') {
        end = i;
        break;
      }
    }
    return end == 0 ? null : name.substring(0, end);
  }

  /**
   * What the file readers share: the sources by name, the file and record counters, and the input
   * markers (when asked for).
   */
  abstract static class FileFn extends DoFn<FileTask, RawRecord> {
    private final PipelineConfig config;
    private final boolean markers;
    transient TaskReader reader;
    final Counter files = Metrics.counter(ReadSources.class, "files_read");
    final Counter records = Metrics.counter(ReadSources.class, "records_read");

    FileFn(PipelineConfig config, boolean markers) {
      this.config = config;
      this.markers = markers;
    }

    @Setup
    public void setup() {
      reader = new TaskReader(config);
    }

    /** A whole file as UTF-8 text, from any filesystem Beam knows. */
    static Reader openText(String path, int bufferChars) throws IOException {
      ResourceId resource = FileSystems.matchNewResource(path, false);
      return new BufferedReader(
          new InputStreamReader(
              Channels.newInputStream(FileSystems.open(resource)), StandardCharsets.UTF_8),
          bufferChars);
    }

    /** Before an input's records: its start marker (when markers are on). */
    void startInput(MultiOutputReceiver out, FileTask task) {
      if (markers) {
        out.get(RAW).output(RawRecord.inputStart(task.source, task.path, task.part, task.parts));
      }
    }

    /** The input was read to its end: its end marker (when markers are on). */
    void endInput(MultiOutputReceiver out, FileTask task, long records) {
      if (markers) {
        out.get(RAW)
            .output(RawRecord.inputEnd(task.source, task.path, task.part, task.parts, records));
      }
    }

    /** Each record goes downstream and is counted. */
    static ParseOutput output(MultiOutputReceiver out, long[] n) {
      return new ParseOutput() {
        @Override
        public void record(RawRecord record) {
          n[0]++;
          out.get(RAW).output(record);
        }

        @Override
        public void series(SeriesInfo info) {
          out.get(SERIES).output(info);
        }
      };
    }
  }

  /** Streams one file through its source's parser. */
  static final class ParseFileFn extends FileFn {
    ParseFileFn(PipelineConfig config, boolean markers) {
      super(config, markers);
    }

    @ProcessElement
    public void process(@Element FileTask task, MultiOutputReceiver out) throws IOException {
      long[] n = {0};
      startInput(out, task);
      reader.read(task, null, output(out, n));
      endInput(out, task, n[0]);
      files.inc();
      records.inc(n[0]);
    }
  }

  static Reader withoutBom(Reader reader) throws IOException {
    reader.mark(1);
    if (reader.read() != '\uFEFF') {
      reader.reset();
    }
    return reader;
  }

  /** A whole text file through its source's parser. */
  private static void readWhole(PayloadContext ctx, ParseOutput out) throws IOException {
    try (Reader reader = FileFn.openText(ctx.origin, 1 << 16)) {
      PayloadParsers.forType(ctx.source.type).parse(ctx, withoutBom(reader), out);
    }
  }

  /** One line range of a csv file, its lines numbered from {@code firstLine}. */
  private static void readRange(PayloadContext ctx, FileTask task, long firstLine, ParseOutput out)
      throws IOException {
    try (Reader head = FileFn.openText(task.path, 1 << 13);
        Reader lines =
            new BufferedReader(
                new InputStreamReader(
                    LineRange.open(task.path, task.start, task.end), StandardCharsets.UTF_8),
                1 << 16)) {
      new CsvParser().parseLines(ctx, withoutBom(head), lines, firstLine, task.part == 0, out);
    }
  }

  /**
   * Reads the records of file tasks outside this transform, as its own readers do (the one-pass
   * batch graph reads, lands, validates and groups in one step): whole text files through their
   * source's parser, line ranges of csv files numbered from the line counts of {@link #lineCounts}.
   * Not for Parquet files. Build one per worker ({@code @Setup}).
   */
  public static final class TaskReader {
    private final Map<String, SourceConfig> byName = new HashMap<>();

    /**
     * First line number of each range of a file, by file: the counts are one batch side input (the
     * global window), so they are summed once per file and reader, not once per range.
     */
    private final Map<String, long[]> firstLines = new HashMap<>();

    public TaskReader(PipelineConfig config) {
      for (SourceConfig s : config.sources) {
        byName.put(s.name, s);
      }
    }

    /**
     * Emits the records of {@code task} to {@code out}; {@code lineCounts} is the side input of
     * {@link #lineCounts} when the task is a range (else unused).
     */
    public void read(FileTask task, @Nullable Map<String, Long> lineCounts, ParseOutput out)
        throws IOException {
      PayloadContext ctx = context(task);
      if (!task.isRange()) {
        readWhole(ctx, out);
        return;
      }
      if (lineCounts == null) {
        throw new IllegalArgumentException("a range task needs the line counts: " + task);
      }
      long first =
          firstLines
              .computeIfAbsent(
                  task.source + '\u0000' + task.path, k -> firstLinesOf(task, lineCounts))[
              task.part];
      readRange(ctx, task, first, out);
    }

    /** What the parsers get to know about the file a task reads. */
    PayloadContext context(FileTask task) {
      return new PayloadContext(
          byName.get(task.source), task.path, task.seriesIdHint, task.vintage);
    }

    /** The first line number of each range of {@code task}'s file. */
    private static long[] firstLinesOf(FileTask task, Map<String, Long> counts) {
      long[] first = new long[task.parts];
      long line = 1;
      for (int i = 0; i < task.parts; i++) {
        first[i] = line;
        Long c = counts.get(FileTask.rangeKey(task.source, task.path, i));
        if (c == null) {
          throw new IllegalStateException("no line count for range " + i + " of " + task);
        }
        line += c;
      }
      return first;
    }
  }

  /**
   * The line count of every range in {@code ranges}, by {@link FileTask#rangeKey}: the side input a
   * {@link TaskReader} numbers a range's lines from.
   */
  public static PCollectionView<Map<String, Long>> lineCounts(PCollection<FileTask> ranges) {
    return ranges
        .apply("CountRangeLines", ParDo.of(new CountLinesFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("RangeLineCounts", View.asMap());
  }

  /** Counts the line breaks of one range of a file ({@link LineRange#countLineBreaks}). */
  static final class CountLinesFn extends DoFn<FileTask, KV<String, Long>> {
    @ProcessElement
    public void process(@Element FileTask task, OutputReceiver<KV<String, Long>> out)
        throws IOException {
      try (LineRange lines = LineRange.open(task.path, task.start, task.end)) {
        out.output(KV.of(task.rangeKey(), lines.countLineBreaks()));
      }
    }
  }

  /**
   * Parses one line range of a csv file ({@link CsvParser#parseLines}), numbering its lines from
   * the line counts of the ranges before it (a side input); each range is an input of its own.
   */
  static final class ParseRangeFn extends FileFn {
    static final String LINE_COUNTS = "lineCounts";
    final Counter ranges = Metrics.counter(ReadSources.class, "file_ranges_read");

    ParseRangeFn(PipelineConfig config, boolean markers) {
      super(config, markers);
    }

    @ProcessElement
    public void process(
        @Element FileTask task,
        @SideInput(LINE_COUNTS) Map<String, Long> counts,
        MultiOutputReceiver out)
        throws IOException {
      long[] n = {0};
      startInput(out, task);
      reader.read(task, counts, output(out, n));
      endInput(out, task, n[0]);
      if (task.part == 0) {
        files.inc();
      }
      ranges.inc();
      records.inc(n[0]);
    }
  }

  /**
   * Reads one Parquet file with {@link ParquetRows}. Opening the file is I/O (a failure throws, so
   * the runner retries it); anything wrong with its bytes is a rejected record.
   */
  static final class ReadParquetFn extends FileFn {
    ReadParquetFn(PipelineConfig config, boolean markers) {
      super(config, markers);
    }

    @ProcessElement
    public void process(@Element FileTask task, MultiOutputReceiver out) throws IOException {
      PayloadContext ctx = reader.context(task);
      SourceConfig source = ctx.source;
      long[] n = {0};
      startInput(out, task);
      try (ReadableByteChannel channel =
          FileSystems.open(FileSystems.matchNewResource(task.path, false))) {
        ParseOutput sink = output(out, n);
        if (channel instanceof SeekableByteChannel) {
          ParquetRows.read(ctx, (SeekableByteChannel) channel, sink);
        } else {
          sink.record(
              RawRecord.unparseable(
                  source.name,
                  task.path,
                  "file",
                  source.seriesId,
                  "the filesystem of '"
                      + task.path
                      + "' gives no random access, which Parquet needs",
                  null));
        }
      }
      endInput(out, task, n[0]);
      files.inc();
      records.inc(n[0]);
    }
  }
}

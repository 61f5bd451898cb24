package dev.tslake.sources;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.lake.RawLakeFile;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
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
 * <p>{@link #withRawLake} makes the step that reads a file also land that file's raw records in the
 * lake, one CSV per input file ({@link RawLakeFile}), while it streams them out: the raw lake costs
 * no shuffle. Without it nothing is written.
 */
public final class ReadSources extends PTransform<PBegin, PCollectionTuple> {
  public static final TupleTag<RawRecord> RAW = new TupleTag<RawRecord>() {};
  public static final TupleTag<SeriesInfo> SERIES = new TupleTag<SeriesInfo>() {};

  private final PipelineConfig config;
  private final @Nullable String lakeRoot;
  private final @Nullable String ingestDate;

  private ReadSources(
      PipelineConfig config, @Nullable String lakeRoot, @Nullable String ingestDate) {
    this.config = config;
    this.lakeRoot = lakeRoot;
    this.ingestDate = ingestDate;
  }

  public static ReadSources from(PipelineConfig config) {
    return new ReadSources(config, null, null);
  }

  /**
   * Also writes every raw record read to {@code <lakeRoot>/raw/source=<source>/ingest_date=
   * <ingestDate>/}, one file per input file ({@link dev.tslake.lake.LakePaths#inputFile}).
   */
  public ReadSources withRawLake(String lakeRoot, String ingestDate) {
    if (lakeRoot == null || lakeRoot.isBlank() || ingestDate == null || ingestDate.isBlank()) {
      throw new IllegalArgumentException("withRawLake needs a lake root and an ingest date");
    }
    return new ReadSources(config, lakeRoot, ingestDate);
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    List<FileTask> tasks = expandFiles(config);
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
              .apply(
                  "ListFiles", Create.of(textTasks).withCoder(SerializableCoder.of(FileTask.class)))
              .apply("SpreadFiles", Reshuffle.viaRandomKey())
              .apply(
                  "ParsePayloads",
                  ParDo.of(new ParseFileFn(config, lakeRoot, ingestDate))
                      .withOutputTags(RAW, TupleTagList.of(SERIES)));
      text.get(RAW).setCoder(RawRecord.Coder.of());
      text.get(SERIES).setCoder(SeriesInfo.coder());
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
            .apply(
                "ListParquetFiles",
                Create.of(parquetTasks).withCoder(SerializableCoder.of(FileTask.class)))
            .apply("SpreadParquetFiles", Reshuffle.viaRandomKey())
            .apply(
                "ReadParquet",
                ParDo.of(new ReadParquetFn(config, lakeRoot, ingestDate))
                    .withOutputTags(RAW, TupleTagList.of(SERIES)));
    parquet.get(RAW).setCoder(RawRecord.Coder.of());
    parquet.get(SERIES).setCoder(SeriesInfo.coder());
    parts.add(parquet);
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
        begin
            .apply(
                "ListFileRanges",
                Create.of(rangeTasks).withCoder(SerializableCoder.of(FileTask.class)))
            .apply("SpreadFileRanges", Reshuffle.viaRandomKey());
    PCollectionView<Map<String, Long>> lineCounts =
        ranges
            .apply("CountRangeLines", ParDo.of(new CountLinesFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .apply("RangeLineCounts", View.asMap());
    PCollectionTuple out =
        ranges.apply(
            "ParseRanges",
            ParDo.of(new ParseRangeFn(config, lakeRoot, ingestDate))
                .withSideInput(ParseRangeFn.LINE_COUNTS, lineCounts)
                .withOutputTags(RAW, TupleTagList.of(SERIES)));
    out.get(RAW).setCoder(RawRecord.Coder.of());
    out.get(SERIES).setCoder(SeriesInfo.coder());
    return out;
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
   * A csv file bigger than its source's {@code splitBytes}: ranges of {@code splitBytes} bytes (the
   * last one shorter); anything else: the task itself.
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
    List<FileTask> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(whole.range(i, (int) n, i * split, Math.min(size, (i + 1) * split)));
    }
    return out;
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
    Map<String, Long> out = new java.util.TreeMap<>();
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
   * What both file readers share: the sources by name, the file and record counters, and the raw
   * lake file of each input (when the lake is on).
   */
  abstract static class FileFn extends DoFn<FileTask, RawRecord> {
    private final PipelineConfig config;
    private final @Nullable String lakeRoot;
    private final @Nullable String ingestDate;
    private transient Map<String, SourceConfig> byName;
    final Counter files = Metrics.counter(ReadSources.class, "files_read");
    final Counter records = Metrics.counter(ReadSources.class, "records_read");

    FileFn(PipelineConfig config, @Nullable String lakeRoot, @Nullable String ingestDate) {
      this.config = config;
      this.lakeRoot = lakeRoot;
      this.ingestDate = ingestDate;
    }

    @Setup
    public void setup() {
      byName = new HashMap<>();
      for (SourceConfig s : config.sources) {
        byName.put(s.name, s);
      }
    }

    SourceConfig source(FileTask task) {
      return byName.get(task.source);
    }

    /** The lake file of this input's raw records; null when the lake is off. */
    @Nullable RawLakeFile lakeFile(FileTask task) {
      if (lakeRoot == null) {
        return null;
      }
      return task.isRange()
          ? RawLakeFile.forInputPart(lakeRoot, task.source, ingestDate, task.path, task.part)
          : RawLakeFile.forInput(lakeRoot, task.source, ingestDate, task.path);
    }

    /** What the parsers get to know about the file a task reads. */
    PayloadContext context(FileTask task) {
      return new PayloadContext(source(task), task.path, task.seriesIdHint, task.vintage);
    }

    /** A whole file as UTF-8 text, from any filesystem Beam knows. */
    static Reader openText(String path, int bufferChars) throws IOException {
      ResourceId resource = FileSystems.matchNewResource(path, false);
      return new BufferedReader(
          new InputStreamReader(
              Channels.newInputStream(FileSystems.open(resource)), StandardCharsets.UTF_8),
          bufferChars);
    }

    /** Puts the task's lake file (when on) under its final name, then drops other layouts. */
    void commitLake(@Nullable RawLakeFile lake, FileTask task) throws IOException {
      if (lake != null) {
        lake.commit();
        removeOtherLayouts(task);
      }
    }

    /**
     * After a commit: removes lake files an earlier run of the day left for this input under
     * another layout (read whole vs. in ranges, or fewer ranges), so a replay reads each record
     * once. Done for csv inputs (the only ones that can be split), by the whole-file read or the
     * first range.
     */
    void removeOtherLayouts(FileTask task) throws IOException {
      if (lakeRoot != null && source(task).type == SourceType.CSV && task.part <= 0) {
        RawLakeFile.removeOtherLayouts(lakeRoot, task.source, ingestDate, task.path, task.parts);
      }
    }

    /**
     * Each record goes to the lake file (when on) and then downstream. A lake write that fails
     * throws here, and again at commit even if a parser swallowed it.
     */
    static ParseOutput output(MultiOutputReceiver out, @Nullable RawLakeFile lake, long[] n) {
      return new ParseOutput() {
        @Override
        public void record(RawRecord record) {
          if (lake != null) {
            lake.writeUnchecked(record);
          }
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
    ParseFileFn(PipelineConfig config, @Nullable String lakeRoot, @Nullable String ingestDate) {
      super(config, lakeRoot, ingestDate);
    }

    @ProcessElement
    public void process(@Element FileTask task, MultiOutputReceiver out) throws IOException {
      PayloadContext ctx = context(task);
      long[] n = {0};
      try (RawLakeFile lake = lakeFile(task);
          Reader reader = openText(task.path, 1 << 16)) {
        PayloadParsers.forType(ctx.source.type)
            .parse(ctx, withoutBom(reader), output(out, lake, n));
        commitLake(lake, task);
      }
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
   * the line counts of the ranges before it (a side input), into its own lake file.
   */
  static final class ParseRangeFn extends FileFn {
    static final String LINE_COUNTS = "lineCounts";
    final Counter ranges = Metrics.counter(ReadSources.class, "file_ranges_read");

    /**
     * First line number of each range of a file, by file: the counts are one batch side input (the
     * global window), so they are summed once per file and worker, not once per range.
     */
    private transient Map<String, long[]> firstLines;

    ParseRangeFn(PipelineConfig config, @Nullable String lakeRoot, @Nullable String ingestDate) {
      super(config, lakeRoot, ingestDate);
    }

    private long[] firstLines(FileTask task, Map<String, Long> counts) {
      if (firstLines == null) {
        firstLines = new HashMap<>();
      }
      return firstLines.computeIfAbsent(
          task.source + '\u0000' + task.path,
          k -> {
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
          });
    }

    @ProcessElement
    public void process(
        @Element FileTask task,
        @SideInput(LINE_COUNTS) Map<String, Long> counts,
        MultiOutputReceiver out)
        throws IOException {
      long firstLine = firstLines(task, counts)[task.part];
      PayloadContext ctx = context(task);
      long[] n = {0};
      try (RawLakeFile lake = lakeFile(task);
          Reader head = openText(task.path, 1 << 13);
          Reader lines =
              new BufferedReader(
                  new InputStreamReader(
                      LineRange.open(task.path, task.start, task.end), StandardCharsets.UTF_8),
                  1 << 16)) {
        new CsvParser()
            .parseLines(
                ctx, withoutBom(head), lines, firstLine, task.part == 0, output(out, lake, n));
        commitLake(lake, task);
      }
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
    ReadParquetFn(PipelineConfig config, @Nullable String lakeRoot, @Nullable String ingestDate) {
      super(config, lakeRoot, ingestDate);
    }

    @ProcessElement
    public void process(@Element FileTask task, MultiOutputReceiver out) throws IOException {
      SourceConfig source = source(task);
      PayloadContext ctx = context(task);
      long[] n = {0};
      try (RawLakeFile lake = lakeFile(task);
          java.nio.channels.ReadableByteChannel channel =
              FileSystems.open(FileSystems.matchNewResource(task.path, false))) {
        ParseOutput sink = output(out, lake, n);
        if (channel instanceof java.nio.channels.SeekableByteChannel) {
          ParquetRows.read(ctx, (java.nio.channels.SeekableByteChannel) channel, sink);
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
        commitLake(lake, task); // parquet inputs are never split: no other layout to drop
      }
      files.inc();
      records.inc(n[0]);
    }
  }
}

package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.lake.LakeHousekeeping;
import dev.tslake.lake.LakePaths;
import dev.tslake.lake.LandRawFiles;
import dev.tslake.lake.RawLakeFile;
import dev.tslake.model.RawRecord;
import dev.tslake.testing.FaultyFileSystem;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReadSources#withRawLanding} with {@link LandRawFiles}: the step fused with the reader
 * lands its raw records in the lake, one CSV per input file, through a temporary file renamed into
 * place when the file was read to its end.
 *
 * <p>The lake root sits six folders below the JUnit temp dir, so a name that climbed out of its
 * folder would still land inside the temp dir, where the tests see it.
 */
class ReadSourcesRawLakeTest {
  private static final String DATE = "2026-11-20";
  private static final String RUN = "run-1";
  private static final String ESCAPE = "escape_" + Long.toHexString(System.nanoTime());

  @TempDir Path tmp;
  private Path lake;
  private Path inputs;

  @BeforeAll
  static void fileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  @BeforeEach
  void setUp() throws IOException {
    lake = tmp.resolve("d1/d2/d3/d4/d5/d6/lake");
    inputs = Files.createDirectories(tmp.resolve("inputs"));
  }

  private String root() {
    return lake + "/";
  }

  // ---------------------------------------------------------------- helpers

  /** Runs ReadSources with the lake on; asserts the record count on the way. */
  private void run(PipelineConfig config, long expectedRecords) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollectionTuple read =
        p.apply(
            ReadSources.from(config).withRawLanding(LandRawFiles.to(root(), DATE, RUN, config)));
    PAssert.thatSingleton(read.get(ReadSources.RAW).apply(Count.globally()))
        .isEqualTo(expectedRecords);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    LakeHousekeeping.removeEmptyTempFolders(root());
  }

  private static SourceConfig csvSource(String name, Path... files) {
    SourceConfig s = new SourceConfig();
    s.name = name;
    s.type = SourceType.CSV;
    for (Path f : files) {
      s.files.add(FileEntry.of(f.toAbsolutePath().toString()));
    }
    s.timestampColumn = "time";
    s.seriesColumn = "name";
    s.valueColumns = new ArrayList<>(List.of("reading"));
    s.windows = List.of("P1D");
    return s;
  }

  private static PipelineConfig config(List<SourceConfig> sources) {
    PipelineConfig c = new PipelineConfig();
    c.sources = sources;
    return c;
  }

  private static SourceConfig byName(PipelineConfig config, String name) {
    return config.sources.stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow();
  }

  /** What the reading step must write for one input: its parser's records, in order. */
  private static List<RawRecord> parse(PipelineConfig config, FileTask t) throws IOException {
    SourceConfig s = byName(config, t.source);
    PayloadContext ctx = new PayloadContext(s, t.path, t.seriesIdHint, t.vintage);
    Parsed out = new Parsed();
    if (s.type == SourceType.PARQUET) {
      try (SeekableByteChannel ch = Files.newByteChannel(Path.of(t.path))) {
        ParquetRows.read(ctx, ch, out);
      }
    } else {
      try (Reader r = Files.newBufferedReader(Path.of(t.path), StandardCharsets.UTF_8)) {
        r.mark(1);
        if (r.read() != '\uFEFF') {
          r.reset();
        }
        PayloadParsers.forType(s.type).parse(ctx, r, out);
      }
    }
    return out.records;
  }

  /**
   * The lake each input's records belong in, by relative path; inputs without records have none.
   */
  private static Map<String, List<RawRecord>> expectedLake(PipelineConfig config)
      throws IOException {
    Map<String, List<RawRecord>> out = new TreeMap<>();
    for (FileTask t : ReadSources.expandFiles(config)) {
      List<RawRecord> records = parse(config, t);
      if (!records.isEmpty()) {
        assertEquals(
            null,
            out.put(LakePaths.inputFile(LakePaths.RAW, t.source, DATE, RUN, t.path), records),
            "two inputs share a lake file: " + t);
      }
    }
    return out;
  }

  /** Every regular file under the lake, by relative path. */
  private Map<String, Path> lakeFiles() throws IOException {
    Map<String, Path> out = new TreeMap<>();
    if (!Files.exists(lake)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(lake)) {
      s.filter(Files::isRegularFile).forEach(f -> out.put(lake.relativize(f).toString(), f));
    }
    return out;
  }

  /** A lake file read back the way ReadRawLake reads it (null is written as empty). */
  private static List<RawRecord> readBack(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(text.startsWith(String.join(",", RawRecord.CSV_HEADER) + "\r\n"), file.toString());
    List<RawRecord> out = new ArrayList<>();
    try (CSVParser csv =
        CSVFormat.RFC4180
            .builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .build()
            .parse(new StringReader(text))) {
      for (CSVRecord r : csv) {
        out.add(
            new RawRecord(
                r.get(0),
                r.get(1),
                r.get(2),
                nullIfEmpty(r.get(3)),
                nullIfEmpty(r.get(4)),
                nullIfEmpty(r.get(5)),
                nullIfEmpty(r.get(6)),
                nullIfEmpty(r.get(7))));
      }
    }
    return out;
  }

  private static @Nullable String nullIfEmpty(@Nullable String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private void assertLakeHolds(Map<String, List<RawRecord>> expected) throws IOException {
    Map<String, Path> files = lakeFiles();
    assertEquals(expected.keySet(), files.keySet(), "one lake file per input with records");
    for (Map.Entry<String, List<RawRecord>> e : expected.entrySet()) {
      assertSameRecords(e.getValue(), readBack(files.get(e.getKey())), e.getKey());
    }
  }

  /**
   * Same records in the same order, up to what CSV cannot tell apart (and never could in the lake):
   * an empty optional field reads back as null. Reports the first difference only.
   */
  private static void assertSameRecords(
      List<RawRecord> expected, List<RawRecord> actual, String label) {
    for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
      RawRecord e = expected.get(i);
      RawRecord asCsv =
          new RawRecord(
              e.source,
              e.origin,
              e.locator,
              nullIfEmpty(e.seriesId),
              nullIfEmpty(e.ts),
              nullIfEmpty(e.value),
              nullIfEmpty(e.vintage),
              nullIfEmpty(e.error));
      assertEquals(asCsv, actual.get(i), label + ", record " + i);
    }
    assertEquals(expected.size(), actual.size(), "records in " + label);
  }

  private static long total(Map<String, List<RawRecord>> lake) {
    return lake.values().stream().mapToLong(List::size).sum();
  }

  private void assertNoTemporaryFiles() throws IOException {
    try (Stream<Path> s = Files.walk(tmp)) {
      List<String> temp =
          s.map(p -> tmp.relativize(p).toString())
              .filter(p -> p.contains("temp"))
              .collect(Collectors.toList());
      assertEquals(List.of(), temp, "temporary files or folders left");
    }
  }

  // ---------------------------------------------------------------- tests

  /**
   * The default config (every file source type but parquet) plus parquet files and two inputs with
   * the same base name: every raw record is in the lake exactly once, in the file of the input it
   * was read from, in the order it was read, and reads back identically.
   */
  @Test
  void everyRawRecordLandsOnceInTheLakeFileOfItsInput() throws IOException {
    PipelineConfig defaults = PipelineConfig.load(Path.of("testdata/tslake.json"));
    Path a = Files.createDirectories(inputs.resolve("a")).resolve("readings.csv");
    Path b = Files.createDirectories(inputs.resolve("b")).resolve("readings.csv");
    Files.writeString(a, "time,name,reading\n2024-01-01T00:00:00Z,x,1\n2024-01-01T01:00:00Z,x,2\n");
    Files.writeString(b, "time,name,reading\n2024-01-01T00:00:00Z,x,1\n");
    SourceConfig parquet = new SourceConfig();
    parquet.name = "pq";
    parquet.type = SourceType.PARQUET;
    parquet.files.add(FileEntry.of(Path.of(ParquetSourceTest.PARQUET).toAbsolutePath().toString()));
    parquet.files.add(FileEntry.of(Path.of(ParquetSourceTest.NULLS).toAbsolutePath().toString()));
    parquet.timestampColumn = "Date";
    parquet.timestampFormat = "iso";
    parquet.seriesColumn = "Symbol";
    parquet.valueColumns = new ArrayList<>(ParquetSourceTest.VALUES);
    parquet.windows = List.of("P1D");
    List<SourceConfig> sources = new ArrayList<>(defaults.sources);
    sources.add(parquet);
    sources.add(csvSource("twins", a, b));
    PipelineConfig config = config(sources);
    Map<String, List<RawRecord>> expected = expectedLake(config);
    assertThat(total(expected), org.hamcrest.Matchers.greaterThan(90_000L));

    run(config, total(expected));

    assertLakeHolds(expected);
    Set<String> folders =
        lakeFiles().keySet().stream()
            .map(k -> k.substring(0, k.lastIndexOf('/')))
            .collect(Collectors.toSet());
    for (SourceConfig s : sources) {
      assertTrue(
          folders.contains("raw/source=" + s.name + "/ingest_date=" + DATE + "/run_id=" + RUN),
          s.name);
    }
    // the twins: one file each
    assertEquals(
        2, lakeFiles().keySet().stream().filter(k -> k.startsWith("raw/source=twins/")).count());
    // FRED metadata files carry no raw records, so they have no lake file
    assertTrue(lakeFiles().keySet().stream().noneMatch(k -> k.contains("series_metadata")));
    assertNoTemporaryFiles();
  }

  @Test
  void hostileSourceNamesFileNamesAndSeriesIdsWriteNothingOutsideTheLake() throws IOException {
    String rows =
        String.join(
            "\n",
            "time,name,reading",
            "2024-01-01T00:00:00Z,../../../" + ESCAPE + ",1",
            "2024-01-01T00:00:00Z,/etc/passwd,2",
            "2024-01-01T00:00:00Z,..,3",
            "2024-01-01T00:00:00Z,.hidden,4",
            "");
    String[] fileNames = {
      "..%2F..%2F" + ESCAPE + ".csv",
      ".hidden.csv",
      "..\\..\\" + ESCAPE,
      "a b,c'd;e=f&g.csv",
      "-rf.csv",
      "\u00fcber\u20ac.csv",
      "new\nline.csv",
      "%2E%2E",
      "x".repeat(240) + ".csv",
      "..csv",
      "@no_series.csv"
    };
    String[] sourceNames = {
      "../../../" + ESCAPE, "/" + ESCAPE, "..", ".", "", "a/../../b", ".hidden", "s"
    };
    List<SourceConfig> sources = new ArrayList<>();
    for (int i = 0; i < sourceNames.length; i++) {
      Path dir = Files.createDirectories(inputs.resolve("s" + i));
      List<Path> files = new ArrayList<>();
      for (String name : fileNames) {
        Path f = dir.resolve(name);
        Files.writeString(f, rows);
        files.add(f);
      }
      sources.add(csvSource(sourceNames[i], files.toArray(new Path[0])));
    }
    PipelineConfig config = config(sources);
    Map<String, List<RawRecord>> expected = expectedLake(config);
    assertEquals(sourceNames.length * fileNames.length, expected.size());
    Set<String> parentBefore;
    try (Stream<Path> s = Files.list(tmp.getParent())) {
      parentBefore = s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }

    run(config, total(expected));

    assertLakeHolds(expected);
    // nothing outside the lake root: tmp holds the inputs and the folder chain down to the lake
    try (Stream<Path> s = Files.walk(tmp)) {
      for (Path p : s.collect(Collectors.toList())) {
        assertTrue(
            p.equals(tmp) || p.startsWith(inputs) || lake.startsWith(p) || p.startsWith(lake),
            "created outside the lake root: " + p);
      }
    }
    try (Stream<Path> s = Files.list(tmp.getParent())) {
      for (String name : s.map(p -> p.getFileName().toString()).collect(Collectors.toList())) {
        assertTrue(
            parentBefore.contains(name) || !name.contains(ESCAPE),
            "created next to the temp dir: " + name);
      }
    }
    Path lakeReal = lake.toRealPath();
    for (Map.Entry<String, Path> f : lakeFiles().entrySet()) {
      assertTrue(f.getValue().toRealPath().startsWith(lakeReal), f.getKey());
      Path rel = lake.relativize(f.getValue());
      assertEquals(5, rel.getNameCount(), f.getKey());
      assertEquals("raw", rel.getName(0).toString());
      assertEquals("ingest_date=" + DATE, rel.getName(2).toString());
      assertEquals("run_id=" + RUN, rel.getName(3).toString());
      for (int i = 0; i < rel.getNameCount(); i++) {
        assertFalse(rel.getName(i).toString().startsWith("."), "hidden: " + f.getKey());
      }
      assertTrue(f.getKey().endsWith(".csv"), f.getKey());
      assertThat(rel.getFileName().toString().length(), org.hamcrest.Matchers.lessThan(200));
    }
    assertNoTemporaryFiles();
  }

  @Test
  void aRerunTheSameDayReplacesTheFilesInsteadOfAddingAny() throws IOException {
    Path a = Files.createDirectories(inputs.resolve("a")).resolve("readings.csv");
    Path b = Files.createDirectories(inputs.resolve("b")).resolve("readings.csv");
    StringBuilder big = new StringBuilder("time,name,reading\n");
    for (int i = 0; i < 5_000; i++) {
      big.append("2024-01-01T00:00:00Z,s").append(i % 7).append(',').append(i).append('\n');
    }
    Files.writeString(a, big);
    Files.writeString(b, "time,name,reading\n2024-01-01T00:00:00Z,x,1\n");
    SourceConfig fred = new SourceConfig();
    fred.name = "fred";
    fred.type = SourceType.FRED;
    fred.files.add(
        FileEntry.of(
            Path.of("testdata/fred/ICSA_obs_desc_limit24_2025-11-27.json")
                .toAbsolutePath()
                .toString()));
    fred.windows = List.of("P1M");
    PipelineConfig config = config(List.of(csvSource("r", a, b), fred));
    Map<String, List<RawRecord>> expected = expectedLake(config);
    assertEquals(3, expected.size());
    run(config, total(expected));
    Map<String, byte[]> first = new TreeMap<>();
    Map<String, Object> firstKeys = new HashMap<>();
    for (Map.Entry<String, Path> f : lakeFiles().entrySet()) {
      first.put(f.getKey(), Files.readAllBytes(f.getValue()));
      firstKeys.put(
          f.getKey(), Files.readAttributes(f.getValue(), BasicFileAttributes.class).fileKey());
    }

    run(config, total(expected));

    assertLakeHolds(expected);
    for (Map.Entry<String, Path> f : lakeFiles().entrySet()) {
      // one writer per input, in read order: the same input gives the same bytes
      assertArrayEquals(first.get(f.getKey()), Files.readAllBytes(f.getValue()), f.getKey());
      assertNotEquals(
          firstKeys.get(f.getKey()),
          Files.readAttributes(f.getValue(), BasicFileAttributes.class).fileKey(),
          "rewritten: " + f.getKey());
    }

    // the inputs change before a third run the same day: fewer rows in a, none left in b
    Files.writeString(a, "time,name,reading\n2024-01-02T00:00:00Z,s1,42\n");
    Files.writeString(b, "time,name,reading\n");
    Map<String, List<RawRecord>> changed = expectedLake(config);
    assertEquals(2, changed.size());

    run(config, total(changed));

    assertLakeHolds(changed);
    assertNoTemporaryFiles();
  }

  /**
   * A read that fails after 400 kB (the lake file has had most of it, well past the writer's
   * buffer) fails the run and leaves no file under a final name; when the same input's file is
   * there from an earlier run, it stays as it was.
   */
  @Test
  void aReadFailingMidFileLeavesNoHalfWrittenLakeFile() throws IOException {
    Path data = inputs.resolve("meter.csv");
    StringBuilder text = new StringBuilder("time,name,reading\n");
    for (int i = 0; i < 20_000; i++) {
      text.append("2024-01-01T00:00:00Z,meter-").append(i % 10).append(',').append(i).append('\n');
    }
    Files.writeString(data, text);
    assertThat(Files.size(data), org.hamcrest.Matchers.greaterThan(600_000L));
    SourceConfig s = csvSource("meters");
    s.files.add(FileEntry.of(FaultyFileSystem.spec(data)));
    PipelineConfig config = config(List.of(s));
    String rel =
        LakePaths.inputFile(LakePaths.RAW, "meters", DATE, RUN, FaultyFileSystem.spec(data));
    try {
      FaultyFileSystem.failAfter(data, 400_000);
      Pipeline.PipelineExecutionException first =
          assertThrows(Pipeline.PipelineExecutionException.class, () -> run(config, 20_000L));
      assertThat(fullTrace(first), containsString("injected fault"));
      assertEquals(Set.of(), lakeFiles().keySet(), "no lake file, no temporary file");

      FaultyFileSystem.heal(data);
      run(config, 20_000L);
      assertEquals(Set.of(rel), lakeFiles().keySet());
      byte[] complete = Files.readAllBytes(lake.resolve(rel));
      assertEquals(20_000, readBack(lake.resolve(rel)).size());

      FaultyFileSystem.failAfter(data, 400_000);
      assertThrows(Pipeline.PipelineExecutionException.class, () -> run(config, 20_000L));
      assertEquals(Set.of(rel), lakeFiles().keySet(), "no temporary file left");
      assertArrayEquals(
          complete,
          Files.readAllBytes(lake.resolve(rel)),
          "the earlier complete file is untouched");
    } finally {
      FaultyFileSystem.heal(data);
    }
    LakeHousekeeping.removeEmptyTempFolders(root());
    assertNoTemporaryFiles();
    assertFalse(Files.exists(lake.resolve(RawLakeFile.TEMP_FOLDER)));
  }

  private static String fullTrace(Throwable t) {
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }
}

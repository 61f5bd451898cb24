package dev.tslake.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.lake.LakeHousekeeping;
import dev.tslake.lake.LakePaths;
import dev.tslake.lake.LandRawFiles;
import dev.tslake.lake.ReadRawLake;
import dev.tslake.model.RawRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code splitBytes}: a csv file read as hundreds of line ranges gives exactly the raw records of a
 * whole-file read (all fields, locators included), lands each record once in the raw lake across
 * the per-range files, and replays from the lake to the same records.
 */
class ReadSourcesSplitTest {
  private static final String DATE = "2026-11-21";
  private static final String RUN = "run-1";

  @TempDir Path tmp;

  @BeforeAll
  static void fileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  /** ~600 KB of source,series_id,ts,value rows: CRLF breaks, blank lines, UTF-8, a short row. */
  private Path generated() throws IOException {
    Path p = tmp.resolve("generated observations.csv");
    StringBuilder sb = new StringBuilder("source,series_id,ts,value\r\n");
    for (int i = 0; i < 12_000; i++) {
      if (i % 997 == 0) {
        sb.append("\r\n");
      }
      if (i % 4999 == 0) {
        sb.append("bench,short\r\n");
      }
      sb.append("bench,")
          .append(i % 7 == 0 ? "sériés-€-" : "s")
          .append(i % 13)
          .append(',')
          .append(String.format("2024-01-%02dT%02d:%02d:00Z", 1 + i % 28, i % 24, i % 60))
          .append(',')
          .append(i * 0.25)
          .append(i % 3 == 0 ? "\r\n" : "\n");
    }
    sb.append("bench,last,2024-02-01T00:00:00Z,42"); // no trailing break
    Files.writeString(p, sb.toString(), StandardCharsets.UTF_8);
    return p;
  }

  private PipelineConfig config(long splitBytes) throws IOException {
    PipelineConfig defaults = PipelineConfig.load(Path.of("testdata/tslake.json"));
    List<SourceConfig> sources = new ArrayList<>();
    for (String name : List.of("bitstamp", "gemini")) {
      SourceConfig s = defaults.source(name);
      s.splitBytes = splitBytes;
      sources.add(s);
    }
    SourceConfig g = new SourceConfig();
    g.name = "generated";
    g.type = SourceType.CSV;
    g.files.add(FileEntry.of(generated().toString()));
    g.timestampColumn = "ts";
    g.seriesColumn = "series_id";
    g.valueColumns = new ArrayList<>(List.of("value"));
    g.windows = List.of("P1D");
    g.vintage = "2024-03-01";
    g.splitBytes = splitBytes;
    sources.add(g);
    PipelineConfig c = new PipelineConfig();
    c.sources = sources;
    return c;
  }

  /** The whole-file read of every input, straight through the parser, by input path. */
  private static Map<String, List<RawRecord>> wholeReads(PipelineConfig config) throws IOException {
    Map<String, List<RawRecord>> out = new TreeMap<>();
    for (SourceConfig s : config.sources) {
      for (FileEntry f : s.files) {
        for (FileTask t : ReadSources.expandFiles(single(s, f))) {
          if (t.part > 0) {
            continue;
          }
          Parsed parsed = new Parsed();
          try (Reader r = Files.newBufferedReader(Path.of(t.path), StandardCharsets.UTF_8)) {
            new CsvParser()
                .parse(
                    new PayloadContext(s, t.path, t.seriesIdHint, t.vintage),
                    ReadSources.withoutBom(new BufferedReader(r)),
                    parsed);
          }
          out.put(t.path, parsed.records);
        }
      }
    }
    return out;
  }

  private static PipelineConfig single(SourceConfig s, FileEntry f) {
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(s);
    return c;
  }

  private static List<RawRecord> all(Map<String, List<RawRecord>> byInput) {
    return byInput.values().stream().flatMap(List::stream).collect(Collectors.toList());
  }

  private Path lake() {
    return tmp.resolve("lake");
  }

  private void read(PipelineConfig config, List<RawRecord> expected) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollectionTuple read =
        p.apply(
            ReadSources.from(config)
                .withRawLanding(LandRawFiles.to(lake() + "/", DATE, RUN, config)));
    PAssert.that(read.get(ReadSources.RAW)).satisfies(sameAs(expected));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    LakeHousekeeping.removeEmptyTempFolders(lake() + "/");
  }

  /**
   * The same records as {@code expected}, each as often, in any order (hamcrest's
   * containsInAnyOrder is quadratic: too slow for 100k records).
   */
  private static org.apache.beam.sdk.transforms.SerializableFunction<Iterable<RawRecord>, Void>
      sameAs(List<RawRecord> expected) {
    List<String> want = sorted(expected);
    return actual -> {
      List<RawRecord> got = new ArrayList<>();
      actual.forEach(got::add);
      assertEquals(want.size(), got.size(), "records");
      List<String> have = sorted(got);
      for (int i = 0; i < want.size(); i++) {
        assertEquals(want.get(i), have.get(i), "record " + i + " in sorted order");
      }
      return null;
    };
  }

  private static List<String> sorted(List<RawRecord> records) {
    return records.stream().map(RawRecord::toString).sorted().collect(Collectors.toList());
  }

  /** Lake files by relative path. */
  private Map<String, Path> lakeFiles() throws IOException {
    Map<String, Path> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(lake())) {
      s.filter(Files::isRegularFile).forEach(f -> out.put(lake().relativize(f).toString(), f));
    }
    return out;
  }

  private static List<RawRecord> readBack(Path file) throws IOException {
    List<RawRecord> out = new ArrayList<>();
    try (CSVParser csv =
        CSVFormat.RFC4180
            .builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .build()
            .parse(new StringReader(Files.readString(file, StandardCharsets.UTF_8)))) {
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

  /** What a record reads back from the lake as (CSV writes null as empty). */
  private static RawRecord asCsv(RawRecord e) {
    return new RawRecord(
        e.source,
        e.origin,
        e.locator,
        nullIfEmpty(e.seriesId),
        nullIfEmpty(e.ts),
        nullIfEmpty(e.value),
        nullIfEmpty(e.vintage),
        nullIfEmpty(e.error));
  }

  @Test
  void hundredsOfRangesReadExactlyTheRecordsOfWholeFilesAndLandOnceInTheLake() throws IOException {
    PipelineConfig config = config(4096);
    List<FileTask> tasks = ReadSources.expandFiles(config);
    assertTrue(tasks.size() > 150, tasks.size() + " ranges");
    assertTrue(tasks.stream().allMatch(FileTask::isRange));
    Map<String, List<RawRecord>> expected = wholeReads(config);
    assertEquals(3, expected.size());
    assertTrue(all(expected).size() > 15_000, all(expected).size() + " records");
    assertTrue(all(expected).stream().anyMatch(r -> r.error != null), "some rejects");

    read(config, all(expected));

    // the lake: per input, its part files in part order hold its records in file order, once
    Map<String, Path> files = lakeFiles();
    int partFiles = 0;
    for (SourceConfig s : config.sources) {
      String path = s.files.get(0).path;
      String stem = LakePaths.inputFileStem(LakePaths.RAW, s.name, DATE, RUN, path);
      assertTrue(!files.containsKey(stem + ".csv"), "no whole-input file for " + path);
      List<RawRecord> landed = new ArrayList<>();
      for (Map.Entry<String, Path> f : files.entrySet()) { // sorted: part00000, part00001, ...
        if (f.getKey().startsWith(stem + LakePaths.PART_MARK)) {
          partFiles++;
          landed.addAll(readBack(f.getValue()));
        }
      }
      assertEquals(
          expected.get(path).stream().map(ReadSourcesSplitTest::asCsv).collect(Collectors.toList()),
          landed,
          path);
    }
    assertEquals(files.size(), partFiles, "nothing else in the lake: " + files.keySet());
    assertTrue(partFiles > 100, partFiles + " part files");

    // a replay from the lake reads every part file, origins are the inputs
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollectionTuple replay =
        p.apply(
            ReadRawLake.of(lake() + "/", config, DATE)
                .withOutputTags(ReadSources.RAW, ReadSources.SERIES));
    PAssert.that(replay.get(ReadSources.RAW))
        .satisfies(
            sameAs(
                all(expected).stream()
                    .map(ReadSourcesSplitTest::asCsv)
                    .collect(Collectors.toList())));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void aRerunWithAnotherLayoutLeavesOnlyItsOwnLakeFiles() throws IOException {
    Path small = tmp.resolve("small.csv");
    StringBuilder sb = new StringBuilder("time,name,reading\n");
    for (int i = 0; i < 200; i++) {
      sb.append("2024-01-01T00:00:")
          .append(String.format("%02d", i % 60))
          .append("Z,n")
          .append(i)
          .append(',')
          .append(i)
          .append('\n');
    }
    Files.writeString(small, sb.toString());
    SourceConfig s = new SourceConfig();
    s.name = "small";
    s.type = SourceType.CSV;
    s.files.add(FileEntry.of(small.toString()));
    s.timestampColumn = "time";
    s.seriesColumn = "name";
    s.valueColumns = new ArrayList<>(List.of("reading"));
    s.windows = List.of("P1D");
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(s);
    List<RawRecord> expected = all(wholeReads(c));
    assertEquals(200, expected.size());
    String stem = LakePaths.inputFileStem(LakePaths.RAW, "small", DATE, RUN, small.toString());

    s.splitBytes = 500;
    read(c, expected);
    int manyParts = lakeFiles().size();
    assertTrue(manyParts > 5, lakeFiles().keySet().toString());

    s.splitBytes = 2000;
    read(c, expected);
    assertTrue(lakeFiles().size() < manyParts, lakeFiles().keySet().toString());
    assertTrue(
        lakeFiles().keySet().stream().allMatch(k -> k.startsWith(stem + LakePaths.PART_MARK)));
    assertEquals(
        expected,
        lakeFiles().values().stream()
            .flatMap(
                f -> {
                  try {
                    return readBack(f).stream();
                  } catch (IOException e) {
                    throw new RuntimeException(e);
                  }
                })
            .collect(Collectors.toList()));

    s.splitBytes = 0;
    read(c, expected);
    assertEquals(List.of(stem + ".csv"), new ArrayList<>(lakeFiles().keySet()));

    s.splitBytes = 1000;
    read(c, expected);
    assertTrue(
        lakeFiles().keySet().stream().allMatch(k -> k.startsWith(stem + LakePaths.PART_MARK)),
        lakeFiles().keySet().toString());
  }

  /** A file a little over one split is cut in equal halves, not a full split and a remainder. */
  @Test
  void rangesAreOfEqualSizeAndCoverTheFileOnce() {
    SourceConfig s = new SourceConfig();
    s.name = "s";
    s.type = SourceType.CSV;
    s.splitBytes = 32;
    FileTask whole = new FileTask("s", "/f.csv", null, null);
    List<FileTask> two = ReadSources.splitIfLarge(s, whole, 47);
    assertEquals(2, two.size());
    assertEquals(
        List.of(0L, 23L, 23L, 47L),
        List.of(two.get(0).start, two.get(0).end, two.get(1).start, two.get(1).end));
    for (long size : new long[] {33, 64, 65, 1000, 4097}) {
      List<FileTask> ranges = ReadSources.splitIfLarge(s, whole, size);
      assertEquals((size + 31) / 32, ranges.size(), "ranges of " + size);
      long at = 0;
      for (FileTask r : ranges) {
        assertEquals(at, r.start);
        assertTrue(r.end - r.start <= 32 && r.end - r.start >= 16, r.toString());
        at = r.end;
      }
      assertEquals(size, at);
    }
    // sizes whose products overflow a long still cut exactly
    s.splitBytes = Long.MAX_VALUE / 8;
    List<FileTask> huge = ReadSources.splitIfLarge(s, whole, Long.MAX_VALUE / 2);
    assertEquals(5, huge.size());
    assertEquals(Long.MAX_VALUE / 2 / 5 * 3 + 1, huge.get(3).start);
    assertEquals(Long.MAX_VALUE / 2, huge.get(4).end);
  }
}

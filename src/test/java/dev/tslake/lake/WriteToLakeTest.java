package dev.tslake.lake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.testing.TestPipelineExtension;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollection;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * WriteToLake on the local filesystem: hostile series ids stay inside their folder, every file is a
 * CSV with a header whose rows read back as the input, and a rerun replaces the files.
 *
 * <p>The lake root sits six folders below the JUnit temp dir, so a series id that climbed out of
 * its folder would still land inside the temp dir, where the test sees it.
 */
@ExtendWith(TestPipelineExtension.class)
class WriteToLakeTest {
  private static final String DATE = "2026-11-20";
  private static final String RUN = "run-1";
  private static final String ESCAPE = "escape_" + Long.toHexString(System.nanoTime());

  @TempDir Path tmp;
  private Path lake;
  private Set<String> parentBefore;

  @BeforeEach
  void setUp() throws IOException {
    lake = tmp.resolve("d1/d2/d3/d4/d5/d6/lake");
    parentBefore = list(tmp.getParent());
  }

  private String root() {
    return lake.toString() + "/";
  }

  // ---------------------------------------------------------------- fixtures

  private static final String TRICKY_VALUE =
      "1,234.5 \"quoted\", 'single'\nsecond line\r\nthird line; tab\there, trailing space ";

  /** Records with hostile series ids, plus awkward values that CSV must quote. */
  private static List<RawRecord> hostileRecords() {
    List<RawRecord> in = new ArrayList<>();
    String[] ids = {
      "../../escape",
      "../../../../../../../../../../" + ESCAPE,
      "/abs",
      "/" + ESCAPE,
      "..",
      ".",
      "a/../../b",
      "BTC/USD.close",
      "x".repeat(500),
      "y".repeat(499) + "\u00e9",
      ".hidden",
      "..\\..\\win",
      "~",
      "%2E%2E",
      " PAYEMS ",
      "\u00fcber/\u20ac",
      "_no_series"
    };
    int line = 2;
    for (String id : ids) {
      in.add(
          RawRecord.of(
              "s",
              "s3://bucket/in,put \"file\".csv",
              "line " + line++,
              id,
              "2026-11-19 10:00:00",
              "1.5",
              null));
    }
    // Several records in one file, with values that need quoting.
    in.add(
        RawRecord.of(
            "fred",
            "https://api.stlouisfed.org/fred/series/observations?id=PAYEMS",
            "observations[0]",
            "PAYEMS",
            "2023-03-01",
            "155472",
            "2023-07-18"));
    in.add(
        RawRecord.of(
            "fred",
            "https://api.stlouisfed.org/fred/series/observations?id=PAYEMS",
            "observations[1]",
            "PAYEMS",
            "2023-04-01",
            TRICKY_VALUE,
            ""));
    in.add(
        RawRecord.of(
            "fred",
            "fred/PAYEMS.json",
            "observations[2]",
            "PAYEMS",
            "",
            "\"\"",
            "2023-07-18T00:00:00Z"));
    // No series id at all, with an error excerpt that contains CSV syntax.
    in.add(
        RawRecord.unparseable(
            "fred",
            "fred/broken.json",
            "payload",
            null,
            "truncated JSON: \"observations\": [",
            "{\"observations\": [\n{\"date\": \"2023-03-01\","));
    in.add(RawRecord.unparseable("s", "s.csv", "line 99", "   ", "row has 2 fields", "a,b"));
    return in;
  }

  // ---------------------------------------------------------------- filesystem helpers

  private static Set<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  /** Every regular file under {@code dir}, by path relative to it, with its bytes. */
  private static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).collect(Collectors.toList())) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  /** Every path (files and folders) under {@code dir}, relative. */
  private static List<String> allPaths(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.map(p -> dir.relativize(p).toString()).sorted().collect(Collectors.toList());
    }
  }

  private static Object fileKey(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  /** The CSV dialect the lake is written in; nulls come back as empty strings. */
  private static List<List<String>> readCsv(Path file, String[] header) throws IOException {
    return readCsv(file.toString(), Files.readAllBytes(file), header);
  }

  private static List<List<String>> readCsv(String label, byte[] content, String[] header)
      throws IOException {
    String text = new String(content, StandardCharsets.UTF_8);
    int eol = text.indexOf("\r\n");
    assertTrue(eol > 0, "no header line in " + label);
    assertEquals(String.join(",", header), text.substring(0, eol), "header row of " + label);
    List<List<String>> rows = new ArrayList<>();
    try (Reader r = new java.io.StringReader(text);
        CSVParser parser =
            CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
      assertEquals(Arrays.asList(header), parser.getHeaderNames(), "header of " + label);
      for (CSVRecord rec : parser) {
        assertTrue(rec.isConsistent(), "row " + rec.getRecordNumber() + " of " + label);
        rows.add(rec.toList());
      }
    }
    return rows;
  }

  private static List<String> row(String[] values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      out.add(v == null ? "" : v);
    }
    return out;
  }

  /** Sorted rows, so files can be compared as multisets of rows. */
  private static List<String> sorted(List<List<String>> rows) {
    return rows.stream().map(r -> String.join("\u0001", r)).sorted().collect(Collectors.toList());
  }

  /**
   * Asserts that {@code tmp} holds nothing but the lake, that every file in the lake is a CSV
   * directly inside {@code <zone>/source=<src>/ingest_date=DATE/run_id=RUN/}, that nothing appeared
   * next to the temp dir, and that no temporary files are left over.
   */
  private void assertContained(String zone, Set<String> sources) throws IOException {
    // Nothing outside the lake root: tmp holds only the folder chain down to the lake.
    for (String rel : allPaths(tmp)) {
      if (rel.isEmpty()) {
        continue;
      }
      Path p = tmp.resolve(rel);
      boolean onChain = lake.startsWith(p);
      assertTrue(onChain || p.startsWith(lake), "created outside the lake root: " + p);
      if (onChain) {
        assertTrue(Files.isDirectory(p), p.toString());
      }
    }
    // Nothing appeared next to the temp dir under a name the hostile ids could produce.
    Set<String> parentNow = list(tmp.getParent());
    parentNow.removeAll(parentBefore);
    for (String name : parentNow) {
      assertFalse(
          name.contains(ESCAPE) || name.equals("abs") || name.equals("b") || name.endsWith(".csv"),
          "created next to the temp dir: " + name);
    }
    // Every file is a CSV directly inside its source's folder for the ingest date.
    Path lakeReal = lake.toRealPath();
    for (String rel : files(lake).keySet()) {
      Path file = lake.resolve(rel);
      assertTrue(file.toRealPath().startsWith(lakeReal), rel);
      Path folder = lake.relativize(file.getParent());
      assertEquals(4, folder.getNameCount(), rel);
      assertEquals(zone, folder.getName(0).toString(), rel);
      String src = folder.getName(1).toString();
      assertTrue(src.startsWith("source=") && sources.contains(src.substring(7)), rel);
      assertEquals("ingest_date=" + DATE, folder.getName(2).toString(), rel);
      assertEquals("run_id=" + RUN, folder.getName(3).toString(), rel);
      String name = file.getFileName().toString();
      assertTrue(name.endsWith(".csv"), rel);
      assertFalse(name.startsWith("."), "hidden file " + rel);
      assertTrue(name.length() <= 160, "name too long: " + rel);
    }
    assertNoTemporaryFiles();
    Set<String> top = list(lake);
    top.remove(BEAM_TEMP);
    assertEquals(Set.of(zone), top, "lake root holds only the zone folder");
  }

  /**
   * Beam's FileIO stages files in {@code <root>/.temp-beam/<uuid>/}; it deletes the uuid folder
   * after renaming but leaves the (then empty) {@code .temp-beam} folder itself. That empty folder
   * is tolerated; any file in it, or any other temp entry, is a leftover.
   */
  private static final String BEAM_TEMP = ".temp-beam";

  private void assertNoTemporaryFiles() throws IOException {
    if (!Files.exists(lake)) {
      return;
    }
    for (String rel : allPaths(lake)) {
      if (rel.equals(BEAM_TEMP)) {
        assertEquals(Set.of(), list(lake.resolve(rel)), "files left in " + rel);
        continue;
      }
      assertFalse(rel.contains("temp"), "leftover " + rel);
    }
  }

  /** The file each record must be in, by the lake layout. */
  private static Map<String, List<List<String>>> expectedRaw(List<RawRecord> in) {
    Map<String, List<List<String>>> out = new TreeMap<>();
    for (RawRecord r : in) {
      out.computeIfAbsent(
              LakePaths.file(LakePaths.RAW, r.source, DATE, RUN, r.seriesId),
              k -> new ArrayList<>())
          .add(row(r.toCsvRow()));
    }
    return out;
  }

  private void assertRawLakeHolds(List<RawRecord> in) throws IOException {
    Map<String, List<List<String>>> expected = expectedRaw(in);
    Map<String, byte[]> actual = files(lake);
    assertEquals(expected.keySet(), actual.keySet(), "files in the lake");
    for (Map.Entry<String, List<List<String>>> e : expected.entrySet()) {
      List<List<String>> rows = readCsv(lake.resolve(e.getKey()), RawRecord.CSV_HEADER);
      assertEquals(sorted(e.getValue()), sorted(rows), "rows of " + e.getKey());
    }
  }

  private PipelineResult.State runRaw(Pipeline p, List<RawRecord> in) {
    p.apply("Raw", Create.of(in).withCoder(RawRecord.Coder.of()))
        .apply("WriteRaw", WriteToLake.raw(root(), DATE, RUN));
    return p.run().waitUntilFinish();
  }

  private static Pipeline freshPipeline() {
    return Pipeline.create(PipelineOptionsFactory.create());
  }

  // ---------------------------------------------------------------- tests

  @Test
  void hostileSeriesIdsStayInsideTheirFolderAndRoundTrip(TestPipeline p) throws IOException {
    List<RawRecord> in = hostileRecords();

    assertEquals(PipelineResult.State.DONE, runRaw(p, in));

    assertContained(LakePaths.RAW, Set.of("s", "fred"));
    assertRawLakeHolds(in);
    // Spot checks of the layout, independent of LakePaths.
    String folder = "raw/source=s/ingest_date=" + DATE + "/run_id=" + RUN + "/";
    Set<String> names = files(lake).keySet();
    assertTrue(names.contains(folder + "%2E%2E%2F%2E%2E%2Fescape.csv"), names.toString());
    assertTrue(names.contains(folder + "%2Fabs.csv"), names.toString());
    assertTrue(names.contains(folder + "%2E%2E.csv"), names.toString());
    assertTrue(names.contains(folder + "BTC%2FUSD%2Eclose.csv"), names.toString());
    assertTrue(names.contains(folder + "PAYEMS.csv"), names.toString());
    assertTrue(
        names.contains("raw/source=fred/ingest_date=" + DATE + "/run_id=" + RUN + "/PAYEMS.csv"),
        names.toString());
    assertTrue(
        names.contains(
            "raw/source=fred/ingest_date=" + DATE + "/run_id=" + RUN + "/@no_series.csv"),
        names.toString());
    // The two 500-character ids are distinct files, cut to a bounded length.
    long longOnes = names.stream().filter(n -> n.contains("~")).count();
    assertEquals(2, longOnes, names.toString());
  }

  @Test
  void valuesWithCommasQuotesAndNewlinesRoundTrip(TestPipeline p) throws IOException {
    RawRecord tricky =
        RawRecord.of(
            "fred",
            "a,b.json",
            "observations[\"0\"]",
            "PAYEMS",
            "2023-04-01",
            TRICKY_VALUE,
            "2023-07-18");

    assertEquals(PipelineResult.State.DONE, runRaw(p, List.of(tricky)));

    Path file =
        lake.resolve("raw/source=fred/ingest_date=" + DATE + "/run_id=" + RUN + "/PAYEMS.csv");
    List<List<String>> rows = readCsv(file, RawRecord.CSV_HEADER);
    assertEquals(
        List.of(
            Arrays.asList(
                "fred",
                "a,b.json",
                "observations[\"0\"]",
                "PAYEMS",
                "2023-04-01",
                TRICKY_VALUE,
                "2023-07-18",
                "")),
        rows);
    assertContained(LakePaths.RAW, Set.of("fred"));
  }

  @Test
  void rerunWithTheSameInputReplacesTheFiles(TestPipeline p) throws IOException {
    List<RawRecord> in = hostileRecords();
    assertEquals(PipelineResult.State.DONE, runRaw(p, in));
    Map<String, byte[]> first = files(lake);
    Map<String, Object> firstKeys = new TreeMap<>();
    for (String rel : first.keySet()) {
      firstKeys.put(rel, fileKey(lake.resolve(rel)));
    }
    List<String> firstPaths = allPaths(lake);

    assertEquals(PipelineResult.State.DONE, runRaw(freshPipeline(), in));

    Map<String, byte[]> second = files(lake);
    assertEquals(first.keySet(), second.keySet(), "same files, none added");
    for (String rel : first.keySet()) {
      // Same header, same rows. Row order inside a file is whatever order the runner hands the
      // records to the writer, so files holding several rows are compared as row multisets;
      // single-row files must be byte-identical.
      List<List<String>> rowsBefore =
          readCsv(rel + " (first run)", first.get(rel), RawRecord.CSV_HEADER);
      List<List<String>> rowsAfter = readCsv(lake.resolve(rel), RawRecord.CSV_HEADER);
      assertEquals(sorted(rowsBefore), sorted(rowsAfter), "same rows in " + rel);
      if (rowsBefore.size() == 1) {
        assertArrayEquals(first.get(rel), second.get(rel), "same bytes in " + rel);
      }
      assertNotEquals(
          firstKeys.get(rel), fileKey(lake.resolve(rel)), "the second run wrote a new file " + rel);
    }
    assertEquals(firstPaths, allPaths(lake), "no extra files or folders");
    assertContained(LakePaths.RAW, Set.of("s", "fred"));
    assertRawLakeHolds(in);
  }

  @Test
  void rerunWithChangedInputReplacesTheContent(TestPipeline p) throws IOException {
    List<RawRecord> in =
        new ArrayList<>(
            List.of(
                RawRecord.of(
                    "fred",
                    "f.json",
                    "observations[0]",
                    "PAYEMS",
                    "2023-03-01",
                    "155420",
                    "2023-05-05"),
                RawRecord.of(
                    "fred",
                    "f.json",
                    "observations[1]",
                    "PAYEMS",
                    "2023-04-01",
                    "155673",
                    "2023-05-05"),
                RawRecord.of(
                    "fred",
                    "g.json",
                    "observations[0]",
                    "../UNRATE",
                    "2023-04-01",
                    "3.4",
                    "2023-05-05")));
    assertEquals(PipelineResult.State.DONE, runRaw(p, in));
    assertRawLakeHolds(in);

    // The revised release: a new value, one fewer row, same files.
    List<RawRecord> revised =
        List.of(
            RawRecord.of(
                "fred",
                "f.json",
                "observations[0]",
                "PAYEMS",
                "2023-03-01",
                "155472",
                "2023-07-18"),
            RawRecord.of(
                "fred",
                "g.json",
                "observations[0]",
                "../UNRATE",
                "2023-04-01",
                "3.5",
                "2023-07-18"));
    assertEquals(PipelineResult.State.DONE, runRaw(freshPipeline(), revised));

    assertRawLakeHolds(revised);
    assertContained(LakePaths.RAW, Set.of("fred"));
  }

  @Test
  void rejectsLandUnderRejectedWithStageAndReason(TestPipeline p) throws IOException {
    RawRecord ambiguous =
        RawRecord.of(
            "fred",
            "f.json",
            "observations[3]",
            "../../UNRATE",
            "2020-03-01",
            "1,23",
            "2020-04-03");
    RawRecord unparseable =
        RawRecord.unparseable(
            "av",
            "https://www.alphavantage.co/query",
            "payload",
            null,
            "Alpha Vantage error: Invalid API call.",
            "{\"Error Message\": \"x\"}");
    RawRecord badTs =
        RawRecord.of(
            "taxi", "t.csv", "line 2 fare_amount", "2", "2016-03-13 02:30:00", "9.5", null);
    List<Reject> rejects =
        List.of(
            new Reject(
                "validate",
                "value '1,23' is ambiguous: ',' is neither a thousands separator",
                ambiguous),
            new Reject("parse", "Alpha Vantage error: Invalid API call.", unparseable),
            new Reject(
                "validate",
                "local time '2016-03-13 02:30:00' does not exist in"
                    + " America/New_York (skipped by a daylight-saving change)",
                badTs));

    p.apply("Rejects", Create.of(rejects).withCoder(Reject.coder()))
        .apply("WriteRejected", WriteToLake.rejected(root(), DATE, RUN));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    assertContained(LakePaths.REJECTED, Set.of("fred", "av", "taxi"));
    Map<String, byte[]> files = files(lake);
    String ambiguousFile =
        "rejected/source=fred/ingest_date="
            + DATE
            + "/run_id="
            + RUN
            + "/%2E%2E%2F%2E%2E%2FUNRATE.csv";
    String avFile = "rejected/source=av/ingest_date=" + DATE + "/run_id=" + RUN + "/@no_series.csv";
    String taxiFile = "rejected/source=taxi/ingest_date=" + DATE + "/run_id=" + RUN + "/2.csv";
    assertEquals(Set.of(ambiguousFile, avFile, taxiFile), files.keySet());

    assertEquals(
        List.of(
            Arrays.asList(
                "fred",
                "f.json",
                "observations[3]",
                "../../UNRATE",
                "2020-03-01",
                "1,23",
                "2020-04-03",
                "validate",
                "value '1,23' is ambiguous: ',' is neither a thousands separator")),
        readCsv(lake.resolve(ambiguousFile), Reject.CSV_HEADER));
    assertEquals(
        List.of(
            Arrays.asList(
                "av",
                "https://www.alphavantage.co/query",
                "payload",
                "",
                "",
                "{\"Error Message\": \"x\"}",
                "",
                "parse",
                "Alpha Vantage error: Invalid API call.")),
        readCsv(lake.resolve(avFile), Reject.CSV_HEADER));
    List<List<String>> taxiRows = readCsv(lake.resolve(taxiFile), Reject.CSV_HEADER);
    assertEquals(1, taxiRows.size());
    assertEquals("validate", taxiRows.get(0).get(7));
    assertTrue(taxiRows.get(0).get(8).contains("does not exist in America/New_York"));
  }

  @Test
  void rawAndRejectedShareOneLakeRoot(TestPipeline p) throws IOException {
    RawRecord r =
        RawRecord.of("fred", "f.json", "observations[0]", "UNRATE", "2020-03-01", "x", null);
    p.apply("Raw", Create.of(r).withCoder(RawRecord.Coder.of()))
        .apply("WriteRaw", WriteToLake.raw(root(), DATE, RUN));
    p.apply(
            "Rejects",
            Create.of(new Reject("validate", "value 'x' is not a number", r))
                .withCoder(Reject.coder()))
        .apply("WriteRejected", WriteToLake.rejected(root(), DATE, RUN));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    assertEquals(
        Set.of(
            "raw/source=fred/ingest_date=" + DATE + "/run_id=" + RUN + "/UNRATE.csv",
            "rejected/source=fred/ingest_date=" + DATE + "/run_id=" + RUN + "/UNRATE.csv"),
        files(lake).keySet());
    Set<String> top = list(lake);
    top.remove(BEAM_TEMP);
    assertEquals(Set.of("raw", "rejected"), top);
    assertEquals(
        List.of(row(r.toCsvRow())),
        readCsv(
            lake.resolve("raw/source=fred/ingest_date=" + DATE + "/run_id=" + RUN + "/UNRATE.csv"),
            RawRecord.CSV_HEADER));
    assertEquals(
        List.of(row(new Reject("validate", "value 'x' is not a number", r).toCsvRow())),
        readCsv(
            lake.resolve(
                "rejected/source=fred/ingest_date=" + DATE + "/run_id=" + RUN + "/UNRATE.csv"),
            Reject.CSV_HEADER));
    assertNoTemporaryFiles();
  }

  /**
   * Append-only: the files another run of the same day wrote for the same series stay as they were;
   * a rerun of this run id replaces its own. The committed-file counts arrive only after the files
   * are in place.
   */
  @Test
  void anotherRunsFilesStayAndThisRunsOwnAreReplaced(TestPipeline p) throws IOException {
    String otherRaw = LakePaths.file(LakePaths.RAW, "fred", DATE, "run-0", "UNRATE");
    String otherRejected = LakePaths.file(LakePaths.REJECTED, "fred", DATE, "run-0", "UNRATE");
    String ownRaw = LakePaths.file(LakePaths.RAW, "fred", DATE, RUN, "UNRATE");
    for (String f : List.of(otherRaw, otherRejected, ownRaw)) {
      Files.createDirectories(lake.resolve(f).getParent());
      Files.writeString(lake.resolve(f), "earlier");
    }
    RawRecord r =
        RawRecord.of("fred", "f.json", "observations[0]", "UNRATE", "2020-03-01", "x", null);
    PCollection<Long> raw =
        WriteToLake.committedFiles(
            p.apply("Raw", Create.of(r).withCoder(RawRecord.Coder.of()))
                .apply("WriteRaw", WriteToLake.raw(root(), DATE, RUN)),
            "Raw");
    PCollection<Long> rejected =
        WriteToLake.committedFiles(
            p.apply(
                    "Rejects",
                    Create.of(new Reject("validate", "value 'x' is not a number", r))
                        .withCoder(Reject.coder()))
                .apply("WriteRejected", WriteToLake.rejected(root(), DATE, RUN)),
            "Rejected");
    PAssert.that(raw.apply("SumRaw", Sum.longsGlobally())).containsInAnyOrder(1L);
    PAssert.that(rejected.apply("SumRejected", Sum.longsGlobally())).containsInAnyOrder(1L);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    assertEquals("earlier", Files.readString(lake.resolve(otherRaw)));
    assertEquals("earlier", Files.readString(lake.resolve(otherRejected)));
    assertEquals(List.of(row(r.toCsvRow())), readCsv(lake.resolve(ownRaw), RawRecord.CSV_HEADER));
    assertEquals(
        Set.of(
            otherRaw,
            otherRejected,
            ownRaw,
            LakePaths.file(LakePaths.REJECTED, "fred", DATE, RUN, "UNRATE")),
        files(lake).keySet());
  }

  @Test
  void noRecordsWritesNoFiles(TestPipeline p) throws IOException {
    p.apply("Rejects", Create.empty(Reject.coder()))
        .apply("WriteRejected", WriteToLake.rejected(root(), DATE, RUN));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    Map<String, byte[]> files = Files.exists(lake) ? files(lake) : Map.of();
    assertEquals(Set.of(), files.keySet(), "no rejects, no reject files");
    assertNoTemporaryFiles();
  }

  @Test
  void idsDifferingOnlyInSurroundingBlanksShareAFileWithoutLosingRows(TestPipeline p)
      throws IOException {
    List<RawRecord> in =
        List.of(
            RawRecord.of("s", "o", "l1", "A", "t", "1", null),
            RawRecord.of("s", "o", "l2", " A", "t", "2", null),
            RawRecord.of("s", "o", "l3", "A ", "t", "3", null));

    assertEquals(PipelineResult.State.DONE, runRaw(p, in));

    assertEquals(
        Set.of("raw/source=s/ingest_date=" + DATE + "/run_id=" + RUN + "/A.csv"),
        files(lake).keySet());
    assertRawLakeHolds(in);
    Set<String> seriesColumn = new HashSet<>();
    for (List<String> row :
        readCsv(
            lake.resolve("raw/source=s/ingest_date=" + DATE + "/run_id=" + RUN + "/A.csv"),
            RawRecord.CSV_HEADER)) {
      seriesColumn.add(row.get(3));
    }
    assertEquals(Set.of("A", " A", "A "), seriesColumn, "ids are kept verbatim in the rows");
  }
}

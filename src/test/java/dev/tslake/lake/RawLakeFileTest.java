package dev.tslake.lake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RawLakeFile} on the local filesystem: records stream into a temporary file inside the lake
 * root, which becomes the final file only on commit; anything else leaves no file under a final
 * name and no temporary file.
 */
class RawLakeFileTest {
  private static final String DATE = "2026-11-20";
  private static final String RUN = "run-1";
  private static final String INPUT = "/data/in/fred/PAYEMS_obs.json";

  @TempDir Path tmp;
  private Path lake;

  @BeforeAll
  static void fileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  @BeforeEach
  void setUp() {
    lake = tmp.resolve("lake");
  }

  private String root() {
    return lake + "/";
  }

  private static List<RawRecord> records(int n, String value) {
    List<RawRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          RawRecord.of(
              "fred",
              INPUT,
              "observations[" + i + "]",
              i % 2 == 0 ? "PAYEMS" : "../x",
              "2023-03-01",
              value + i,
              i % 3 == 0 ? null : "2023-07-18"));
    }
    // values CSV must quote, and a record without a series
    out.add(
        RawRecord.of(
            "fred",
            INPUT,
            "observations[\"q\"]",
            "A,B",
            "2023-04-01",
            "1,234.5 \"quoted\"\nsecond line\r\nthird",
            "2023-07-18"));
    out.add(
        RawRecord.unparseable(
            "fred", INPUT, "payload", null, "truncated JSON: \"x\": [", "{\"observations\": [\n"));
    return out;
  }

  private Path finalFile() {
    return lake.resolve(LakePaths.inputFile(LakePaths.RAW, "fred", DATE, RUN, INPUT));
  }

  private List<Path> regularFiles() throws IOException {
    if (!Files.exists(lake)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(lake)) {
      return s.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
  }

  private List<Path> tempFiles() throws IOException {
    return regularFiles().stream()
        .filter(p -> lake.relativize(p).startsWith(RawLakeFile.TEMP_FOLDER))
        .collect(Collectors.toList());
  }

  /** Reads a lake file the way {@link ReadRawLake} does. */
  private static List<RawRecord> readBack(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(text.startsWith(String.join(",", RawRecord.CSV_HEADER) + "\r\n"), text);
    List<RawRecord> out = new ArrayList<>();
    try (CSVParser csv =
        CSVFormat.RFC4180
            .builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .build()
            .parse(new StringReader(text))) {
      for (CSVRecord r : csv) {
        out.add(ReadRawLake.ParseRawCsvFn.fromRow(r));
      }
    }
    return out;
  }

  private void write(List<RawRecord> records) throws IOException {
    try (RawLakeFile f = RawLakeFile.forInput(root(), "fred", DATE, RUN, INPUT)) {
      for (RawRecord r : records) {
        f.write(r);
      }
      f.commit();
      assertEquals(records.size(), f.records());
    }
  }

  @Test
  void recordsGoToATemporaryFileAndReachTheFinalNameOnlyOnCommit() throws IOException {
    List<RawRecord> in = records(20_000, "v");
    try (RawLakeFile f = RawLakeFile.forInput(root(), "fred", DATE, RUN, INPUT)) {
      assertEquals(LakePaths.inputFile(LakePaths.RAW, "fred", DATE, RUN, INPUT), f.relativePath());
      for (RawRecord r : in) {
        f.write(r);
      }
      // more than the writer's buffer has gone out, all of it to the temporary file
      List<Path> temp = tempFiles();
      assertEquals(1, temp.size(), regularFiles().toString());
      assertTrue(Files.size(temp.get(0)) > 1 << 16);
      assertEquals(temp, regularFiles(), "nothing under a final name before the commit");
      f.commit();
    }
    assertEquals(List.of(finalFile()), regularFiles());
    assertEquals(in, readBack(finalFile()), "every record, in order, read back identically");
    LakeHousekeeping.removeEmptyTempFolders(root());
    try (Stream<Path> s = Files.list(lake)) {
      assertEquals(
          List.of("raw"),
          s.map(p -> p.getFileName().toString()).collect(Collectors.toList()),
          "no temporary folder left");
    }
  }

  @Test
  void closingWithoutACommitLeavesNoFile() throws IOException {
    try (RawLakeFile f = RawLakeFile.forInput(root(), "fred", DATE, RUN, INPUT)) {
      for (RawRecord r : records(20_000, "v")) {
        f.write(r);
      }
      assertEquals(1, tempFiles().size());
      // the read fails here: no commit
    }
    assertEquals(List.of(), regularFiles());
  }

  @Test
  void aFailedRerunLeavesThePreviousFileIntact() throws IOException {
    write(records(100, "first"));
    byte[] before = Files.readAllBytes(finalFile());

    try (RawLakeFile f = RawLakeFile.forInput(root(), "fred", DATE, RUN, INPUT)) {
      for (RawRecord r : records(20_000, "second")) {
        f.write(r);
      }
    }

    assertEquals(List.of(finalFile()), regularFiles());
    assertArrayEquals(before, Files.readAllBytes(finalFile()));
  }

  @Test
  void aRerunReplacesTheFileAndAnInputWithNoRecordsRemovesIt() throws IOException {
    write(records(100, "first"));
    Object firstKey = Files.readAttributes(finalFile(), BasicFileAttributes.class).fileKey();
    List<RawRecord> second = records(10, "second");

    write(second);

    assertEquals(List.of(finalFile()), regularFiles());
    assertEquals(second, readBack(finalFile()));
    assertNotEquals(
        firstKey,
        Files.readAttributes(finalFile(), BasicFileAttributes.class).fileKey(),
        "a new file");

    write(List.of());
    assertEquals(List.of(), regularFiles(), "no records, no file (and none left from before)");
  }

  @Test
  void aWriteThatFailsPoisonsTheFileSoItIsNeverCommitted() throws IOException {
    // the temporary folder cannot be created: a file is in its way
    Files.createDirectories(lake);
    Files.writeString(lake.resolve(RawLakeFile.TEMP_FOLDER), "in the way");
    write(List.of()); // no records: the commit needs no temporary file
    RawLakeFile f = RawLakeFile.forInput(root(), "fred", DATE, RUN, INPUT);
    List<RawRecord> in = records(3, "v");
    IOException first = assertThrows(IOException.class, () -> f.write(in.get(0)));
    // a parser that swallowed the failure and carried on still cannot commit a partial file
    assertSame(first, assertThrows(IOException.class, () -> f.write(in.get(1))));
    java.io.UncheckedIOException unchecked =
        assertThrows(java.io.UncheckedIOException.class, () -> f.writeUnchecked(in.get(2)));
    assertSame(first, unchecked.getCause());
    assertSame(first, assertThrows(IOException.class, f::commit));
    f.close();
    assertFalse(Files.exists(finalFile()));
    assertEquals(List.of(lake.resolve(RawLakeFile.TEMP_FOLDER)), regularFiles());
  }
}

package dev.tslake.sources;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.FileEntry;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LineRange} and {@link CsvParser#parseLines}: the ranges of a file give every byte once,
 * their line counts add up to the file's, and parsing the ranges (numbered from the counts of the
 * ranges before) gives exactly the records of a whole-file parse, for every split size.
 */
class LineRangeTest {
  @TempDir Path tmp;

  @BeforeAll
  static void fileSystems() {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
  }

  private static byte[] owned(byte[] file, long start, long end) throws IOException {
    try (LineRange r = LineRange.of(new ByteArrayInputStream(file), start, end)) {
      return r.readAllBytes();
    }
  }

  private static long count(byte[] file, long start, long end) throws IOException {
    try (LineRange r = LineRange.of(new ByteArrayInputStream(file), start, end)) {
      return r.countLineBreaks();
    }
  }

  private static long[][] ranges(long size, long split) {
    int n = (int) ((size + split - 1) / split);
    long[][] out = new long[n][];
    for (int i = 0; i < n; i++) {
      out[i] = new long[] {i * split, Math.min(size, (i + 1) * split)};
    }
    return out;
  }

  /** Breaks as CsvRows counts them: \n, \r\n, lone \r. */
  private static long breaks(String text) {
    return text.replace("\r\n", "\n").chars().filter(c -> c == '\n' || c == '\r').count();
  }

  private static final String[] TEXTS = {
    "",
    "\n",
    "a",
    "a\n",
    "time,name,reading\n",
    "time,name,reading",
    "ab\ncd\nef\n",
    "ab\ncd\nef",
    "ab\r\ncd\r\n\r\nef\r\n",
    "ab\r\ncd\r\nef",
    "x\n\n\n\ny\n",
    "lone\rcr\nmixed\r\n\rend",
    "a very long line with no break in the middle of several ranges\nshort\n",
    "héllo,wörld\n€uro,日本語\n🙂,🙂🙂\nlast,ø",
  };

  @Test
  void rangesGiveEveryByteOnceAndCountEveryLineBreak() throws IOException {
    for (String text : TEXTS) {
      byte[] file = text.getBytes(StandardCharsets.UTF_8);
      for (long split = 1; split <= file.length + 1; split++) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long lines = 0;
        for (long[] r : ranges(file.length, split)) {
          byte[] part = owned(file, r[0], r[1]);
          if (part.length > 0) {
            // a range's lines start at a line start: the file's start or after a '\n'
            assertTrue(r[0] == 0 || file[(int) (all.size() - 1)] == '\n', text + " / " + split);
            // and its first line starts inside the range
            assertTrue(all.size() >= r[0] && all.size() < r[1], text + " / " + split);
          }
          all.write(part);
          lines += count(file, r[0], r[1]);
        }
        assertArrayEquals(file, all.toByteArray(), "'" + text + "' split every " + split);
        assertEquals(breaks(text), lines, "'" + text + "' split every " + split);
      }
    }
  }

  @Test
  void boundaryCases() throws IOException {
    byte[] f = "ab\ncd\nef".getBytes(StandardCharsets.UTF_8);
    // range starting exactly on a line start (byte before is '\n') owns that line
    assertEquals("cd\n", new String(owned(f, 3, 4), StandardCharsets.UTF_8));
    // range starting on the '\n' itself: the line "ab\n" began before, the next starts at 3
    assertEquals("cd\n", new String(owned(f, 2, 4), StandardCharsets.UTF_8));
    // ending exactly on a '\n' byte: the line starting at 3 is owned, read to its break
    assertEquals("ab\ncd\n", new String(owned(f, 0, 3 + 1), StandardCharsets.UTF_8));
    // end just after a '\n': the next line is not owned
    assertEquals("ab\n", new String(owned(f, 0, 3), StandardCharsets.UTF_8));
    // inside a line: nothing starts in [4, 6) but "ef" starts at 6
    assertEquals("", new String(owned(f, 4, 6), StandardCharsets.UTF_8));
    assertEquals("ef", new String(owned(f, 4, 7), StandardCharsets.UTF_8));
    // the last line without a break is read to the end of the file
    assertEquals("ef", new String(owned(f, 6, 8), StandardCharsets.UTF_8));
    assertEquals("", new String(owned(f, 7, 8), StandardCharsets.UTF_8));
  }

  @Test
  void readsThroughBeamFileSystemsWithSeek() throws IOException {
    byte[] f = "h\nä1\nä2\nä3\n".getBytes(StandardCharsets.UTF_8);
    Path p = tmp.resolve("f.csv");
    Files.write(p, f);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (long[] r : ranges(f.length, 3)) {
      try (LineRange lr = LineRange.open(p.toString(), r[0], r[1])) {
        all.write(lr.readAllBytes());
      }
    }
    assertArrayEquals(f, all.toByteArray());
  }

  // ------------------------------------------------------------ parsing ranges vs the whole file

  private static SourceConfig csv(int skipLines) {
    SourceConfig s = new SourceConfig();
    s.name = "t";
    s.type = SourceType.CSV;
    s.files.add(FileEntry.of("x"));
    s.timestampColumn = "time";
    s.seriesColumn = "name";
    s.valueColumns = new ArrayList<>(List.of("reading", "other"));
    s.skipLines = skipLines;
    return s;
  }

  private static Reader reader(byte[] bytes) {
    return new BufferedReader(
        new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8));
  }

  static List<RawRecord> whole(SourceConfig s, String origin, byte[] file) throws IOException {
    Parsed out = new Parsed();
    new CsvParser()
        .parse(
            new PayloadContext(s, origin, null, "2024-01-01"),
            ReadSources.withoutBom(new BufferedReader(reader(file))),
            out);
    return out.records;
  }

  static List<RawRecord> split(SourceConfig s, String origin, byte[] file, long split)
      throws IOException {
    if (file.length <= split) {
      return whole(s, origin, file); // what ReadSources.splitIfLarge does
    }
    long[][] rs = ranges(file.length, split);
    long[] counts = new long[rs.length];
    for (int i = 0; i < rs.length; i++) {
      counts[i] = count(file, rs[i][0], rs[i][1]);
    }
    Parsed out = new Parsed();
    long firstLine = 1;
    for (int i = 0; i < rs.length; i++) {
      try (LineRange lr = LineRange.of(new ByteArrayInputStream(file), rs[i][0], rs[i][1])) {
        new CsvParser()
            .parseLines(
                new PayloadContext(s, origin, null, "2024-01-01"),
                ReadSources.withoutBom(new BufferedReader(reader(file))),
                new BufferedReader(new InputStreamReader(lr, StandardCharsets.UTF_8)),
                firstLine,
                i == 0,
                out);
      }
      firstLine += counts[i];
    }
    return out.records;
  }

  private static final String[] CSVS = {
    "",
    "time,name,reading,other\n",
    "time,name,reading,other",
    "time,name,reading,other\n2024-01-01,a,1,2\n2024-01-02,b,3,4\n",
    "time,name,reading,other\r\n2024-01-01,a,1,2\r\n\r\n2024-01-02,b,3,4",
    "\uFEFFtime,name,reading,other\n2024-01-01,a,1,2\n",
    "banner line, \"with a quote\n\ntime,name,reading,other\n\n2024-01-01,a,1,2\nshort,row\n"
        + "2024-01-02,,5,6\n2024-01-03,ü€🙂,7,8\n",
    "time,nom,reading,other\n2024-01-01,a,1,2\n",
    "time,name,reading,other\n2024-01-01,\"quoted, comma\",1,\"2\"\n"
        + "2024-01-02,a,1,2,extra,fields\n",
  };

  @Test
  void rangesParseToTheRecordsOfTheWholeFileForEverySplitSize() throws IOException {
    for (int c = 0; c < CSVS.length; c++) {
      byte[] file = CSVS[c].getBytes(StandardCharsets.UTF_8);
      int skip = CSVS[c].startsWith("banner") ? 1 : 0;
      SourceConfig s = csv(skip);
      List<RawRecord> expected = whole(s, "f" + c, file);
      for (long split = 1; split <= file.length + 1; split++) {
        assertEquals(
            expected, split(s, "f" + c, file, split), "csv " + c + " split every " + split);
      }
    }
  }

  /**
   * Malformed CSV costs its own line, in a whole-file read and in every range alike: the records
   * are the same for every split size.
   */
  @Test
  void malformedCsvCostsItsOwnLineInEveryRange() throws IOException {
    byte[] file =
        "time,name,reading,other\n2024-01-01,a,\"unterminated\n2024-01-02,a,1,2\n"
            .getBytes(StandardCharsets.UTF_8);
    List<RawRecord> whole = whole(csv(0), "f", file);
    assertEquals(
        List.of("line 2", "line 3 reading", "line 3 other"),
        whole.stream().map(r -> r.locator).collect(java.util.stream.Collectors.toList()));
    assertTrue(whole.get(0).error.startsWith("malformed CSV at line 2: "), whole.get(0).error);
    for (long split = 1; split <= file.length + 1; split++) {
      assertEquals(whole, split(csv(0), "f", file, split), "split every " + split);
    }
  }

  @Test
  void aSkippedBannerWithAQuoteDoesNotSwallowLines() throws IOException {
    byte[] file = CSVS[6].getBytes(StandardCharsets.UTF_8);
    List<RawRecord> expected = whole(csv(1), "f", file);
    assertTrue(
        expected.stream().anyMatch(r -> r.locator.equals("line 8 other")), expected.toString());
    assertEquals(
        1, expected.stream().filter(r -> r.locator.equals("line 6")).count(), expected.toString());
    assertEquals(7, expected.size());
    for (long split = 1; split < file.length; split++) {
      assertEquals(expected, split(csv(1), "f", file, split));
    }
  }
}

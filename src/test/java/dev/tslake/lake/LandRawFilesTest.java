package dev.tslake.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import dev.tslake.testing.TestPipelineExtension;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollection;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LandRawFiles}: fed a reader's stream with input markers, it lands one lake file per input,
 * passes the records through unchanged and drops the markers; an input that never ends leaves no
 * final file.
 */
@ExtendWith(TestPipelineExtension.class)
class LandRawFilesTest {
  private static final String DATE = "2026-11-20";
  private static final String RUN = "run-1";
  private static final String A = "/data/in/a.csv";
  private static final String B = "/data/in/b.csv";

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

  private static PipelineConfig config() {
    SourceConfig csv = new SourceConfig();
    csv.name = "csv";
    csv.type = SourceType.CSV;
    SourceConfig fred = new SourceConfig();
    fred.name = "fred";
    fred.type = SourceType.FRED;
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(csv, fred);
    return c;
  }

  private static RawRecord rec(String source, String origin, int line) {
    return RawRecord.of(source, origin, "line " + line, "S", "2024-01-0" + line, "1." + line, null);
  }

  /**
   * Emits the given elements from one element, the way a reader emits an input's records from one
   * process call (a Create of many elements could be split into bundles between a marker and its
   * records); then throws when asked, like a read that fails after emitting.
   */
  static final class EmitFn extends DoFn<String, RawRecord> {
    private final List<RawRecord> elements;
    private final boolean failAfter;

    EmitFn(List<RawRecord> elements, boolean failAfter) {
      this.elements = elements;
      this.failAfter = failAfter;
    }

    @ProcessElement
    public void process(OutputReceiver<RawRecord> out) throws IOException {
      for (RawRecord r : elements) {
        out.output(r);
      }
      if (failAfter) {
        throw new IOException("read failed");
      }
    }
  }

  private PCollection<RawRecord> land(Pipeline p, List<RawRecord> elements, boolean failAfter) {
    return p.apply(Create.of("read").withCoder(StringUtf8Coder.of()))
        .apply(ParDo.of(new EmitFn(elements, failAfter)))
        .setCoder(RawRecord.Coder.of())
        .apply(LandRawFiles.to(root(), DATE, RUN, config()));
  }

  private Path whole(String source, String input) {
    return lake.resolve(LakePaths.inputFile(LakePaths.RAW, source, DATE, RUN, input));
  }

  private Path part(String source, String input, int part) {
    return lake.resolve(LakePaths.inputPartFile(LakePaths.RAW, source, DATE, RUN, input, part));
  }

  private List<Path> regularFiles() throws IOException {
    if (!Files.exists(lake)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(lake)) {
      return s.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
  }

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

  @Test
  void recordsPassThroughUnchangedMarkersAreDroppedOneFilePerInput(TestPipeline p)
      throws IOException {
    RawRecord a1 = rec("fred", A, 1);
    RawRecord a2 = rec("fred", A, 2);
    RawRecord b0 = rec("csv", B, 1);
    RawRecord b1 = rec("csv", B, 2);
    RawRecord b2 = rec("csv", B, 3);
    List<RawRecord> stream =
        List.of(
            RawRecord.inputStart("fred", A, -1, 0),
            a1,
            a2,
            RawRecord.inputEnd("fred", A, -1, 0, 2),
            RawRecord.inputStart("csv", B, 0, 2),
            b0,
            RawRecord.inputEnd("csv", B, 0, 2, 1),
            RawRecord.inputStart("csv", B, 1, 2),
            b1,
            b2,
            RawRecord.inputEnd("csv", B, 1, 2, 2));
    PAssert.that(land(p, stream, false)).containsInAnyOrder(a1, a2, b0, b1, b2);
    p.run().waitUntilFinish();

    assertEquals(List.of(a1, a2), readBack(whole("fred", A)));
    assertEquals(List.of(b0), readBack(part("csv", B, 0)));
    assertEquals(List.of(b1, b2), readBack(part("csv", B, 1)));
    assertEquals(
        List.of(whole("fred", A), part("csv", B, 0), part("csv", B, 1)).stream()
            .sorted()
            .collect(Collectors.toList()),
        regularFiles());
  }

  @Test
  void aFailedReadLeavesNoFinalFile() throws IOException {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    land(
        p,
        List.of(RawRecord.inputStart("fred", A, -1, 0), rec("fred", A, 1), rec("fred", A, 2)),
        true);
    assertThrows(RuntimeException.class, () -> p.run().waitUntilFinish());
    assertFalse(Files.exists(whole("fred", A)));
    for (Path f : regularFiles()) {
      assertTrue(lake.relativize(f).startsWith(RawLakeFile.TEMP_FOLDER), f.toString());
    }
  }

  @Test
  void anInputWithoutItsEndIsAbortedAndARetriedInputLandsOnce(TestPipeline p) throws IOException {
    RawRecord a1 = rec("fred", A, 1);
    RawRecord b1 = rec("csv", B, 1);
    List<RawRecord> stream =
        List.of(
            // a first attempt at A that died after one record, then the retry that ends
            RawRecord.inputStart("fred", A, -1, 0),
            a1,
            RawRecord.inputStart("fred", A, -1, 0),
            a1,
            RawRecord.inputEnd("fred", A, -1, 0, 1),
            // B never ends
            RawRecord.inputStart("csv", B, -1, 0),
            b1);
    PAssert.that(land(p, stream, false)).containsInAnyOrder(a1, a1, b1);
    p.run().waitUntilFinish();

    assertEquals(List.of(a1), readBack(whole("fred", A)));
    assertFalse(Files.exists(whole("csv", B)));
    for (Path f : regularFiles()) {
      assertFalse(lake.relativize(f).startsWith(RawLakeFile.TEMP_FOLDER), "left " + f);
    }
  }

  /**
   * Append-only: another run of the same day (another run id) keeps every file it landed for the
   * same inputs, whatever layout this run uses; only this run's own earlier files are replaced or
   * removed. The step counts the files it committed.
   */
  @Test
  void anotherRunsFilesOfTheSameDayStayAndOnlyThisRunsOwnAreReplaced(TestPipeline p)
      throws IOException {
    String other = "run-0";
    List<Path> others =
        List.of(
            lake.resolve(LakePaths.inputFile(LakePaths.RAW, "csv", DATE, other, B)),
            lake.resolve(LakePaths.inputPartFile(LakePaths.RAW, "csv", DATE, other, B, 0)),
            lake.resolve(LakePaths.inputPartFile(LakePaths.RAW, "csv", DATE, other, B, 3)),
            lake.resolve(LakePaths.inputFile(LakePaths.RAW, "fred", DATE, other, A)));
    List<Path> ownStale = List.of(whole("csv", B), part("csv", B, 3), whole("fred", A));
    for (Path f : concat(others, ownStale)) {
      Files.createDirectories(f.getParent());
      Files.writeString(f, "earlier " + f.getParent().getFileName());
    }
    RawRecord b1 = rec("csv", B, 1);
    RawRecord b2 = rec("csv", B, 2);
    RawRecord c1 = rec("fred", "/data/in/c.json", 1);
    List<RawRecord> stream =
        List.of(
            RawRecord.inputStart("fred", A, -1, 0),
            RawRecord.inputEnd("fred", A, -1, 0, 0),
            RawRecord.inputStart("csv", B, 0, 2),
            b1,
            RawRecord.inputEnd("csv", B, 0, 2, 1),
            RawRecord.inputStart("csv", B, 1, 2),
            b2,
            RawRecord.inputEnd("csv", B, 1, 2, 1),
            RawRecord.inputStart("fred", "/data/in/c.json", -1, 0),
            c1,
            RawRecord.inputEnd("fred", "/data/in/c.json", -1, 0, 1));
    LandRawFiles landing = LandRawFiles.to(root(), DATE, RUN, config());
    PCollection<RawRecord> landed =
        p.apply(Create.of("read").withCoder(StringUtf8Coder.of()))
            .apply(ParDo.of(new EmitFn(stream, false)))
            .setCoder(RawRecord.Coder.of())
            .apply(landing);
    PAssert.that(landed).containsInAnyOrder(b1, b2, c1);
    PAssert.that(landing.committedFiles(p).apply(Sum.longsGlobally())).containsInAnyOrder(3L);
    p.run().waitUntilFinish();

    for (Path f : others) {
      assertEquals("earlier run_id=" + other, Files.readString(f), "another run's " + f);
    }
    for (Path f : ownStale) {
      assertFalse(Files.exists(f), "this run's earlier layout " + f);
    }
    assertEquals(List.of(b1), readBack(part("csv", B, 0)));
    assertEquals(List.of(b2), readBack(part("csv", B, 1)));
    assertEquals(List.of(c1), readBack(whole("fred", "/data/in/c.json")));
  }

  private static List<Path> concat(List<Path> a, List<Path> b) {
    List<Path> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  @Test
  void anInputWithNoRecordsRemovesAnEarlierFileAndOtherLayouts(TestPipeline p) throws IOException {
    Files.createDirectories(whole("csv", B).getParent());
    Files.createDirectories(whole("fred", A).getParent());
    Files.writeString(whole("fred", A), "old");
    Files.writeString(part("csv", B, 0), "old part 0");
    Files.writeString(part("csv", B, 3), "old part 3");
    RawRecord b1 = rec("csv", B, 1);
    List<RawRecord> stream =
        List.of(
            RawRecord.inputStart("fred", A, -1, 0),
            RawRecord.inputEnd("fred", A, -1, 0, 0),
            RawRecord.inputStart("csv", B, -1, 0),
            b1,
            RawRecord.inputEnd("csv", B, -1, 0, 1));
    PAssert.that(land(p, stream, false)).containsInAnyOrder(b1);
    p.run().waitUntilFinish();

    assertFalse(Files.exists(whole("fred", A)));
    assertEquals(List.of(b1), readBack(whole("csv", B)));
    assertFalse(Files.exists(part("csv", B, 0)));
    assertFalse(Files.exists(part("csv", B, 3)));
  }

  @Test
  void markersRoundTripThroughTheCoderAndSayWhatTheyMark() throws Exception {
    RawRecord start = RawRecord.inputStart("csv", B, 3, 7);
    RawRecord end = RawRecord.inputEnd("csv", B, 3, 7, 12345);
    RawRecord record = rec("csv", B, 1);
    for (RawRecord r : List.of(start, end, record)) {
      CoderProperties.coderDecodeEncodeEqual(RawRecord.Coder.of(), r);
    }
    assertTrue(start.isMarker());
    assertTrue(end.isMarker());
    assertFalse(record.isMarker());
    assertEquals(3, end.markerPart());
    assertEquals(7, end.markerParts());
    assertEquals(12345, end.markerRecords());
    assertFalse(start.equals(end));
    assertThrows(IllegalStateException.class, record::markerPart);
  }

  @Test
  void needsALakeRootAndADate() {
    assertThrows(IllegalArgumentException.class, () -> LandRawFiles.to(" ", DATE, RUN, config()));
    assertThrows(
        IllegalArgumentException.class, () -> LandRawFiles.to(root(), null, RUN, config()));
    assertThrows(
        IllegalArgumentException.class, () -> LandRawFiles.to(root(), DATE, " ", config()));
  }
}

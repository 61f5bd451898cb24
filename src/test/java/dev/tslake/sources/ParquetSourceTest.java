package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.ConfigException;
import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.testing.TestPipelineExtension;
import dev.tslake.transform.ValidateAndClean;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code parquet} source on files converted from the real Gemini CSV (see
 * testdata/parquet/MakeGeminiParquet.java and testdata/SOURCES.md): the first 3,000 rows, with
 * {@code Date} as TIMESTAMP(MILLIS, UTC), the original text as {@code date_text}, epoch millis as a
 * plain INT64 {@code epoch_ms}, {@code Symbol} a string and Open/High/Low/Close/Volume doubles.
 */
@ExtendWith(TestPipelineExtension.class)
class ParquetSourceTest {
  static final String CSV = "testdata/bitcoin/gemini_BTCUSD_1min_excel_mangled_head10000.csv";
  static final String PARQUET = "testdata/parquet/gemini_BTCUSD_1min_head3000.parquet";
  static final String NULLS = "testdata/parquet/gemini_BTCUSD_1min_head10_with_nulls.parquet";
  static final List<String> VALUES = List.of("Open", "High", "Low", "Close");
  static final DateTimeFormatter GEMINI_DATE = DateTimeFormatter.ofPattern("M/d/uuuu H:mm");

  private static String abs(String p) {
    return Path.of(p).toAbsolutePath().toString();
  }

  static SourceConfig source(
      String name,
      SourceType type,
      String file,
      String tsColumn,
      String format,
      List<String> values) {
    SourceConfig s = new SourceConfig();
    s.name = name;
    s.type = type;
    s.files.add(FileEntry.of(file));
    s.timestampColumn = tsColumn;
    s.timestampFormat = format;
    s.timeZone = "UTC";
    s.seriesColumn = "Symbol";
    s.valueColumns = new ArrayList<>(values);
    s.windows = List.of("P1D");
    return s;
  }

  static PipelineConfig config(SourceConfig... sources) {
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(sources);
    return c;
  }

  /** The header and first {@code rows} rows of the real CSV, as a file. */
  static Path csvHead(Path dir, int rows) throws IOException {
    List<String> lines = Files.readAllLines(Path.of(CSV), StandardCharsets.UTF_8);
    Path out = dir.resolve("gemini_head" + rows + ".csv");
    Files.write(out, lines.subList(0, rows + 1), StandardCharsets.UTF_8);
    return out;
  }

  /** What any correct reader must find in the first {@code rows} rows: "series|ts|value". */
  static List<String> expected(int rows) throws IOException {
    List<String> lines = Files.readAllLines(Path.of(CSV), StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (String line : lines.subList(1, rows + 1)) {
      String[] c = line.split(",", -1);
      long ts = LocalDateTime.parse(c[1], GEMINI_DATE).toInstant(ZoneOffset.UTC).toEpochMilli();
      for (int i = 0; i < VALUES.size(); i++) {
        out.add(c[2] + "." + VALUES.get(i) + "|" + ts + "|" + Double.parseDouble(c[3 + i]));
      }
    }
    return out;
  }

  static PCollection<String> triples(PCollection<Observation> valid, String source) {
    return valid
        .apply("Only " + source, Filter.by((Observation o) -> o.source.equals(source)))
        .apply(
            "Triples " + source,
            MapElements.into(TypeDescriptors.strings())
                .via((Observation o) -> o.seriesId + "|" + o.ts + "|" + o.value));
  }

  @Test
  void yieldsTheSameObservationsAsTheCsvSourceOverTheSameRows(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Path csv = csvHead(dir, 3000);
    PipelineConfig cfg =
        config(
            source("csv", SourceType.CSV, csv.toString(), "Date", "M/d/yyyy H:mm", VALUES),
            // the TIMESTAMP(MILLIS) column, in each format that can express an instant
            source("pq_iso", SourceType.PARQUET, abs(PARQUET), "Date", "iso", VALUES),
            source("pq_millis", SourceType.PARQUET, abs(PARQUET), "date", "epoch_millis", VALUES),
            source("pq_seconds", SourceType.PARQUET, abs(PARQUET), "DATE", "epoch_seconds", VALUES),
            // a string column parsed as in csv, and a plain INT64 epoch column
            source(
                "pq_text", SourceType.PARQUET, abs(PARQUET), "date_text", "M/d/yyyy H:mm", VALUES),
            source(
                "pq_int64", SourceType.PARQUET, abs(PARQUET), "epoch_ms", "epoch_millis", VALUES));
    PCollectionTuple read = p.apply(ReadSources.from(cfg));
    PCollectionTuple validated = read.get(ReadSources.RAW).apply(ValidateAndClean.of(cfg));
    PCollection<Observation> valid = validated.get(ValidateAndClean.VALID);

    List<String> expected = expected(3000);
    assertEquals(12_000, expected.size());
    for (SourceConfig s : cfg.sources) {
      PAssert.that(s.name, triples(valid, s.name)).containsInAnyOrder(expected);
    }
    PAssert.that(validated.get(ValidateAndClean.REJECTED)).empty();

    // the raw records carry the same strings as the csv parser's, located by row
    PAssert.that(
            "first row",
            read.get(ReadSources.RAW)
                .apply(
                    "FirstRow",
                    Filter.by(
                        (RawRecord r) ->
                            r.source.equals("pq_iso") && r.locator.startsWith("row 1 "))))
        .containsInAnyOrder(
            RawRecord.of(
                "pq_iso",
                abs(PARQUET),
                "row 1 Open",
                "BTCUSD.Open",
                "2021-04-20T00:02:00Z",
                "55717.47",
                null),
            RawRecord.of(
                "pq_iso",
                abs(PARQUET),
                "row 1 High",
                "BTCUSD.High",
                "2021-04-20T00:02:00Z",
                "55723",
                null),
            RawRecord.of(
                "pq_iso",
                abs(PARQUET),
                "row 1 Low",
                "BTCUSD.Low",
                "2021-04-20T00:02:00Z",
                "55541.69",
                null),
            RawRecord.of(
                "pq_iso",
                abs(PARQUET),
                "row 1 Close",
                "BTCUSD.Close",
                "2021-04-20T00:02:00Z",
                "55541.69",
                null));
    PAssert.that(
            "epoch formats",
            read.get(ReadSources.RAW)
                .apply(
                    "FirstOpen",
                    Filter.by(
                        (RawRecord r) ->
                            r.locator.equals("row 1 Open")
                                && (r.source.equals("pq_millis")
                                    || r.source.equals("pq_seconds")
                                    || r.source.equals("pq_text"))))
                .apply(
                    "SourceAndTs",
                    MapElements.into(TypeDescriptors.strings())
                        .via((RawRecord r) -> r.source + " " + r.ts)))
        .containsInAnyOrder(
            "pq_millis 1618876920000", "pq_seconds 1618876920", "pq_text 4/20/2021 0:02");
    p.run().waitUntilFinish();
  }

  @Test
  void nullsBecomeMissingValuesNotRejects(TestPipeline p) {
    PipelineConfig cfg =
        config(source("pq", SourceType.PARQUET, abs(NULLS), "Date", "iso", VALUES));
    PCollectionTuple validated =
        p.apply(ReadSources.from(cfg)).get(ReadSources.RAW).apply(ValidateAndClean.of(cfg));
    PAssert.that(validated.get(ValidateAndClean.REJECTED)).empty();
    PAssert.that(validated.get(ValidateAndClean.VALID))
        .satisfies(
            obs -> {
              Map<String, Double> byLocator = new HashMap<>();
              int n = 0;
              for (Observation o : obs) {
                n++;
                byLocator.put(o.locator, o.value);
              }
              assertEquals(40, n);
              assertTrue(byLocator.containsKey("row 3 High"));
              assertNull(byLocator.get("row 3 High"));
              assertNull(byLocator.get("row 7 High"));
              assertNull(byLocator.get("row 7 Close"));
              assertEquals(55849.82, byLocator.get("row 2 High"));
              assertEquals(55677.92, byLocator.get("row 4 Low"));
              long missing = byLocator.values().stream().filter(v -> v == null).count();
              assertEquals(3, missing);
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void aMissingConfiguredColumnIsOneRejectNamingIt(TestPipeline p) {
    PipelineConfig cfg =
        config(
            source(
                "pq",
                SourceType.PARQUET,
                abs(PARQUET),
                "Date",
                "iso",
                List.of("Open", "Adj Close")));
    PCollectionTuple validated =
        p.apply(ReadSources.from(cfg)).get(ReadSources.RAW).apply(ValidateAndClean.of(cfg));
    PAssert.that(validated.get(ValidateAndClean.VALID)).empty();
    PAssert.that(validated.get(ValidateAndClean.REJECTED))
        .satisfies(
            rejects -> {
              List<Reject> all = new ArrayList<>();
              rejects.forEach(all::add);
              assertEquals(1, all.size(), all.toString());
              Reject r = all.get(0);
              assertThat(r.reason, containsString("'Adj Close' (valueColumns)"));
              assertThat(r.reason, containsString("not in the Parquet schema"));
              assertThat(r.reason, containsString("Unix Timestamp")); // lists the real columns
              assertEquals(abs(PARQUET), r.record.origin);
              assertEquals("schema", r.record.locator);
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void aCorruptOrTruncatedFileIsOneRejectWithAReasonNotACrash(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Path notParquet = dir.resolve("not_parquet.parquet");
    Files.copy(Path.of(CSV), notParquet);
    Path truncated = dir.resolve("truncated.parquet");
    byte[] whole = Files.readAllBytes(Path.of(PARQUET));
    Files.write(truncated, Arrays.copyOf(whole, whole.length / 2));
    Path empty = dir.resolve("empty.parquet");
    Files.write(empty, new byte[0]);
    SourceConfig s = source("pq", SourceType.PARQUET, notParquet.toString(), "Date", "iso", VALUES);
    s.files.add(FileEntry.of(truncated.toString()));
    s.files.add(FileEntry.of(empty.toString()));
    PipelineConfig cfg = config(s);
    PCollectionTuple validated =
        p.apply(ReadSources.from(cfg)).get(ReadSources.RAW).apply(ValidateAndClean.of(cfg));
    PAssert.that(validated.get(ValidateAndClean.VALID)).empty();
    PAssert.that(
            validated
                .get(ValidateAndClean.REJECTED)
                .apply(
                    MapElements.into(TypeDescriptors.strings())
                        .via(
                            (Reject r) ->
                                Path.of(r.record.origin).getFileName()
                                    + " "
                                    + r.record.locator
                                    + " "
                                    + r.reason.startsWith("not a readable Parquet file: "))))
        .containsInAnyOrder(
            "not_parquet.parquet file true",
            "truncated.parquet file true",
            "empty.parquet file true");
    p.run().waitUntilFinish();
  }

  @Test
  void aPatternOnATypedTimestampColumnIsOneRejectSayingWhichFormatToUse(TestPipeline p) {
    PipelineConfig cfg =
        config(source("pq", SourceType.PARQUET, abs(PARQUET), "Date", "yyyy-MM-dd HH:mm", VALUES));
    PCollection<RawRecord> raw = p.apply(ReadSources.from(cfg)).get(ReadSources.RAW);
    PAssert.that(raw)
        .satisfies(
            records -> {
              List<RawRecord> all = new ArrayList<>();
              records.forEach(all::add);
              assertEquals(1, all.size());
              assertThat(
                  all.get(0).error,
                  containsString(
                      "timestampColumn 'Date' is a Parquet int64 TIMESTAMP(MILLIS,true)"));
              assertThat(all.get(0).error, containsString("set timestampFormat to iso"));
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void configAcceptsTheParquetTypeAndChecksItsMapping(@TempDir Path dir) throws IOException {
    Files.copy(Path.of(PARQUET), dir.resolve("g.parquet"));
    Path good = dir.resolve("good.json");
    Files.writeString(
        good,
        "{\"sources\": [{\"name\": \"gemini_pq\", \"type\": \"parquet\","
            + " \"windows\": [\"P1D\"], \"files\": [\"g.parquet\"], \"timestampColumn\": \"Date\","
            + " \"timestampFormat\": \"iso\", \"seriesColumn\": \"Symbol\","
            + " \"valueColumns\": [\"Close\"]}]}");
    PipelineConfig cfg = PipelineConfig.load(good);
    assertEquals(SourceType.PARQUET, cfg.sources.get(0).type);
    assertEquals(1, ReadSources.expandFiles(cfg).size());

    Path bad = dir.resolve("bad.json");
    Files.writeString(
        bad,
        "{\"sources\": [{\"name\": \"gemini_pq\", \"type\": \"parquet\","
            + " \"windows\": [\"P1D\"], \"files\": [\"g.parquet\"], \"timestampColumn\": \"Date\","
            + " \"seriesColumn\": \"Symbol\"}]}");
    ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.load(bad));
    assertThat(e.getMessage(), containsString("a parquet source needs 'valueColumns'"));
  }
}

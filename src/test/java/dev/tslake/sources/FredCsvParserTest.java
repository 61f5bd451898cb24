package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FredCsvParserTest {
  private static final SourceConfig SRC = Parsed.source("fred_csv", SourceType.FRED_CSV);
  private static final Path DIR = Path.of("testdata/fred_csv");

  private static Parsed parse(String file, String hint, String vintage) throws IOException {
    return Parsed.file(SRC, DIR.resolve(file), hint, vintage);
  }

  @Test
  void oldHeaderStyleWithDotsForMissing() throws IOException {
    Parsed p = parse("DCOILWTICO_DATE_format_vintage2020.csv", null, "2020-03-18");
    assertEquals(8922, p.records.size());
    assertThat(p.errors(), empty());
    assertEquals(301, p.where(r -> ".".equals(r.value)).size());
    RawRecord first = p.records.get(0);
    assertEquals("DCOILWTICO", first.seriesId);
    assertEquals("1986-01-02", first.ts);
    assertEquals("25.56", first.value);
    assertEquals("2020-03-18", first.vintage);
    assertEquals("line 2 DCOILWTICO", first.locator);
    assertEquals("line 8923 DCOILWTICO", p.at("DCOILWTICO", "2020-03-13").locator);
  }

  @Test
  void newHeaderStyleWithEmptyFieldsForMissing() throws IOException {
    Parsed p = parse("DCOILWTICO_obsdate_format_2000-2024.csv", null, null);
    assertEquals(6260, p.records.size());
    assertEquals(239, p.where(r -> "".equals(r.value)).size());
    assertEquals(0, p.where(r -> ".".equals(r.value)).size());
    assertEquals("", p.at("DCOILWTICO", "2024-01-01").value);
    assertNull(p.records.get(0).vintage);
  }

  @Test
  void threeCpiVintages() throws IOException {
    Parsed old = parse("CPIAUCSL_DATE_format_2002-2022.csv", null, "2022-02-10");
    Parsed mid = parse("CPIAUCSL_obsdate_format_2000-2024.csv", null, "2024-02-13");
    Parsed late = parse("CPIAUCSL_obsdate_format_1985-2025.csv", null, "2025-10-24");
    assertEquals(241, old.records.size());
    assertEquals(289, mid.records.size());
    assertEquals(489, late.records.size());
    // raw text kept: the 2022 file writes one decimal, the newer ones three
    assertEquals("177.7", old.at("CPIAUCSL", "2002-01-01").value);
    assertEquals("282.390", old.at("CPIAUCSL", "2022-01-01").value);
    assertEquals("169.300", mid.at("CPIAUCSL", "2000-01-01").value);
    assertEquals("324.368", late.at("CPIAUCSL", "2025-09-01").value);
    assertEquals("2025-10-24", late.records.get(0).vintage);
  }

  @Test
  void mixedNumberFormattingIsKeptRaw() throws IOException {
    Parsed houst = parse("HOUST_DATE_format_1959-2023.csv", null, null);
    assertEquals(777, houst.records.size());
    assertEquals("1657", houst.at("HOUST", "1959-01-01").value);
    assertEquals("1358.0", houst.at("HOUST", "2023-09-01").value);
    Parsed unrate = parse("UNRATE_DATE_format_vintage2020.csv", null, null);
    assertEquals(866, unrate.records.size());
    assertEquals("3.4", unrate.at("UNRATE", "1948-01-01").value);
  }

  @Test
  void configSeriesIdRenamesASingleSeriesFile() throws IOException {
    Parsed p = parse("UNRATE_DATE_format_vintage2020.csv", "US_UNEMPLOYMENT", null);
    assertEquals(866, p.series("US_UNEMPLOYMENT").size());
    assertEquals("line 2 US_UNEMPLOYMENT", p.records.get(0).locator);
  }

  @Test
  void severalSeriesColumns() throws IOException {
    // fredgraph.csv with two series, built from the rows of two real downloads
    List<String> cpi = Files.readAllLines(DIR.resolve("CPIAUCSL_obsdate_format_2000-2024.csv"));
    List<String> oil = Files.readAllLines(DIR.resolve("DCOILWTICO_obsdate_format_2000-2024.csv"));
    String csv =
        "observation_date,CPIAUCSL,DCOILWTICO\n"
            + cpi.get(1)
            + ","
            + oil.get(1).split(",", -1)[1]
            + "\n"
            + cpi.get(2)
            + ","
            + "\n";
    Parsed p = Parsed.text(SRC, csv, null, null);
    assertEquals(4, p.records.size());
    assertEquals("169.300", p.at("CPIAUCSL", "2000-01-01").value);
    assertEquals("25.56", p.at("DCOILWTICO", "2000-01-01").value);
    assertEquals("", p.at("DCOILWTICO", "2000-02-01").value);
    assertEquals("line 3 DCOILWTICO", p.at("DCOILWTICO", "2000-02-01").locator);
    // a config seriesId cannot name two columns
    RawRecord r = Parsed.text(SRC, csv, "OIL", null).onlyError();
    assertThat(r.error, containsString("2 series columns [CPIAUCSL, DCOILWTICO]"));
  }

  @Test
  void truncatedDownloadEndsWithAShortRow(@TempDir Path tmp) throws IOException {
    byte[] full = Files.readAllBytes(DIR.resolve("UNRATE_DATE_format_vintage2020.csv"));
    Path cut = tmp.resolve("UNRATE_cut.csv");
    // "DATE,UNRATE\n1948-01-01,3.4\n1948-02-01,3.8\n1948-0" : cut inside line 4
    Files.write(cut, Arrays.copyOf(full, 12 + 15 + 15 + 7));
    Parsed p = Parsed.file(SRC, cut, null, null);
    assertEquals(3, p.records.size());
    RawRecord bad = p.records.get(2);
    assertEquals("row has 1 fields, header has 2", bad.error);
    assertEquals("line 4", bad.locator);
    assertEquals("1948-03", bad.value);
    assertEquals("3.8", p.at("UNRATE", "1948-02-01").value);
  }

  @Test
  void crlfAndBlankLinesKeepPhysicalLineNumbers() throws IOException {
    List<String> lines = Files.readAllLines(DIR.resolve("HOUST_DATE_format_1959-2023.csv"));
    String crlf =
        "\uFEFF" + String.join("\r\n", lines.subList(0, 3)) + "\r\n\r\n" + lines.get(3) + "\r\n";
    Parsed p = Parsed.text(SRC, crlf, null, null);
    assertEquals(
        List.of("line 2 HOUST", "line 3 HOUST", "line 5 HOUST"),
        p.records.stream().map(r -> r.locator).collect(Collectors.toList()));
    assertEquals("1959-03-01", p.records.get(2).ts);
  }

  @Test
  void notAFredCsv() throws IOException {
    Path taxi = Path.of("testdata/nyc_taxi/yellow_tripdata_2015-01_head.csv");
    RawRecord r = Parsed.file(SRC, taxi, null, null).onlyError();
    assertThat(
        r.error,
        is(
            "not a FRED CSV: first header column is 'VendorID', expected DATE or"
                + " observation_date"));
    assertEquals("line 1", r.locator);
    assertEquals("empty payload", Parsed.text(SRC, "", null, null).onlyError().error);
    assertThat(
        Parsed.text(SRC, "<html><body>Service Unavailable</body></html>\n", null, null)
            .onlyError()
            .error,
        startsWith("not a FRED CSV: first header column is '<html>"));
    assertThat(
        Parsed.text(SRC, "DATE\n2020-01-01\n", null, null).onlyError().error,
        containsString("no series column"));
  }

  @Test
  void brokenQuoteCostsItsOwnLineOnly() throws IOException {
    Parsed p =
        Parsed.text(
            SRC, "DATE,GDP\n2020-01-01,1.0\n2020-04-01,\"2.0\n2020-07-01,3.0\n", null, null);
    assertEquals(3, p.records.size());
    RawRecord bad = p.records.get(1);
    assertThat(bad.error, startsWith("malformed CSV at line 3: "));
    assertEquals("line 3", bad.locator);
    assertEquals("2020-04-01,\"2.0", bad.value);
    assertEquals("3.0", p.at("GDP", "2020-07-01").value);
    assertEquals("line 4 GDP", p.at("GDP", "2020-07-01").locator);
  }
}

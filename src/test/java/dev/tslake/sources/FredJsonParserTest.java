package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FredJsonParserTest {
  private static final SourceConfig FRED = Parsed.source("fred", SourceType.FRED);
  private static final Path DIR = Path.of("testdata/fred");

  private static Parsed parse(String file, String hint) throws IOException {
    return Parsed.file(FRED, DIR.resolve(file), hint, null);
  }

  @Test
  void payemsLaterVintageHasRevisedMarch2023() throws IOException {
    Parsed p = parse("PAYEMS_obs_asc_from1999_vintage2023-07-18.json", "PAYEMS");
    assertEquals(294, p.records.size());
    assertThat(p.errors(), empty());
    RawRecord march = p.at("PAYEMS", "2023-03-01");
    assertEquals("155472", march.value);
    assertEquals("2023-07-18", march.vintage);
    assertEquals("observations[290]", march.locator);
    assertEquals("fred", march.source);
    assertEquals(
        DIR.resolve("PAYEMS_obs_asc_from1999_vintage2023-07-18.json").toString(), march.origin);
    assertThat(p.series, empty());
  }

  @Test
  void payemsEarlierVintageHasTheUnrevisedValue() throws IOException {
    // Pretty-printed with 4 spaces (extracted from a .js file), 292 observations.
    Parsed p = parse("PAYEMS_obs_asc_from1999_vintage2023-05-05.json", "PAYEMS");
    assertEquals(292, p.records.size());
    assertEquals("155420", p.at("PAYEMS", "2023-03-01").value);
    assertEquals("2023-05-05", p.at("PAYEMS", "2023-03-01").vintage);
    assertEquals("155673", p.at("PAYEMS", "2023-04-01").value);
  }

  @Test
  void configVintageOverridesRealtimeStart() throws IOException {
    Parsed p =
        Parsed.file(
            FRED,
            DIR.resolve("PAYEMS_obs_asc_from1999_vintage2023-07-18.json"),
            "PAYEMS",
            "2023-07-19T00:00:00Z");
    assertThat(
        p.records.stream().map(r -> r.vintage).distinct().collect(Collectors.toList()),
        is(java.util.List.of("2023-07-19T00:00:00Z")));
  }

  @Test
  void missingValuesStayDots() throws IOException {
    Parsed p = parse("DCOILWTICO_obs_desc_limit60_2025-11-27.json", "DCOILWTICO");
    assertEquals(60, p.records.size());
    assertEquals(2, p.where(r -> ".".equals(r.value)).size());
    // newest first: sort_order=desc
    assertEquals("2025-11-24", p.records.get(0).ts);
    assertEquals("59.11", p.records.get(0).value);
  }

  @Test
  void dgs2FullHistory() throws IOException {
    Parsed p = parse("DGS2_obs_asc_full_2022-12-09.json", "DGS2");
    assertEquals(12138, p.records.size());
    assertEquals(510, p.where(r -> ".".equals(r.value)).size());
    assertEquals("7.260", p.records.get(0).value); // trailing zero kept: raw text
    assertEquals("1976-06-01", p.records.get(0).ts);
    assertEquals("4.31", p.at("DGS2", "2022-12-08").value);
    assertEquals("observations[12137]", p.records.get(12137).locator);
    assertThat(p.errors(), empty());
  }

  @Test
  void everyObservationFileParsesCompletely() throws IOException {
    String[][] files = {
      {"ASPUS_obs_desc_limit40_2025-11-27.json", "40"},
      {"DGS10_obs_desc_limit365_2025-11-27.json", "365"},
      {"FEDFUNDS_obs_asc_full_2023-07-18.json", "829"},
      {"GDPC1_obs_desc_limit60_2025-11-28.json", "60"},
      {"ICSA_obs_desc_limit24_2025-11-27.json", "24"},
      {"UNRATE_obs_asc_from2000_2025-11-20.json", "309"},
      {"UNRATE_obs_desc_limit24_2025-11-20.json", "24"},
    };
    for (String[] f : files) {
      Parsed p = parse(f[0], "X");
      assertEquals(Integer.parseInt(f[1]), p.records.size(), f[0]);
      assertThat(f[0], p.errors(), empty());
      assertThat(f[0], p.where(r -> r.ts == null || r.value == null), empty());
    }
    assertEquals(
        16,
        parse("DGS10_obs_desc_limit365_2025-11-27.json", "DGS10")
            .where(r -> ".".equals(r.value))
            .size());
    assertEquals(
        "512800.0",
        parse("ASPUS_obs_desc_limit40_2025-11-27.json", "ASPUS").at("ASPUS", "2025-04-01").value);
  }

  @Test
  void seriesMetadataResponse() throws IOException {
    Parsed p = parse("series_metadata_DGS2_2022-12-09.json", "series");
    assertThat(p.records, empty());
    assertEquals(1, p.series.size());
    SeriesInfo s = p.series.get(0);
    assertEquals("DGS2", s.seriesId);
    assertEquals("fred", s.source);
    assertThat(s.title, startsWith("Market Yield on U.S. Treasury Securities at 2-Year"));
    assertEquals("Percent", s.units);
    assertEquals("Daily", s.frequency);
    assertEquals("Not Seasonally Adjusted", s.seasonalAdjustment);
    assertEquals("2022-12-09 15:25:09-06", s.lastUpdated);
  }

  @Test
  void observationsWithoutSeriesIdAreOneUnparseableRecord() throws IOException {
    RawRecord r = parse("PAYEMS_obs_asc_from1999_vintage2023-07-18.json", null).onlyError();
    assertThat(r.error, containsString("series id"));
    assertEquals("payload", r.locator);
  }

  @Test
  void truncatedResponse(@TempDir Path tmp) throws IOException {
    byte[] full = Files.readAllBytes(DIR.resolve("PAYEMS_obs_asc_from1999_vintage2023-07-18.json"));
    Path cut = tmp.resolve("PAYEMS_truncated.json");
    Files.write(cut, java.util.Arrays.copyOf(full, full.length / 2));
    RawRecord r = Parsed.file(FRED, cut, "PAYEMS", null).onlyError();
    assertThat(r.error, startsWith("truncated JSON at line 1 column "));
    assertThat(r.error, containsString("end-of-input"));
    assertThat(r.error, not(containsString("Source:")));
    assertEquals("payload", r.locator);
    assertThat(r.value, startsWith("{\"realtime_start\":\"2023-07-18\""));
    assertThat(r.value, containsString("...[truncated]")); // excerpt capped at 4 KiB
    assertNull(r.ts);
  }

  @Test
  void twoResponsesConcatenatedAreRejectedNotHalfRead() throws IOException {
    // The source file of both DGS2 files was exactly this: two bodies back to back.
    String both =
        Files.readString(DIR.resolve("series_metadata_DGS2_2022-12-09.json"))
            + Files.readString(DIR.resolve("DGS2_obs_asc_full_2022-12-09.json"));
    Parsed p = Parsed.text(FRED, both, "DGS2", null);
    RawRecord r = p.onlyError();
    assertThat(r.error, containsString("malformed JSON at line 1 column 898"));
    assertThat(r.error, containsString("after the end of the top-level value"));
    assertThat(p.series, empty());
  }

  @Test
  void fredErrorBody() throws IOException {
    String body =
        "{\"error_code\":400,\"error_message\":\"Bad Request.  The series does not" + " exist.\"}";
    RawRecord r = Parsed.text(FRED, body, "NOPE", null).onlyError();
    assertEquals("FRED error 400: Bad Request.  The series does not exist.", r.error);
    assertEquals(body, r.value);
    assertEquals("NOPE", r.seriesId);
  }

  @Test
  void emptyHtmlAndForeignJson() throws IOException {
    assertEquals("empty payload", Parsed.text(FRED, "", "X", null).onlyError().error);
    assertThat(
        Parsed.text(FRED, "\n  \n", "X", null).onlyError().error, startsWith("empty payload"));
    RawRecord html =
        Parsed.text(
                FRED,
                "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>",
                "X",
                null)
            .onlyError();
    assertThat(html.error, startsWith("not JSON: starts with '<'"));
    assertThat(html.value, startsWith("<!DOCTYPE html>"));
    assertThat(
        Parsed.text(FRED, "{\"realtime_start\":\"2023-07-18\",\"count\":0}", "X", null)
            .onlyError()
            .error,
        containsString("no 'observations' or 'seriess'"));
    assertThat(
        Parsed.text(FRED, "[1,2]", "X", null).onlyError().error, containsString("is an array"));
    assertThat(
        Parsed.text(FRED, "{\"observations\":[{\"date\":\"2020-01-01\",]}", "X", null)
            .onlyError()
            .error,
        is(
            "malformed JSON at line 1 column 39: Unexpected character (']' (code 93)):"
                + " was expecting double-quote to start field name"));
  }

  @Test
  void badElementsBecomeRecordsValidationCanReject() throws IOException {
    Parsed p =
        Parsed.text(
            FRED,
            "{\"observations\":[\"oops\",{\"value\":\"1.5\"},"
                + "{\"date\":\"2020-01-01\",\"value\":2.5,\"realtime_start\":\"2020-02-01\"}]}",
            "S",
            null);
    assertEquals(3, p.records.size());
    assertThat(p.errors(), empty());
    assertNull(p.records.get(0).ts);
    assertEquals("oops", p.records.get(0).value);
    assertNull(p.records.get(1).ts);
    assertEquals("1.5", p.records.get(1).value);
    assertEquals("2.5", p.records.get(2).value); // a JSON number keeps its text
    assertEquals("2020-02-01", p.records.get(2).vintage);
    assertThat(p.records.get(0).vintage, nullValue());
  }
}

package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgarParserTest {
  private static final Path SNOW =
      Path.of("testdata/sec_edgar/companyfacts_CIK0001640147_SNOW_pretty.json");
  private static final String REVENUE =
      "0001640147.us-gaap.RevenueFromContractWithCustomerExcludingAssessedTax.USD";

  private static Parsed all;

  private static SourceConfig edgar() {
    return Parsed.source("edgar", SourceType.EDGAR);
  }

  @BeforeAll
  static void parseOnce() throws IOException {
    all = Parsed.file(edgar(), SNOW, null, null);
  }

  private static Parsed write(SourceConfig source, Path dir, String body) throws IOException {
    Path f = dir.resolve("payload.json");
    Files.writeString(f, body, StandardCharsets.UTF_8);
    return Parsed.file(source, f, null, null);
  }

  private static SeriesInfo info(Parsed p, String seriesId) {
    List<SeriesInfo> found =
        p.series.stream().filter(s -> s.seriesId.equals(seriesId)).collect(Collectors.toList());
    assertEquals(1, found.size(), "series info for " + seriesId + ": " + found);
    return found.get(0);
  }

  @Test
  void everyFactOfTheCompanyIsOneRecord() {
    assertEquals(8163, all.records.size());
    assertThat(all.errors(), empty());
    assertTrue(all.records.stream().allMatch(r -> r.seriesId.startsWith("0001640147.")));
    // 683 distinct (concept, unit, period length) series, each described once
    assertEquals(683, all.records.stream().map(r -> r.seriesId).distinct().count());
    assertEquals(683, all.series.size());
  }

  @Test
  void revenueSplitsByPeriodLength() {
    assertEquals(61, all.where(r -> r.seriesId.startsWith(REVENUE + ".")).size());
    assertEquals(28, all.series(REVENUE + ".3M").size());
    assertEquals(8, all.series(REVENUE + ".6M").size());
    assertEquals(10, all.series(REVENUE + ".9M").size());
    assertEquals(15, all.series(REVENUE + ".12M").size());
    // Q1 of fiscal 2021 (Feb-Apr 2020)
    RawRecord q = all.at(REVENUE + ".3M", "2020-04-30");
    assertEquals("108815000", q.value);
    assertEquals("2021-06-04", q.vintage);
    assertEquals("us-gaap/RevenueFromContractWithCustomerExcludingAssessedTax/USD[5]", q.locator);
    assertEquals(SNOW.toString(), q.origin);
  }

  @Test
  void aPeriodReportedInSeveralFilingsYieldsOneRecordPerFiling() {
    List<RawRecord> fy2024 =
        all.where(r -> r.seriesId.equals(REVENUE + ".12M") && "2024-01-31".equals(r.ts));
    assertEquals(2, fy2024.size());
    assertEquals(
        Set.of("2024-03-26", "2025-03-21"),
        fy2024.stream().map(r -> r.vintage).collect(Collectors.toSet()));
    assertEquals(
        Set.of("2806489000"), fy2024.stream().map(r -> r.value).collect(Collectors.toSet()));
  }

  @Test
  void instantFactsHaveNoPeriodSuffix() {
    List<RawRecord> shares = all.series("0001640147.dei.EntityCommonStockSharesOutstanding.shares");
    assertEquals(18, shares.size());
    assertEquals("288700000", shares.get(0).value);
    assertEquals("2021-03-01", shares.get(0).ts);
    assertEquals("2021-03-31", shares.get(0).vintage);
  }

  @Test
  void valuesKeepTheirJsonText() {
    assertEquals(
        "-7.77",
        all.at("0001640147.us-gaap.EarningsPerShareBasic.USD/shares.12M", "2020-01-31").value);
    List<RawRecord> par =
        all.series("0001640147.us-gaap.PreferredStockParOrStatedValuePerShare.USD/shares");
    assertTrue(par.stream().allMatch(r -> "0.0001".equals(r.value)), par.toString());
  }

  @Test
  void seriesInfoDescribesEachSeries() {
    SeriesInfo q = info(all, REVENUE + ".3M");
    assertEquals("Revenue from Contract with Customer, Excluding Assessed Tax", q.title);
    assertEquals("USD", q.units);
    assertEquals("quarterly", q.frequency);
    assertNull(q.seasonalAdjustment);
    assertEquals("2025-05-30", q.lastUpdated);
    assertEquals("annual", info(all, REVENUE + ".12M").frequency);
    assertEquals("2025-03-21", info(all, REVENUE + ".12M").lastUpdated);
    assertEquals("semiannual", info(all, REVENUE + ".6M").frequency);
    assertEquals("9-month", info(all, REVENUE + ".9M").frequency);
    assertEquals(
        "instant", info(all, "0001640147.dei.EntityCommonStockSharesOutstanding.shares").frequency);
  }

  @Test
  void conceptFilterKeepsOnlyConfiguredConcepts() throws IOException {
    SourceConfig s = edgar();
    s.concepts =
        List.of(
            "us-gaap/RevenueFromContractWithCustomerExcludingAssessedTax", "dei:EntityPublicFloat");
    Parsed p = Parsed.file(s, SNOW, null, null);
    assertEquals(61 + 5, p.records.size());
    assertThat(p.errors(), empty());
    assertEquals(5, p.series("0001640147.dei.EntityPublicFloat.USD").size());
    assertEquals(5, p.series.size());
  }

  @Test
  void configuredConceptTheCompanyDoesNotReportIsNamed() throws IOException {
    SourceConfig s = edgar();
    s.concepts = List.of("us-gaap/Revenues", "dei/EntityPublicFloat");
    Parsed p = Parsed.file(s, SNOW, null, null);
    assertEquals(1, p.errors().size());
    assertThat(
        p.errors().get(0).error,
        containsString("'us-gaap/Revenues' is not in the companyfacts of CIK 0001640147"));
    assertEquals(5, p.where(r -> r.error == null).size());
  }

  @Test
  void contextVintageOverridesFiled() throws IOException {
    SourceConfig s = edgar();
    s.concepts = List.of("dei/EntityPublicFloat");
    Parsed p = Parsed.file(s, SNOW, null, "2025-06-01");
    assertEquals(
        Set.of("2025-06-01"), p.records.stream().map(r -> r.vintage).collect(Collectors.toSet()));
  }

  @Test
  void companyConceptResponse(@TempDir Path dir) throws IOException {
    Parsed p =
        write(
            edgar(),
            dir,
            "{\"cik\":320193,\"taxonomy\":\"us-gaap\",\"tag\":\"Revenues\","
                + "\"label\":\"Revenues\",\"description\":\"d\",\"entityName\":\"Apple Inc.\","
                + "\"units\":{\"USD\":["
                + "{\"start\":\"2022-09-25\",\"end\":\"2022-12-31\",\"val\":117154000000,"
                + "\"accn\":\"a\",\"fy\":2023,\"fp\":\"Q1\",\"form\":\"10-Q\",\"filed\":\"2023-02-03\"},"
                + "{\"start\":\"2021-09-26\",\"end\":\"2022-09-24\",\"val\":394328000000,"
                + "\"accn\":\"b\",\"fy\":2022,\"fp\":\"FY\",\"form\":\"10-K\",\"filed\":\"2022-10-28\"}]}}");
    assertThat(p.errors(), empty());
    assertEquals("117154000000", p.at("0000320193.us-gaap.Revenues.USD.3M", "2022-12-31").value);
    assertEquals("394328000000", p.at("0000320193.us-gaap.Revenues.USD.12M", "2022-09-24").value);
    assertEquals(
        "us-gaap/Revenues/USD[1]",
        p.at("0000320193.us-gaap.Revenues.USD.12M", "2022-09-24").locator);
    assertEquals(2, p.series.size());
  }

  @Test
  void companyConceptNotConfiguredYieldsNothing(@TempDir Path dir) throws IOException {
    SourceConfig s = edgar();
    s.concepts = List.of("us-gaap/Assets");
    Parsed p =
        write(
            s,
            dir,
            "{\"cik\":320193,\"taxonomy\":\"us-gaap\",\"tag\":\"Revenues\","
                + "\"units\":{\"USD\":[{\"end\":\"2022-12-31\",\"val\":1,\"filed\":\"2023-02-03\"}]}}");
    assertThat(p.records, empty());
  }

  @Test
  void badFactsAreRecordsWithErrors(@TempDir Path dir) throws IOException {
    Parsed p =
        write(
            edgar(),
            dir,
            "{\"cik\":\"1640147\",\"entityName\":\"X\",\"facts\":{"
                + "\"us-gaap\":{\"Assets\":{\"label\":\"Assets\",\"units\":{\"USD\":["
                + "{\"end\":\"2020-01-31\",\"val\":5,\"filed\":\"2020-03-01\"},"
                + "\"oops\","
                + "{\"start\":\"2020-13-01\",\"end\":\"2020-01-31\",\"val\":5,\"filed\":\"2020-03-01\"},"
                + "{\"start\":\"2020-02-01\",\"end\":\"2020-01-31\",\"val\":5,\"filed\":\"2020-03-01\"}"
                + "]}}}}}");
    assertEquals(4, p.records.size());
    List<RawRecord> good = p.where(r -> r.error == null);
    assertEquals(1, good.size());
    assertEquals("0001640147.us-gaap.Assets.USD", good.get(0).seriesId);
    assertEquals("5", good.get(0).value);
    List<RawRecord> errors = p.errors();
    assertEquals(3, errors.size());
    assertEquals("us-gaap/Assets/USD[1]", errors.get(0).locator);
    assertThat(errors.get(1).error, containsString("not two ISO dates"));
    assertThat(errors.get(2).error, containsString("before it starts"));
  }

  @Test
  void secErrorMessageBody(@TempDir Path dir) throws IOException {
    assertEquals(
        "SEC error: Not Found",
        write(edgar(), dir, "{\"message\": \"Not Found\"}").onlyError().error);
  }

  @Test
  void secHtmlErrorPage(@TempDir Path dir) throws IOException {
    RawRecord e =
        write(
                edgar(),
                dir,
                "<!DOCTYPE html>\n<html><head><title>SEC.gov | Request Rate"
                    + " Threshold Exceeded</title><script>var x = 1;</script></head><body><h1>Your Request"
                    + " Originates from an Undeclared Automated Tool</h1></body></html>")
            .onlyError();
    assertThat(
        e.error,
        startsWith(
            "SEC error page (not JSON): SEC.gov | Request Rate Threshold"
                + " Exceeded Your Request Originates"));
    assertThat(e.error.contains("var x"), org.hamcrest.Matchers.is(false));
  }

  @Test
  void s3XmlErrorDocument(@TempDir Path dir) throws IOException {
    RawRecord e =
        write(
                edgar(),
                dir,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                    + "NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>")
            .onlyError();
    assertEquals("SEC error page (not JSON): NoSuchKey The specified key does not exist.", e.error);
  }

  @Test
  void truncatedCompanyFacts(@TempDir Path dir) throws IOException {
    String real = Files.readString(SNOW);
    RawRecord e = write(edgar(), dir, real.substring(0, 1_000_000)).onlyError();
    assertThat(e.error, startsWith("truncated JSON"));
    assertEquals(4096 + "...[truncated]".length(), e.value.length());
  }

  @Test
  void emptyBody(@TempDir Path dir) throws IOException {
    assertEquals("empty payload", write(edgar(), dir, "").onlyError().error);
  }

  @Test
  void otherJsonIsNotAnEdgarResponse(@TempDir Path dir) throws IOException {
    assertThat(
        write(edgar(), dir, "{\"observations\": []}").onlyError().error,
        containsString("not an SEC EDGAR companyfacts or companyconcept response"));
    assertThat(write(edgar(), dir, "[1]").onlyError().error, containsString("expected an object"));
    assertThat(
        write(edgar(), dir, "{\"cik\":\"abc\",\"facts\":{}}").onlyError().error,
        containsString("no usable 'cik'"));
  }

  @Test
  void theWholeCompanyFactsFileParsesFast() throws IOException {
    Parsed.file(edgar(), SNOW, null, null); // warm up
    long t0 = System.nanoTime();
    Parsed p = Parsed.file(edgar(), SNOW, null, null);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(8163, p.records.size());
    assertThat(ms, lessThan(1000L));
  }
}

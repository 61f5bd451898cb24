package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlphaVantageParserTest {
  private static final SourceConfig AV = Parsed.source("alphavantage", SourceType.ALPHAVANTAGE);
  private static final Path DIR = Path.of("testdata/alphavantage");

  private static Parsed parse(String file) throws IOException {
    return Parsed.file(AV, DIR.resolve(file), null, null);
  }

  private static Set<String> seriesIds(Parsed p) {
    return p.records.stream().map(r -> r.seriesId).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void dailyCompact() throws IOException {
    Parsed p = parse("TIME_SERIES_DAILY_AAPL_compact_2017-04-27.json");
    assertEquals(100 * 5, p.records.size());
    assertThat(p.errors(), empty());
    assertEquals(
        Set.of("AAPL.open", "AAPL.high", "AAPL.low", "AAPL.close", "AAPL.volume"), seriesIds(p));
    RawRecord close = p.at("AAPL.close", "2017-04-27");
    assertEquals("143.7900", close.value);
    // a date-only Last Refreshed is the 16:00 close in US/Eastern (EDT, UTC-4)
    assertEquals("2017-04-27T20:00:00Z", close.vintage);
    assertEquals("Time Series (Daily)[\"2017-04-27\"].close", close.locator);
    assertEquals("14106100", p.at("AAPL.volume", "2017-04-27").value);
    assertEquals(100, p.series("AAPL.open").size());
    assertEquals("2016-12-02", p.records.get(p.records.size() - 1).ts);
  }

  @Test
  void dailyAdjustedHasEightFields() throws IOException {
    Parsed p = parse("TIME_SERIES_DAILY_ADJUSTED_IBM_compact_2023-03-24.json");
    assertEquals(100 * 8, p.records.size());
    assertEquals(
        Set.of(
            "IBM.open",
            "IBM.high",
            "IBM.low",
            "IBM.close",
            "IBM.adjusted_close",
            "IBM.volume",
            "IBM.dividend_amount",
            "IBM.split_coefficient"),
        seriesIds(p));
    for (String id : seriesIds(p)) {
      assertEquals(100, p.series(id).size(), id);
    }
    assertEquals("125.29", p.at("IBM.adjusted_close", "2023-03-24").value);
    assertEquals("125.4", p.at("IBM.high", "2023-03-24").value); // post-2023 format, raw
    assertEquals("0.0000", p.at("IBM.dividend_amount", "2023-03-24").value);
    assertEquals("1.0", p.at("IBM.split_coefficient", "2023-03-24").value);
    assertEquals("2023-03-24T20:00:00Z", p.records.get(0).vintage);
    assertEquals(
        "Time Series (Daily)[\"2023-03-24\"].adjusted_close",
        p.at("IBM.adjusted_close", "2023-03-24").locator);
  }

  @Test
  void midMonthBarIsKeyedByPeriodStartWithTheRefreshInstant() throws IOException {
    Parsed p = parse("TIME_SERIES_MONTHLY_GOOG_2017-04-27_midmonth.json");
    assertEquals(152 * 5, p.records.size());
    RawRecord april = p.at("GOOG.monthly.close", "2017-04-01");
    assertEquals("873.1300", april.value);
    // "2017-04-27 12:12:00" US/Eastern (EDT) = 16:12 UTC
    assertEquals("2017-04-27T16:12:00Z", april.vintage);
    assertEquals("Monthly Time Series[\"2017-04-27 12:12:00\"].close", april.locator);
    assertEquals("829.5600", p.at("GOOG.monthly.close", "2017-03-01").value);
    assertEquals("2004-09-01", p.records.get(p.records.size() - 1).ts);
  }

  @Test
  void laterMonthlyFetchLandsOnTheSameKeysWithALaterVintage() throws IOException {
    Parsed mid = parse("TIME_SERIES_MONTHLY_GOOG_2017-04-27_midmonth.json");
    Parsed later = parse("TIME_SERIES_MONTHLY_GOOG_2017-07-11.json");
    assertEquals(155 * 5, later.records.size());
    RawRecord aprilFinal = later.at("GOOG.monthly.close", "2017-04-01"); // key "2017-04-28"
    assertEquals("905.9600", aprilFinal.value);
    assertEquals("2017-07-11T20:00:00Z", aprilFinal.vintage);
    assertThat(
        aprilFinal.vintage.compareTo(mid.at("GOOG.monthly.close", "2017-04-01").vintage) > 0,
        org.hamcrest.Matchers.is(true));
    // the open July bar (key "2017-07-11") is July
    assertEquals("930.0900", later.at("GOOG.monthly.close", "2017-07-01").value);
    // every month once per field
    assertEquals(
        155, later.series("GOOG.monthly.close").stream().map(r -> r.ts).distinct().count());
  }

  @Test
  void weeklyBarsStartOnMonday() throws IOException {
    Parsed p = parse("TIME_SERIES_WEEKLY_GOOG_2017-07-11.json");
    assertEquals(673 * 5, p.records.size());
    assertEquals(
        Set.of(
            "GOOG.weekly.open",
            "GOOG.weekly.high",
            "GOOG.weekly.low",
            "GOOG.weekly.close",
            "GOOG.weekly.volume"),
        seriesIds(p));
    // key 2017-07-11 (Tuesday, week still open) and 2017-07-07 (Friday)
    assertEquals("930.0900", p.at("GOOG.weekly.close", "2017-07-10").value);
    assertEquals("918.5900", p.at("GOOG.weekly.close", "2017-07-03").value);
    assertEquals(
        "Weekly Time Series[\"2017-07-07\"].close",
        p.at("GOOG.weekly.close", "2017-07-03").locator);
    List<String> ts =
        p.series("GOOG.weekly.close").stream().map(r -> r.ts).collect(Collectors.toList());
    assertEquals(673, ts.stream().distinct().count());
    for (String t : ts) {
      assertEquals(java.time.DayOfWeek.MONDAY, java.time.LocalDate.parse(t).getDayOfWeek(), t);
    }
  }

  @Test
  void configVintageOverrides() throws IOException {
    Parsed p =
        Parsed.file(AV, DIR.resolve("TIME_SERIES_WEEKLY_GOOG_2017-07-11.json"), null, "2017-07-12");
    assertEquals(
        Set.of("2017-07-12"), p.records.stream().map(r -> r.vintage).collect(Collectors.toSet()));
  }

  @Test
  void errorBodies() throws IOException {
    RawRecord daily = parse("ERROR_TIME_SERIES_DAILY_invalid_symbol_ABCDE.json").onlyError();
    assertEquals(
        "Alpha Vantage error: Invalid API call, please visit documentation"
            + " (http://www.alphavantage.co/documentation/) for function: TIME_SERIES_DAILY",
        daily.error);
    assertEquals("payload", daily.locator);
    assertThat(daily.value, startsWith("{\"Error Message\""));
    RawRecord intraday = parse("ERROR_TIME_SERIES_INTRADAY_CSC.json").onlyError();
    assertThat(intraday.error, startsWith("Alpha Vantage error: Invalid API call"));
    assertThat(intraday.error, containsString("TIME_SERIES_INTRADAY"));
  }

  @Test
  void rateLimitAnswers() throws IOException {
    String note =
        "{\n    \"Note\": \"Thank you for using Alpha Vantage! Our standard API call"
            + " frequency is 5 calls per minute and 500 calls per day.\"\n}";
    assertEquals(
        "Alpha Vantage rate limit: Thank you for using Alpha Vantage! Our standard API"
            + " call frequency is 5 calls per minute and 500 calls per day.",
        Parsed.text(AV, note, null, null).onlyError().error);
    String info =
        "{\"Information\": \"We have detected your API key as DEMO and our standard API"
            + " rate limit is 25 requests per day.\"}";
    assertThat(
        Parsed.text(AV, info, null, null).onlyError().error,
        startsWith("Alpha Vantage rate limit: We have detected"));
  }

  @Test
  void truncatedEmptyHtml(@TempDir Path tmp) throws IOException {
    byte[] full = Files.readAllBytes(DIR.resolve("TIME_SERIES_DAILY_AAPL_compact_2017-04-27.json"));
    Path cut = tmp.resolve("AAPL_cut.json");
    Files.write(cut, Arrays.copyOf(full, 5000));
    Parsed truncated = Parsed.file(AV, cut, null, null);
    assertThat(truncated.onlyError().error, startsWith("truncated JSON at line 1 column 5001"));
    assertEquals("empty payload", Parsed.text(AV, "", null, null).onlyError().error);
    assertThat(
        Parsed.text(AV, "<html><body>502 Bad Gateway</body></html>", null, null).onlyError().error,
        startsWith("not JSON: starts with '<'"));
    assertThat(
        Parsed.text(AV, "{\"Meta Data\":{}}", null, null).onlyError().error,
        containsString("no 'Time Series' object"));
  }

  @Test
  void intradayIsNotReadSilently() throws IOException {
    String intraday =
        "{\"Meta Data\":{\"2. Symbol\":\"IBM\",\"3. Last Refreshed\":"
            + "\"2023-03-24 19:55:00\",\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":"
            + "{\"2023-03-24 19:55:00\":{\"1. open\":\"125.0\"}}}";
    assertThat(
        Parsed.text(AV, intraday, null, null).onlyError().error,
        startsWith("unsupported Alpha Vantage series 'Time Series (5min)'"));
  }

  @Test
  void duplicateDateKeysAreBothKept() throws IOException {
    String dup =
        "{\"Meta Data\":{\"2. Symbol\":\"X\",\"3. Last Refreshed\":\"2020-01-03\","
            + "\"5. Time Zone\":\"US/Eastern\"},\"Time Series (Daily)\":{"
            + "\"2020-01-03\":{\"4. close\":\"1.0\"},\"2020-01-03\":{\"4. close\":\"2.0\"},"
            + "\"2020-01-02\":\"oops\"}}";
    Parsed p = Parsed.text(AV, dup, null, null);
    assertEquals(3, p.records.size());
    assertEquals(
        List.of("1.0", "2.0"),
        p.where(r -> "2020-01-03".equals(r.ts)).stream()
            .map(r -> r.value)
            .collect(Collectors.toList()));
    RawRecord bad = p.records.get(2);
    assertThat(bad.error, containsString("is a string, expected an object"));
    assertEquals("2020-01-02", bad.ts);
    // January 3rd 2020 16:00 EST (UTC-5)
    assertEquals("2020-01-03T21:00:00Z", p.records.get(0).vintage);
  }

  @Test
  void helpers() {
    assertEquals("adjusted_close", AlphaVantageParser.fieldName("5. adjusted close"));
    assertEquals("split_coefficient", AlphaVantageParser.fieldName("8. split coefficient"));
    assertEquals(
        "2017-02-27",
        AlphaVantageParser.periodStart("2017-03-03", AlphaVantageParser.Frequency.WEEKLY));
    assertEquals(
        "2017-04-27",
        AlphaVantageParser.periodStart("2017-04-27 12:12:00", AlphaVantageParser.Frequency.DAILY));
    assertEquals(
        "27.04.2017",
        AlphaVantageParser.periodStart("27.04.2017", AlphaVantageParser.Frequency.MONTHLY));
    assertNull(AlphaVantageParser.vintage("2017-04-27", "Mars/Olympus"));
  }
}

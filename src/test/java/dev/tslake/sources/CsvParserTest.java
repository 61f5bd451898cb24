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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvParserTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
  private static final Path GEMINI =
      Path.of("testdata/bitcoin/gemini_BTCUSD_1min_excel_mangled_head10000.csv");
  private static final Path TAXI = Path.of("testdata/nyc_taxi");

  private static SourceConfig csv(
      String name,
      int skipLines,
      String ts,
      String seriesColumn,
      String seriesId,
      String... values) {
    SourceConfig s = Parsed.source(name, SourceType.CSV);
    s.skipLines = skipLines;
    s.timestampColumn = ts;
    s.seriesColumn = seriesColumn;
    s.seriesId = seriesId;
    s.valueColumns = List.of(values);
    return s;
  }

  private static SourceConfig bitstamp() {
    return csv("bitstamp", 1, "date", "symbol", null, "open", "high", "low", "close");
  }

  private static List<String> locators(Parsed p) {
    return p.records.stream().map(r -> r.locator).collect(Collectors.toList());
  }

  @Test
  void bitstampDailyWithBannerLine() throws IOException {
    Parsed p = Parsed.file(bitstamp(), BITSTAMP, null, "2022-08-20");
    assertEquals(2823 * 4, p.records.size());
    assertThat(p.errors(), empty());
    RawRecord first = p.records.get(0);
    assertEquals("line 3 open", first.locator); // line 1 banner, line 2 header
    assertEquals("BTC/USD.open", first.seriesId);
    assertEquals("2022-08-20 00:00:00", first.ts);
    assertEquals("20840.00", first.value); // raw: trailing zeros kept
    assertEquals("2022-08-20", first.vintage);
    assertEquals(BITSTAMP.toString(), first.origin);
    RawRecord close = p.at("BTC/USD.close", "2022-08-20 00:00:00");
    assertEquals("20957.00", close.value);
    assertEquals("line 3 close", close.locator);
    // the last row of the file, 2825 lines long
    assertEquals("line 2825 close", p.at("BTC/USD.close", "2014-11-28 00:00:00").locator);
    assertEquals("376.28", p.at("BTC/USD.close", "2014-11-28 00:00:00").value);
    assertEquals(
        Set.of("BTC/USD.open", "BTC/USD.high", "BTC/USD.low", "BTC/USD.close"),
        p.records.stream().map(r -> r.seriesId).collect(Collectors.toSet()));
  }

  @Test
  void lineNumbersSurviveCrlfAndBlankLines(@TempDir Path tmp) throws IOException {
    // the first lines of the real file, re-ended with CRLF and with a blank line inserted
    List<String> lines = Files.readAllLines(BITSTAMP).subList(0, 5);
    String crlf =
        lines.get(0)
            + "\r\n"
            + lines.get(1)
            + "\r\n"
            + lines.get(2)
            + "\r\n\r\n"
            + lines.get(3)
            + "\r\n"
            + lines.get(4)
            + "\r\n";
    Path f = tmp.resolve("bitstamp_crlf.csv");
    Files.writeString(f, crlf, StandardCharsets.UTF_8);
    SourceConfig s = csv("bitstamp", 1, "date", "symbol", null, "close");
    Parsed p = Parsed.file(s, f, null, null);
    assertEquals(List.of("line 3 close", "line 5 close", "line 6 close"), locators(p));
    assertEquals("2022-08-18 00:00:00", p.records.get(2).ts);
  }

  @Test
  void geminiExcelFileCrlfNoBanner() throws IOException {
    SourceConfig s = csv("gemini", 0, "Date", "Symbol", null, "Open", "High", "Low", "Close");
    Parsed p = Parsed.file(s, GEMINI, null, null);
    assertEquals(10000 * 4, p.records.size());
    assertThat(p.errors(), empty());
    RawRecord first = p.records.get(0);
    assertEquals("BTCUSD.Open", first.seriesId); // the value column as written in config
    assertEquals("4/20/2021 0:02", first.ts);
    assertEquals("55717.47", first.value);
    assertEquals("line 2 Open", first.locator);
    assertEquals("line 10001 Close", p.records.get(p.records.size() - 1).locator);
    assertEquals("60299.73", p.records.get(p.records.size() - 1).value);
    // the Excel-mangled epoch column is raw text too if asked for
    SourceConfig byEpoch = csv("gemini", 0, "Unix Timestamp", null, "BTCUSD", "Close");
    assertEquals("1.61888E+12", Parsed.file(byEpoch, GEMINI, null, null).records.get(0).ts);
  }

  @Test
  void taxi2014HeadersWithLeadingSpaces() throws IOException {
    SourceConfig s =
        csv("taxi_legacy", 0, "pickup_datetime", "vendor_id", null, "fare_amount", "trip_distance");
    Parsed p = Parsed.file(s, TAXI.resolve("yellow_tripdata_2014-07_head.csv"), null, null);
    assertEquals(98 * 2, p.records.size());
    assertThat(p.errors(), empty());
    RawRecord first = p.records.get(0);
    assertEquals("CMT.fare_amount", first.seriesId);
    assertEquals("2014-07-10 10:07:55", first.ts);
    assertEquals("7.5", first.value);
    assertEquals("line 3 fare_amount", first.locator); // header LF, then an empty CRLF line
    assertEquals("1.2", p.records.get(1).value);
    assertEquals("line 100 trip_distance", p.records.get(p.records.size() - 1).locator);
  }

  @Test
  void legacyTaxiHeadsAllParse() throws IOException {
    SourceConfig s = csv("taxi_legacy", 0, "pickup_datetime", "vendor_id", null, "fare_amount");
    for (String month : new String[] {"2010-03", "2011-06", "2012-01", "2013-12", "2014-07"}) {
      Parsed p = Parsed.file(s, TAXI.resolve("yellow_tripdata_" + month + "_head.csv"), null, null);
      assertEquals(98, p.records.size(), month);
      assertThat(month, p.errors(), empty());
      assertThat(month, p.records.get(0).ts, startsWith(month));
      assertEquals("line 3 fare_amount", p.records.get(0).locator, month);
    }
    Parsed p2010 = Parsed.file(s, TAXI.resolve("yellow_tripdata_2010-03_head.csv"), null, null);
    assertEquals("CMT.fare_amount", p2010.records.get(0).seriesId);
    assertEquals("12.1", p2010.records.get(0).value);
  }

  @Test
  void taxi2017HasNoRecordsForItsBlankLine() throws IOException {
    SourceConfig s =
        csv("taxi", 0, "tpep_pickup_datetime", "VendorID", null, "fare_amount", "trip_distance");
    Parsed p = Parsed.file(s, TAXI.resolve("yellow_tripdata_2017-06_head.csv"), null, null);
    assertEquals(98 * 2, p.records.size());
    assertThat(p.errors(), empty());
    assertThat(p.where(r -> r.ts.isEmpty() || r.value.isEmpty()), empty());
    assertEquals("line 3 fare_amount", p.records.get(0).locator);
    assertEquals("2.fare_amount", p.records.get(0).seriesId);
    assertEquals("7.5", p.records.get(0).value);
    assertEquals("2017-06-08 07:52:31", p.records.get(0).ts);
  }

  @Test
  void taxi2015And2016HaveNoBlankLine() throws IOException {
    SourceConfig s = csv("taxi", 0, "tpep_pickup_datetime", "VendorID", null, "fare_amount");
    for (String month : new String[] {"2015-01", "2016-06"}) {
      Parsed p = Parsed.file(s, TAXI.resolve("yellow_tripdata_" + month + "_head.csv"), null, null);
      assertEquals(99, p.records.size(), month);
      assertEquals("line 2 fare_amount", p.records.get(0).locator, month);
      assertEquals("line 100 fare_amount", p.records.get(98).locator, month);
    }
    Parsed p = Parsed.file(s, TAXI.resolve("yellow_tripdata_2015-01_head.csv"), null, null);
    assertEquals("2.fare_amount", p.records.get(0).seriesId);
    assertEquals("12", p.records.get(0).value);
  }

  @Test
  void greenTaxiRowsLongerThanTheHeader() throws IOException {
    // header has 21 columns ("Trip_type " with a trailing space), every row 23 fields
    SourceConfig s =
        csv("green", 0, "lpep_pickup_datetime", "VendorID", null, "Fare_amount", "trip_type");
    Parsed p = Parsed.file(s, TAXI.resolve("green_tripdata_2015-01_head.csv"), null, null);
    assertEquals(99 * 2, p.records.size());
    assertThat(p.errors(), empty());
    assertEquals("2.Fare_amount", p.records.get(0).seriesId);
    assertEquals("5", p.records.get(0).value);
    assertEquals("2015-01-01 00:34:42", p.records.get(0).ts);
    assertEquals("2.trip_type", p.records.get(1).seriesId);
    assertEquals("1", p.records.get(1).value);
    assertEquals("line 2 trip_type", p.records.get(1).locator);
  }

  @Test
  void fixedSeriesIdAndFileSeriesId() throws IOException {
    SourceConfig s = csv("btc", 1, "date", null, "bitstamp_btc", "close");
    Parsed p = Parsed.file(s, BITSTAMP, null, null);
    assertEquals("bitstamp_btc.close", p.records.get(0).seriesId);
    Parsed hinted = Parsed.file(s, BITSTAMP, "btc_daily", null);
    assertEquals("btc_daily.close", hinted.records.get(0).seriesId);
  }

  @Test
  void missingColumnIsOneRecordNamingIt() throws IOException {
    SourceConfig s = csv("bitstamp", 1, "date", "symbol", null, "close", "Volume EUR");
    Parsed p = Parsed.file(s, BITSTAMP, null, null);
    RawRecord r = p.onlyError();
    assertEquals(
        "configured column 'Volume EUR' (valueColumns) not in the header at line 2;"
            + " header columns: [unix, date, symbol, open, high, low, close, Volume BTC, Volume USD]",
        r.error);
    assertEquals("line 2", r.locator);
    assertEquals("unix,date,symbol,open,high,low,close,Volume BTC,Volume USD", r.value);
  }

  @Test
  void withoutSkipLinesTheBannerIsTheHeader() throws IOException {
    SourceConfig s = bitstamp();
    s.skipLines = 0;
    Parsed p = Parsed.file(s, BITSTAMP, null, null);
    RawRecord r = p.onlyError();
    assertThat(r.error, containsString("'date' (timestampColumn)"));
    assertThat(r.error, containsString("'symbol' (seriesColumn)"));
    assertThat(r.error, containsString("[https://www.CryptoDataDownload.com]"));
    assertEquals("line 1", r.locator);
  }

  @Test
  void shortRowsAreOneRecordEach(@TempDir Path tmp) throws IOException {
    // a download cut off in the middle of a row
    byte[] full = Files.readAllBytes(BITSTAMP);
    String head = new String(Arrays.copyOf(full, 400), StandardCharsets.UTF_8);
    Path cut = tmp.resolve("bitstamp_cut.csv");
    Files.writeString(cut, head);
    Parsed p = Parsed.file(bitstamp(), cut, null, null);
    RawRecord last = p.records.get(p.records.size() - 1);
    assertEquals("line 6", last.locator);
    assertEquals("row has 2 fields, needs at least 7 (column 'close' is field 7)", last.error);
    assertEquals("1660694400,2", last.value);
    assertNull(last.ts);
    assertEquals(3 * 4 + 1, p.records.size());
  }

  @Test
  void emptyFileAndBrokenQuote() throws IOException {
    assertEquals("empty payload", Parsed.text(bitstamp(), "", null, null).onlyError().error);
    assertThat(
        Parsed.text(bitstamp(), "https://www.CryptoDataDownload.com\n", null, null)
            .onlyError()
            .error,
        startsWith("no header row"));
    Parsed q =
        Parsed.text(
            bitstamp(),
            "banner\nunix,date,symbol,open,high,low,close\n" + "1,2022-01-01,BTC/USD,1,2,3,\"4\n",
            null,
            null);
    RawRecord r = q.onlyError();
    assertThat(r.error, startsWith("malformed CSV at line 3: "));
  }

  @Test
  void emptySeriesCellIsRejectedWithAReason() throws IOException {
    Parsed p =
        Parsed.text(
            bitstamp(),
            "banner\nunix,date,symbol,open,high,low,close\n" + "1,2022-01-01 00:00:00,,1,2,3,4\n",
            null,
            null);
    assertEquals(4, p.errors().size());
    assertEquals("series column 'symbol' is empty", p.records.get(0).error);
    assertEquals("1", p.records.get(0).value);
  }

  @Test
  void quotedFieldSpanningLinesIsOneRejectPerLineAndLaterLineNumbersStayRight() throws IOException {
    // One record per physical line (Spark's multiLine=false, as line ranges need): a quoted line
    // break cannot be told from a stray quote, so each of its lines is rejected on its own.
    SourceConfig s = csv("notes", 0, "ts", null, "sensor", "value");
    Parsed p =
        Parsed.text(
            s,
            "ts,note,value\r\n2020-01-01,\"two\r\nlines\",1.5\r\n" + "2020-01-02,plain,2.5\r\n",
            null,
            null);
    assertEquals(List.of("line 2", "line 3", "line 4 value"), locators(p));
    assertThat(p.records.get(0).error, startsWith("malformed CSV at line 2: "));
    // 'lines",1.5' is valid CSV on its own (a quote inside an unquoted field), but short
    assertThat(p.records.get(1).error, startsWith("row has 2 fields, needs at least 3"));
    assertEquals("2.5", p.records.get(2).value);
  }

  @Test
  void tabDelimited() throws IOException {
    SourceConfig s = csv("tsv", 0, "date", null, "x", "v");
    s.delimiter = '\t';
    Parsed p = Parsed.text(s, "date\tv\n2020-01-01\t1,5\n", null, null);
    assertEquals("1,5", p.records.get(0).value); // raw: a decimal comma is validation's call
  }
}

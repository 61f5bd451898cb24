package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoinDeskParserTest {
  private static final SourceConfig CD = Parsed.source("coindesk", SourceType.COINDESK);
  private static final Path DIR = Path.of("testdata/bitcoin/coindesk");

  private static Parsed parse(String file) throws IOException {
    return Parsed.file(CD, DIR.resolve(file), null, null);
  }

  @Test
  void snapshotGivesOneRecordPerCurrency() throws IOException {
    Parsed p = parse("eltonkola_01_2021-02-17T1459_31f29e1a.json");
    assertEquals(3, p.records.size());
    RawRecord usd = p.at("BTC-USD", "2021-02-17T14:59:00+00:00");
    assertEquals("51165.4784", usd.value); // rate_float, not the formatted "51,165.4784"
    assertEquals("2021-02-17T14:59:00+00:00", usd.vintage);
    assertEquals("bpi.USD", usd.locator);
    assertEquals("36947.5129", p.at("BTC-GBP", "2021-02-17T14:59:00+00:00").value);
    assertEquals("42517.8474", p.at("BTC-EUR", "2021-02-17T14:59:00+00:00").value);
  }

  @Test
  void snapshotStartingWithANewline() throws IOException {
    Path f = DIR.resolve("eltonkola_04_2021-02-17T1806_8ff5c3a9.json");
    assertEquals('\n', Files.readString(f).charAt(0));
    Parsed p = parse(f.getFileName().toString());
    assertThat(p.errors(), empty());
    assertEquals(3, p.records.size());
    assertEquals("51358.3598", p.at("BTC-USD", "2021-02-17T18:06:00+00:00").value);
    // 04 is a re-commit of 02's snapshot: same ts, vintage and values
    Parsed two = parse("eltonkola_02_2021-02-17T1806_01d7a960.json");
    assertEquals(values(two), values(p));
  }

  private static List<String> values(Parsed p) {
    return p.records.stream()
        .map(r -> r.seriesId + "@" + r.ts + "=" + r.value + "/" + r.vintage)
        .collect(Collectors.toList());
  }

  @Test
  void allSnapshots() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.sorted().collect(Collectors.toList());
    }
    assertEquals(14, files.size());
    int n = 0;
    for (Path f : files) {
      Parsed p = Parsed.file(CD, f, null, null);
      assertThat(f.toString(), p.errors(), empty());
      n += p.records.size();
    }
    assertEquals(14 * 3, n);
    // a number written with three decimals keeps them
    assertEquals(
        "52387.625",
        parse("eltonkola_07_2021-02-17T2034_4d2fa430.json")
            .at("BTC-USD", "2021-02-17T20:34:00+00:00")
            .value);
    assertEquals(
        "43258.0855",
        parse("quannxxii_2023-12-07T2029.json").at("BTC-USD", "2023-12-07T20:29:00+00:00").value);
  }

  @Test
  void configVintageOverrides() throws IOException {
    Parsed p =
        Parsed.file(
            CD,
            DIR.resolve("eltonkola_01_2021-02-17T1459_31f29e1a.json"),
            null,
            "2021-02-18T00:00:00Z");
    assertTrue(p.records.stream().allMatch(r -> "2021-02-18T00:00:00Z".equals(r.vintage)));
  }

  @Test
  void emptyTruncatedAndStructuralProblems(@TempDir Path tmp) throws IOException {
    Path empty = tmp.resolve("currentprice.json");
    Files.write(empty, new byte[0]); // the Action committed empty files between snapshots
    assertEquals("empty payload", Parsed.file(CD, empty, null, null).onlyError().error);

    byte[] full = Files.readAllBytes(DIR.resolve("eltonkola_05_2021-02-17T1820_69ba1c50.json"));
    Path cut = tmp.resolve("cut.json");
    Files.write(cut, Arrays.copyOf(full, full.length - 40));
    RawRecord t = Parsed.file(CD, cut, null, null).onlyError();
    assertThat(t.error, startsWith("truncated JSON at line 1 column "));

    String text = Files.readString(DIR.resolve("eltonkola_05_2021-02-17T1820_69ba1c50.json"));
    assertThat(
        Parsed.text(CD, text.replace("updatedISO", "updatedIso"), null, null).onlyError().error,
        containsString("no 'time.updatedISO'"));
    assertThat(
        Parsed.text(CD, text.replace("\"bpi\"", "\"BPI\""), null, null).onlyError().error,
        containsString("no 'bpi' object"));

    Parsed noRate =
        Parsed.text(CD, text.replace("\"rate_float\":51711.6011", "\"x\":1"), null, null);
    assertEquals(3, noRate.records.size());
    assertEquals("CoinDesk currency 'USD' has no 'rate_float'", noRate.errors().get(0).error);
    assertEquals("BTC-USD", noRate.errors().get(0).seriesId);
  }
}

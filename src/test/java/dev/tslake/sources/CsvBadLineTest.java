package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Bad CSV costs its own line, never the lines after it: one record per physical line, so a stray
 * quote rejects the line it is on (with a reason naming the line) and reading goes on.
 */
class CsvBadLineTest {
  private static SourceConfig csv() {
    SourceConfig s = Parsed.source("t", SourceType.CSV);
    s.timestampColumn = "time";
    s.seriesColumn = "name";
    s.valueColumns = new ArrayList<>(List.of("reading"));
    return s;
  }

  /** Header, then {@code rows} data lines; line {@code bad} (a file line number) has a quote. */
  private static String thousandLines(int rows, int bad, String badLine) {
    StringBuilder sb = new StringBuilder("time,name,reading\n");
    for (int line = 2; line <= rows + 1; line++) {
      sb.append(line == bad ? badLine : "2024-01-01T00:00:00Z,s" + line + "," + line).append('\n');
    }
    return sb.toString();
  }

  @Test
  void aStrayQuoteRejectsItsOwnLineAndTheRestIsRead() throws IOException {
    String text = thousandLines(999, 10, "2024-01-01T00:00:00Z,s10,\"10");
    Parsed p = Parsed.text(csv(), text, null, null);
    assertEquals(999, p.records.size());
    assertEquals(1, p.errors().size());
    RawRecord bad = p.errors().get(0);
    assertEquals("line 10", bad.locator);
    assertThat(bad.error, startsWith("malformed CSV at line 10: "));
    assertThat(bad.error, containsString("quote"));
    assertEquals("2024-01-01T00:00:00Z,s10,\"10", bad.value);
    assertEquals("1000", p.records.get(998).value);
    assertEquals("line 1000 reading", p.records.get(998).locator);
    assertEquals("11", p.records.get(9).value);
  }

  @Test
  void textAfterAClosingQuoteRejectsItsOwnLine() throws IOException {
    String text = thousandLines(20, 5, "2024-01-01T00:00:00Z,\"s5\"x,5");
    Parsed p = Parsed.text(csv(), text, null, null);
    assertEquals(20, p.records.size());
    RawRecord bad = p.errors().get(0);
    assertEquals("line 5", bad.locator);
    assertThat(bad.error, startsWith("malformed CSV at line 5: "));
  }

  @Test
  void quotedFieldsWithCommasAndQuotesStillWork() throws IOException {
    String text =
        "time,name,reading\n"
            + "2024-01-01,\"a, b\",\"1\"\n"
            + "2024-01-02,\"say \"\"hi\"\"\" ,2\n"
            + "2024-01-03,mid\"quote,3\n"
            + "2024-01-04,\"\",4\n"
            + "2024-01-05,x,\n";
    Parsed p = Parsed.text(csv(), text, null, null);
    assertEquals(
        List.of(
            "a, b.reading|2024-01-01|1",
            "say \"hi\".reading|2024-01-02|2",
            "mid\"quote.reading|2024-01-03|3",
            "null|2024-01-04|4",
            "x.reading|2024-01-05|"),
        p.records.stream()
            .map(r -> r.seriesId + "|" + r.ts + "|" + r.value)
            .collect(Collectors.toList()));
    assertNull(p.records.get(0).error);
  }

  @Test
  void aQuotedLineBreakIsTwoBadLinesNotTheRestOfTheFile() throws IOException {
    String text = "time,name,reading\n2024-01-01,\"a\nb\",1\n2024-01-02,c,2\n";
    Parsed p = Parsed.text(csv(), text, null, null);
    assertEquals(
        List.of("line 2", "line 3", "line 4 reading"),
        p.records.stream().map(r -> r.locator).collect(Collectors.toList()));
    assertEquals(2, p.errors().size());
    assertEquals("2", p.records.get(2).value);
  }

  @Test
  void aBrokenHeaderIsOneRecordForTheFile() throws IOException {
    Parsed p = Parsed.text(csv(), "time,\"name,reading\n2024-01-01,a,1\n", null, null);
    RawRecord r = p.onlyError();
    assertEquals("line 1", r.locator);
    assertThat(r.error, startsWith("malformed CSV at line 1: "));
  }

  @Test
  void lineRangesGiveTheSameRecordsAsTheWholeFile() throws IOException {
    SourceConfig s = csv();
    byte[] file =
        thousandLines(60, 10, "2024-01-01T00:00:00Z,s10,\"10").getBytes(StandardCharsets.UTF_8);
    List<RawRecord> whole = LineRangeTest.whole(s, "f", file);
    assertEquals(60, whole.size());
    for (long split : new long[] {1, 7, 64, 100, 333, file.length - 1}) {
      assertEquals(whole, LineRangeTest.split(s, "f", file, split), "split every " + split);
    }
  }
}

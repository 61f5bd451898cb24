package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.config.TimestampParser;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Absurd FRED dates and vintages, and bad series metadata rows, cost their own record only. */
class FredBadInputTest {
  private static final SourceConfig FRED = Parsed.source("fred", SourceType.FRED);

  @Test
  void absurdVintagesAndDatesAreReasonsNotCrashes() {
    for (String v :
        List.of(
            "+300000000-01-01",
            "-300000000-01-01",
            "+999999999-12-31",
            "+300000000-01-01T00:00:00Z",
            "+300000000-01-01T00:00:00+01:00")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> TimestampParser.parseIsoInstant(v));
      assertThat(e.getMessage(), containsString(v));
    }
    TimestampParser iso = TimestampParser.of("iso", "UTC");
    for (String d : List.of("+300000000-01-01", "+999999999-12-31T23:59:59Z", "-999999999-01-01")) {
      assertThrows(IllegalArgumentException.class, () -> iso.parse(d));
    }
    for (String n : List.of("9223372036854775807", "99999999999999999999999")) {
      assertThrows(
          IllegalArgumentException.class, () -> TimestampParser.of("epoch_millis", "UTC").parse(n));
      assertThrows(
          IllegalArgumentException.class,
          () -> TimestampParser.of("epoch_seconds", "UTC").parse(n));
    }
  }

  @Test
  void anAbsurdRealtimeStartIsKeptForValidationAndTheRestOfTheFileIsRead() throws IOException {
    String json =
        "{\"realtime_start\":\"2023-07-18\",\"observations\":["
            + "{\"realtime_start\":\"+300000000-01-01\",\"date\":\"2020-01-01\",\"value\":\"1\"},"
            + "{\"realtime_start\":\"2023-07-18\",\"date\":\"+300000000-01-01\",\"value\":\"2\"},"
            + "{\"realtime_start\":\"2023-07-18\",\"date\":\"2020-03-01\",\"value\":\"3\"}]}";
    Parsed p = Parsed.text(FRED, json, "X", null);
    assertEquals(3, p.records.size());
    assertEquals("+300000000-01-01", p.records.get(0).vintage);
    assertEquals("3", p.records.get(2).value);
  }

  @Test
  void aMetadataRowWithANulOrAnEmptyIdIsOneRejectAndTheOthersApply() throws IOException {
    String json =
        "{\"seriess\":["
            + "{\"id\":\"GDP\",\"title\":\"Gross Domestic Product\",\"units\":\"Billions\"},"
            + "{\"id\":\"\",\"title\":\"no id\"},"
            + "{\"id\":\"A\\u0000B\",\"title\":\"nul in id\"},"
            + "{\"id\":\"DGS2\",\"title\":\"nul \\u0000 in title\"},"
            + "{\"id\":\"   \",\"title\":\"blank id\"},"
            + "{\"title\":\"missing id\"},"
            + "{\"id\":\"UNRATE\",\"title\":\"Unemployment Rate\"}]}";
    Parsed p = Parsed.text(FRED, json, null, null);
    assertEquals(
        List.of("GDP", "UNRATE"),
        p.series.stream().map(s -> s.seriesId).collect(Collectors.toList()));
    assertEquals(5, p.records.size());
    assertEquals(5, p.errors().size());
    assertEquals(
        List.of("seriess[1]", "seriess[2]", "seriess[3]", "seriess[4]", "seriess[5]"),
        p.records.stream().map(r -> r.locator).collect(Collectors.toList()));
    RawRecord nulId = p.records.get(1);
    assertThat(nulId.error, containsString("U+0000"));
    assertThat(nulId.error, containsString("'id'"));
    RawRecord nulTitle = p.records.get(2);
    assertThat(nulTitle.error, containsString("U+0000"));
    assertThat(nulTitle.error, containsString("'title'"));
    assertEquals("DGS2", nulTitle.seriesId);
    SeriesInfo gdp = p.series.get(0);
    assertEquals("Billions", gdp.units);
  }
}

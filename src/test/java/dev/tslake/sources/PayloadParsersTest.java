package dev.tslake.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.config.SourceType;
import org.junit.jupiter.api.Test;

class PayloadParsersTest {
  @Test
  void everyTypeHasItsParser() {
    assertEquals(FredJsonParser.class, PayloadParsers.forType(SourceType.FRED).getClass());
    assertEquals(FredCsvParser.class, PayloadParsers.forType(SourceType.FRED_CSV).getClass());
    assertEquals(
        AlphaVantageParser.class, PayloadParsers.forType(SourceType.ALPHAVANTAGE).getClass());
    assertEquals(CoinDeskParser.class, PayloadParsers.forType(SourceType.COINDESK).getClass());
    assertEquals(CsvParser.class, PayloadParsers.forType(SourceType.CSV).getClass());
  }
}

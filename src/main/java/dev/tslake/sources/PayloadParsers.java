package dev.tslake.sources;

import dev.tslake.config.SourceType;

/** The parser for each source type. Parsers are stateless and shared. */
public final class PayloadParsers {
  private static final PayloadParser FRED = new FredJsonParser();
  private static final PayloadParser FRED_CSV = new FredCsvParser();
  private static final PayloadParser ALPHAVANTAGE = new AlphaVantageParser();
  private static final PayloadParser COINDESK = new CoinDeskParser();
  private static final PayloadParser CSV = new CsvParser();
  private static final PayloadParser CENSUS = new CensusParser();
  private static final PayloadParser EDGAR = new EdgarParser();

  private PayloadParsers() {}

  public static PayloadParser forType(SourceType type) {
    switch (type) {
      case FRED:
        return FRED;
      case FRED_CSV:
        return FRED_CSV;
      case ALPHAVANTAGE:
        return ALPHAVANTAGE;
      case COINDESK:
        return COINDESK;
      case CSV:
        return CSV;
      case CENSUS:
        return CENSUS;
      case EDGAR:
        return EDGAR;
      default:
        throw new IllegalArgumentException("no parser for source type " + type);
    }
  }
}

package dev.tslake.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The payload formats tslake reads. */
public enum SourceType {
  FRED("fred"),
  FRED_CSV("fred_csv"),
  ALPHAVANTAGE("alphavantage"),
  COINDESK("coindesk"),
  CENSUS("census"),
  EDGAR("edgar"),
  CSV("csv"),
  /** Parquet files of readings, mapped by config like {@code csv}; read by ParquetRows. */
  PARQUET("parquet");

  private final String id;

  SourceType(String id) {
    this.id = id;
  }

  @JsonValue
  public String id() {
    return id;
  }

  @JsonCreator
  public static SourceType fromId(String id) {
    for (SourceType t : values()) {
      if (t.id.equals(id.toLowerCase(Locale.ROOT))) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown source type '"
            + id
            + "'; known types: "
            + Arrays.stream(values()).map(SourceType::id).collect(Collectors.joining(", ")));
  }
}

package dev.tslake.sources.live;

import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One thing to fetch for a live source. The URL carries no secret: the fetcher adds the API key
 * when it sends, so keys never travel through the graph's shuffles.
 */
public final class ApiRequest implements Serializable {
  public enum Kind {
    FRED_OBSERVATIONS,
    FRED_SERIES,
    ALPHAVANTAGE,
    CENSUS,
    EDGAR,
    COINDESK
  }

  public final String source;
  public final Kind kind;
  public final String url;

  /** Series id a parser needs but the payload does not carry (FRED observations). */
  public final @Nullable String seriesIdHint;

  public ApiRequest(String source, Kind kind, String url, @Nullable String seriesIdHint) {
    this.source = source;
    this.kind = kind;
    this.url = url;
    this.seriesIdHint = seriesIdHint;
  }

  @Override
  public String toString() {
    return source + " " + kind + " " + url;
  }
}

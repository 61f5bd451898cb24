package dev.tslake.sources.live;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Endpoints, keys and HTTP behaviour of the live API sources. Each key option takes precedence over
 * its environment variable.
 */
public interface ApiSourceOptions extends PipelineOptions {
  @Description("FRED API base URL.")
  @Default.String("https://api.stlouisfed.org")
  String getFredBaseUrl();

  void setFredBaseUrl(String value);

  @Description("FRED API key; falls back to the FRED_API_KEY environment variable.")
  @JsonIgnore
  String getFredApiKey();

  void setFredApiKey(String value);

  @Description("Alpha Vantage API base URL.")
  @Default.String("https://www.alphavantage.co")
  String getAlphaVantageBaseUrl();

  void setAlphaVantageBaseUrl(String value);

  @Description(
      "Alpha Vantage API key; falls back to the ALPHAVANTAGE_API_KEY environment variable.")
  @JsonIgnore
  String getAlphaVantageApiKey();

  void setAlphaVantageApiKey(String value);

  @Description("US Census Data API base URL.")
  @Default.String("https://api.census.gov")
  String getCensusBaseUrl();

  void setCensusBaseUrl(String value);

  @Description("US Census API key (optional at low volume); falls back to CENSUS_API_KEY.")
  @JsonIgnore
  String getCensusApiKey();

  void setCensusApiKey(String value);

  @Description("SEC EDGAR XBRL API base URL.")
  @Default.String("https://data.sec.gov")
  String getEdgarBaseUrl();

  void setEdgarBaseUrl(String value);

  @Description("User-Agent for SEC EDGAR, naming you and a contact e-mail, as the SEC requires.")
  String getEdgarUserAgent();

  void setEdgarUserAgent(String value);

  @Description("CoinDesk API base URL.")
  @Default.String("https://api.coindesk.com")
  String getCoindeskBaseUrl();

  void setCoindeskBaseUrl(String value);

  @Description("Fail the run when a request fails for good, instead of rejecting it and going on.")
  @Default.Boolean(false)
  boolean getFailOnSourceError();

  void setFailOnSourceError(boolean value);

  @Description("Fetch FRED series from their start instead of after the newest loaded observation.")
  @Default.Boolean(false)
  boolean getFullRefetch();

  void setFullRefetch(boolean value);

  @Description(
      "HTTP request deadline in milliseconds: the whole answer, body included, must arrive"
          + " within it (a body that trickles in fails the attempt).")
  @Default.Integer(30000)
  int getHttpTimeoutMillis();

  void setHttpTimeoutMillis(int value);

  @Description("Attempts per HTTP request (1 = no retry).")
  @Default.Integer(6)
  int getHttpMaxAttempts();

  void setHttpMaxAttempts(int value);

  @Description("First retry delay in milliseconds; doubles per attempt, with jitter.")
  @Default.Long(1000)
  long getHttpBackoffMillis();

  void setHttpBackoffMillis(long value);

  @Description(
      "Largest HTTP response body accepted, in bytes; a larger answer fails its request (retried,"
          + " then the run ends incomplete) instead of exhausting memory.")
  @Default.Long(ApiSettings.DEFAULT_MAX_RESPONSE_BYTES)
  long getHttpMaxResponseBytes();

  void setHttpMaxResponseBytes(long value);
}

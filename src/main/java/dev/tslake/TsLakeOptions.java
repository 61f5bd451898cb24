package dev.tslake;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of the tslake job ({@code --name=value}); defaults run offline on embedded components.
 * They extend Beam's {@link S3Options}, so Beam's own S3 options ({@code
 * --s3UploadBufferSizeBytes}, {@code --SSEAlgorithm}, ...) are accepted on the command line next to
 * the {@code --s3*} ones.
 */
public interface TsLakeOptions extends S3Options {
  @Description("Sources to ingest: a JSON or YAML file with a top-level 'sources' array.")
  @Default.String("testdata/tslake.json")
  String getConfig();

  void setConfig(String value);

  @Description(
      "Lake root: a directory, or s3://bucket/prefix. Raw CSV goes under raw/, rejected under rejected/.")
  @Default.String("target/lake")
  String getLake();

  void setLake(String value);

  @Description(
      "Warehouse JDBC URL: jdbc:duckdb:<file> (embedded) or jdbc:postgresql://host:port/db.")
  @Default.String("jdbc:duckdb:target/tslake.duckdb")
  String getWarehouseUrl();

  void setWarehouseUrl(String value);

  @Description("Warehouse user (PostgreSQL).")
  String getWarehouseUser();

  void setWarehouseUser(String value);

  @Description(
      "Warehouse password (PostgreSQL). Falls back to the TSLAKE_WAREHOUSE_PASSWORD environment variable.")
  @JsonIgnore
  String getWarehousePassword();

  void setWarehousePassword(String value);

  @Description("Identifier of this run in pipeline_runs and rejects; generated when not given.")
  String getRunId();

  void setRunId(String value);

  @Description("Ingest date (yyyy-MM-dd) naming the lake partition; today (UTC) when not given.")
  String getIngestDate();

  void setIngestDate(String value);

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

  @Description("HTTP request timeout in milliseconds.")
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
      "Rebuild the warehouse from the raw CSV already in the lake instead of reading"
          + " files or calling APIs.")
  @Default.Boolean(false)
  boolean getReplayFromLake();

  void setReplayFromLake(boolean value);

  @Description(
      "With --replayFromLake: replay only this ingest date (yyyy-MM-dd); all dates if unset.")
  String getReplayIngestDate();

  void setReplayIngestDate(String value);

  @Description(
      "Dedup groups: records are grouped by a hash shard of (source, series, ts); 0 groups"
          + " by the key itself (better on Flink and Dataflow, which sort groups; the DirectRunner"
          + " schedules work per group and needs few).")
  @Default.Integer(64)
  int getDedupShards();

  void setDedupShards(int value);

  @Description(
      "Rows per warehouse transaction (a batch is at most a bundle). 5000 loaded 1M"
          + " observations into PostgreSQL about twice as fast as 1000; a refused row makes its batch"
          + " go row by row, which at 5000 took 2 s.")
  @Default.Integer(5000)
  int getWarehouseBatchSize();

  void setWarehouseBatchSize(int value);

  @Description(
      "S3 endpoint for an S3-compatible server, e.g. http://127.0.0.1:9000; AWS S3 when"
          + " not given.")
  String getS3Endpoint();

  void setS3Endpoint(String value);

  @Description(
      "S3 region; when not given: the AWS_REGION or AWS_DEFAULT_REGION environment"
          + " variable, else us-east-1.")
  String getS3Region();

  void setS3Region(String value);

  @Description(
      "Path-style S3 access (http://host/bucket/key) instead of virtual-hosted buckets;"
          + " most S3-compatible servers need it.")
  @Default.Boolean(false)
  boolean getS3PathStyle();

  void setS3PathStyle(boolean value);

  @Description(
      "S3 access key id; with --s3SecretKey. When neither is given, the AWS default"
          + " credentials chain applies (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, instance role).")
  String getS3AccessKey();

  void setS3AccessKey(String value);

  @Description(
      "S3 secret access key; falls back to AWS_SECRET_ACCESS_KEY when only --s3AccessKey is"
          + " given. Never logged.")
  @JsonIgnore
  String getS3SecretKey();

  void setS3SecretKey(String value);
}

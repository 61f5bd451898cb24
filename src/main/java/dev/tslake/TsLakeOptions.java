package dev.tslake;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of the tslake job ({@code --name=value}); defaults run offline on embedded components. */
public interface TsLakeOptions extends PipelineOptions {
  @Description("Sources to ingest: a JSON or YAML file with a top-level 'sources' array.")
  @Default.String("testdata/tslake.json")
  String getConfig();

  void setConfig(String value);

  @Description("Lake root: a directory, or s3://bucket/prefix. Raw CSV goes under raw/, rejected under rejected/.")
  @Default.String("target/lake")
  String getLake();

  void setLake(String value);

  @Description("Warehouse JDBC URL: jdbc:duckdb:<file> (embedded) or jdbc:postgresql://host:port/db.")
  @Default.String("jdbc:duckdb:target/tslake.duckdb")
  String getWarehouseUrl();

  void setWarehouseUrl(String value);

  @Description("Warehouse user (PostgreSQL).")
  String getWarehouseUser();

  void setWarehouseUser(String value);

  @Description("Warehouse password (PostgreSQL). Falls back to the TSLAKE_WAREHOUSE_PASSWORD environment variable.")
  String getWarehousePassword();

  void setWarehousePassword(String value);

  @Description("Identifier of this run in pipeline_runs and rejects; generated when not given.")
  String getRunId();

  void setRunId(String value);

  @Description("Ingest date (yyyy-MM-dd) naming the lake partition; today (UTC) when not given.")
  String getIngestDate();

  void setIngestDate(String value);

  @Description("Rows per warehouse transaction.")
  @Default.Integer(1000)
  int getWarehouseBatchSize();

  void setWarehouseBatchSize(int value);
}

package dev.tslake.warehouse;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The SQL warehouse the job loads into (also read by the server). */
public interface WarehouseOptions extends PipelineOptions {
  @Description(
      "Warehouse JDBC URL: jdbc:duckdb:<file> (embedded) or jdbc:postgresql://host:port/db.")
  @Default.String("jdbc:duckdb:target/tslake.duckdb")
  String getWarehouseUrl();

  void setWarehouseUrl(String value);

  @Description("Warehouse user (PostgreSQL).")
  String getWarehouseUser();

  void setWarehouseUser(String value);

  @Description(
      "Warehouse password (PostgreSQL). Precedence: --warehousePassword, then the"
          + " TSLAKE_WAREHOUSE_PASSWORD environment variable.")
  @JsonIgnore
  String getWarehousePassword();

  void setWarehousePassword(String value);

  @Description(
      "Rows per warehouse transaction (a batch is at most a bundle). 5000 loaded 1M"
          + " observations into PostgreSQL about twice as fast as 1000; a refused row makes its batch"
          + " go row by row, which at 5000 took 2 s.")
  @Default.Integer(5000)
  int getWarehouseBatchSize();

  void setWarehouseBatchSize(int value);

  @Description(
      "Seconds a run waits for another run loading into the same warehouse (PostgreSQL schema or"
          + " DuckDB file) to finish before failing; runs into one warehouse never interleave.")
  @Default.Long(3600)
  long getWarehouseRunLockWaitSeconds();

  void setWarehouseRunLockWaitSeconds(long value);
}

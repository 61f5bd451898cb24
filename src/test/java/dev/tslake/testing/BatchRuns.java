package dev.tslake.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** One batch run of the whole job, as a user starts it, for end-to-end tests. */
public final class BatchRuns {
  private BatchRuns() {}

  /**
   * Runs {@code TsLake.run} on the DirectRunner with the given config, lake and warehouse (the test
   * server's user and password passed as options for PostgreSQL, as a user does), then asserts that
   * the run's accounting balances: every record read is loaded, superseded or rejected.
   *
   * @param extra further options, e.g. {@code "--lakeFormat=parquet"}
   */
  public static RunRecord run(
      WarehouseSpec wh, Path lake, Path config, String runId, String date, String... extra) {
    return run(wh, lake.toString(), config, runId, date, extra);
  }

  /**
   * As above, with the lake as the option's text (a URL such as {@code s3://…} or a test file
   * system's).
   */
  public static RunRecord run(
      WarehouseSpec wh, String lake, Path config, String runId, String date, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + lake,
                "--warehouseUrl=" + wh.url,
                "--runId=" + runId,
                "--ingestDate=" + date,
                "--enforceImmutability=false",
                "--enforceEncodability=false"));
    if (wh.url.startsWith("jdbc:postgresql:")) {
      args.add("--warehouseUser=" + PostgresSupport.user());
      args.add("--warehousePassword=" + PostgresSupport.password());
    }
    args.addAll(List.of(extra));
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(TsLakeOptions.class);
    RunRecord r = TsLake.run(options);
    assertTrue(r.balanced(), r.accountingMessage());
    return r;
  }
}

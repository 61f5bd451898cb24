package dev.tslake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.flink.SharedMiniCluster;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Flink local run started from {@code main} takes the mini-cluster started at launch ({@link
 * TsLake#startFlinkEarly}) and stores what the DirectRunner stores; a cluster that cannot start
 * fails the run with its reason in {@code pipeline_runs}.
 */
class FlinkEarlyClusterTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("flinkearly");

  /** Bitstamp's banner, header and first 600 days: real data with its duplicates' shape. */
  private Path config() throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    Path csv = dir.resolve("in/bitstamp.csv");
    Files.createDirectories(csv.getParent());
    Files.write(csv, lines.subList(0, 2 + 600), StandardCharsets.UTF_8);
    Path p = dir.resolve("bitstamp.json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1W\","
            + " \"P1M\"], \"files\": [\""
            + csv
            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\": [\"open\","
            + " \"close\", \"Volume USD\"]}]}");
    return p;
  }

  private TsLakeOptions options(WarehouseSpec wh, Path config, String runId, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + dir.resolve("lake-" + runId),
                "--warehouseUrl=" + wh.url,
                "--warehouseUser=" + PostgresSupport.user(),
                "--warehousePassword=" + PostgresSupport.password(),
                "--runId=" + runId,
                "--ingestDate=2026-01-01"));
    a.addAll(List.of(more));
    if (a.stream().noneMatch(o -> o.startsWith("--runner="))) {
      a.add("--runner=FlinkRunner");
    }
    return PipelineOptionsFactory.fromArgs(a.toArray(new String[0])).as(TsLakeOptions.class);
  }

  @Test
  void aFlinkLocalRunTakesTheClusterStartedAtLaunchAndStoresWhatTheDirectRunnerStores()
      throws Exception {
    Path config = config();
    WarehouseSpec wh = warehouses.postgres();
    // no --parallelism: the cluster has a slot per core, as a local environment's
    TsLakeOptions options = options(wh, config, "early");
    SharedMiniCluster cluster = TsLake.startFlinkEarly(options);
    assertNotNull(cluster);
    RunRecord run;
    try {
      run = TsLake.run(options);
      assertEquals(1, cluster.jobsSubmitted()); // the run's job went to the early cluster
    } finally {
      cluster.close();
    }
    assertTrue(run.succeeded(), run.summary());
    assertTrue(run.balanced(), run.accountingMessage());
    assertTrue(run.counts().get("observations_loaded") > 1000, run.summary());

    WarehouseSpec direct = warehouses.of("postgres", "direct");
    BatchRuns.run(direct, dir.resolve("lake-direct"), config, "direct", "2026-01-01");
    assertEquals(WarehouseDump.observations(direct), WarehouseDump.observations(wh));
    assertEquals(WarehouseDump.aggregates(direct), WarehouseDump.aggregates(wh));
  }

  @Test
  void aClusterThatCannotStartFailsTheRunWithItsReason() throws Exception {
    Path config = config();
    WarehouseSpec wh = warehouses.postgres();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path conf = dir.resolve("flink-conf");
      Files.createDirectories(conf);
      // the cluster's REST endpoint on a port another process holds: Flink cannot start
      Files.writeString(
          conf.resolve("flink-conf.yaml"),
          "rest.bind-address: 127.0.0.1\nrest.bind-port: " + taken.getLocalPort() + "\n");
      TsLakeOptions options =
          options(wh, config, "nocluster", "--parallelism=2", "--flinkConfDir=" + conf);
      SharedMiniCluster cluster = TsLake.startFlinkEarly(options);
      assertNotNull(cluster);
      RuntimeException e;
      try {
        e = assertThrows(RuntimeException.class, () -> TsLake.run(options));
      } finally {
        cluster.close(); // a cluster that never started: nothing to stop, no error
      }
      assertTrue(
          TsLake.failureMessage(e).contains("cannot start the Flink mini-cluster"),
          TsLake.failureMessage(e));
    }
    List<String> recorded =
        WarehouseDump.rows(
            wh, "SELECT status, message FROM pipeline_runs WHERE run_id = 'nocluster'");
    assertEquals(1, recorded.size(), recorded.toString());
    assertTrue(recorded.get(0).startsWith("failed | "), recorded.get(0));
    assertTrue(recorded.get(0).contains("cannot start the Flink mini-cluster"), recorded.get(0));
  }

  @Test
  void onlyABatchRunOnFlinkLocalStartsOne() throws Exception {
    Path config = config();
    WarehouseSpec wh = warehouses.postgres();
    assertNull(TsLake.startFlinkEarly(options(wh, config, "a", "--runner=DirectRunner")));
    assertNull(TsLake.startFlinkEarly(options(wh, config, "b", "--flinkMaster=[local]")));
    assertNull(TsLake.startFlinkEarly(options(wh, config, "c", "--flinkMaster=127.0.0.1:8081")));
    assertNull(TsLake.startFlinkEarly(options(wh, config, "d", "--streaming=true")));
  }
}

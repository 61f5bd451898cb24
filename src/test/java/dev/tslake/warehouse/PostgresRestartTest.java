package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.Observation;
import dev.tslake.testing.PostgresFaults;
import dev.tslake.testing.PostgresSupport;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real PostgreSQL restart ({@code pg_ctlcluster ... restart -m fast}) while 1,000,000
 * observations load through {@link UpsertBatches}: every batch in flight is retried after
 * reconnecting with backoff, the load succeeds, the table holds exactly the rows sent, the written
 * counts add up to 1,000,000 (nothing counted twice) and the retries show in the metrics. Runs on
 * the disposable "faults" cluster ({@link PostgresFaults}), never the shared one.
 */
@Tag("integration")
class PostgresRestartTest {
  static final int ROWS = 1_000_000;
  static final long T0 = 1_577_836_800_000L; // 2020-01-01
  static final long VINTAGE = 1_700_000_000_000L;

  static Observation observation(long i) {
    return new Observation(
        "restart",
        String.format(Locale.ROOT, "S%04d", i / 1000),
        T0 + (i % 1000) * 86_400_000L,
        i * 0.5,
        VINTAGE,
        "restart/gen.csv",
        "row " + i);
  }

  @Test
  void loadSurvivesRestartMidLoad() throws Exception {
    String url = PostgresFaults.freshSchemaUrl("restart");
    try {
      WarehouseSpec spec =
          new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password());
      WarehouseSchema.ensure(spec);

      DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
      options.setEnforceImmutability(false);
      options.setEnforceEncodability(false);
      options.setTargetParallelism(2);
      Pipeline p = Pipeline.create(options);
      PCollectionTuple loaded =
          p.apply(GenerateSequence.from(0).to(ROWS))
              .apply(
                  MapElements.into(TypeDescriptor.of(Observation.class))
                      .via(PostgresRestartTest::observation))
              .apply(UpsertBatches.into(spec, Tables.observations()).withBatchSize(5000));
      PCollection<Long> written = loaded.get(UpsertBatches.WRITTEN).apply(Sum.longsGlobally());
      PAssert.thatSingleton(written).isEqualTo((long) ROWS);
      PAssert.that(loaded.get(UpsertBatches.FAILED)).empty();

      AtomicBoolean restarted = new AtomicBoolean();
      AtomicReference<Throwable> restartError = new AtomicReference<>();
      Thread restarter =
          new Thread(
              () -> {
                try {
                  waitForRows(url, 100_000);
                  PostgresFaults.restart();
                  restarted.set(true);
                } catch (Throwable t) {
                  restartError.set(t);
                }
              },
              "pg-restarter");
      restarter.setDaemon(true);
      restarter.start();

      PipelineResult result = p.run();
      assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
      restarter.join(120_000);
      assertNull(restartError.get(), () -> "restart failed: " + restartError.get());
      assertTrue(restarted.get(), "the cluster was restarted during the load");

      try (Connection c = PostgresFaults.connect(url);
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT count(*), count(DISTINCT (series_id, ts)), sum(value) FROM observations")) {
        rs.next();
        assertEquals(ROWS, rs.getLong(1));
        assertEquals(ROWS, rs.getLong(2));
        assertEquals(0.5 * ((long) ROWS * (ROWS - 1) / 2), rs.getDouble(3), 1e-3);
      }
      long retries = counter(result, "observations_batch_retries");
      long counted = counter(result, "observations_written");
      assertTrue(retries >= 1, "retries counted in metrics, got " + retries);
      assertEquals(ROWS, counted, "written counter counts every row once");
    } finally {
      PostgresFaults.dropSchema(url);
    }
  }

  /** Polls until the table holds {@code rows} rows (reconnecting as needed). */
  static void waitForRows(String url, long rows) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 600_000;
    while (System.currentTimeMillis() < deadline) {
      try (Connection c = PostgresFaults.connect(url);
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM observations")) {
        rs.next();
        if (rs.getLong(1) >= rows) {
          return;
        }
      } catch (Exception e) {
        // not yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the load never reached " + rows + " rows");
  }

  static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(UpsertBatches.class, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}

package dev.tslake.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.TestPipelineExtension;
import dev.tslake.testing.WarehouseDump;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class UpsertBatchesTest {
  private static long ts(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static List<Observation> observations(int n, long vintage) {
    List<Observation> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          new Observation(
              "s",
              "S" + (i % 3),
              ts("2024-01-01T00:00:00Z") + i * 60_000L,
              i % 10 == 0 ? null : i * 1.5,
              vintage,
              "file.csv",
              "line " + i));
    }
    return out;
  }

  private static UpsertBatches<Observation> writer(WarehouseSpec spec) {
    return UpsertBatches.into(spec, Tables.observations())
        .withBatchSize(100)
        .withDeadLetter(
            f ->
                new Reject(
                    "warehouse",
                    f.reason,
                    RawRecord.of(
                        f.row.source,
                        f.row.origin,
                        f.row.locator,
                        f.row.seriesId,
                        Long.toString(f.row.ts),
                        String.valueOf(f.row.value),
                        null)));
  }

  @Test
  void duckDbUpsertIsIdempotentAndKeepsNewerVintages(TestPipeline p, @TempDir Path dir) {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(spec);
      long newer = ts("2024-06-01T00:00:00Z");
      PCollectionTuple out =
          p.apply(Create.of(observations(1234, newer)).withCoder(Observation.Coder.of()))
              .apply(writer(spec));
      PAssert.thatSingleton(out.get(UpsertBatches.WRITTEN).apply(Sum.longsGlobally()))
          .isEqualTo(1234L);
      PAssert.that(out.get(UpsertBatches.FAILED)).empty();
      PipelineResult result = p.run();
      result.waitUntilFinish();
      // each batch's time is a Beam distribution (Flink's web UI shows it)
      long batches = 0;
      for (MetricResult<DistributionResult> d :
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(
                          MetricNameFilter.named(UpsertBatches.class, "observations_batch_ms"))
                      .build())
              .getDistributions()) {
        batches += d.getAttempted().getCount();
      }
      assertTrue(batches >= 13, "one batch time per batch of at most 100 rows, got " + batches);
      List<String> first = WarehouseDump.observations(spec);
      assertEquals(1234, first.size());
      assertEquals(
          124L,
          WarehouseDump.count(spec, "SELECT count(*) FROM observations WHERE \"value\" IS NULL"));

      // an older vintage of the same rows must not overwrite what is loaded
      TestPipeline again = TestPipeline.create().enableAbandonedNodeEnforcement(false);
      List<Observation> older = new ArrayList<>();
      for (Observation o : observations(1234, ts("2023-01-01T00:00:00Z"))) {
        older.add(
            new Observation(o.source, o.seriesId, o.ts, -1.0, o.vintage, "old.csv", o.locator));
      }
      again.apply(Create.of(older).withCoder(Observation.Coder.of())).apply(writer(spec));
      again.run().waitUntilFinish();
      assertEquals(first, WarehouseDump.observations(spec));
    } finally {
      spec.release();
    }
  }

  @Test
  @Tag("integration")
  void postgresIsolatesTheRowItRefusesAndLoadsTheRest(TestPipeline p) {
    String url = PostgresSupport.freshSchemaUrl("upsert");
    WarehouseSpec spec = new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password());
    try {
      WarehouseSchema.ensure(spec);
      List<Observation> rows = observations(250, ts("2024-06-01T00:00:00Z"));
      // PostgreSQL text cannot hold NUL: this one row is refused, its batch-mates must load
      rows.set(
          137,
          new Observation(
              "s",
              "bad\u0000id",
              ts("2024-01-01T00:00:00Z"),
              1.0,
              Observation.UNKNOWN_VINTAGE,
              "file.csv",
              "line 137"));
      PCollectionTuple out =
          p.apply(Create.of(rows).withCoder(Observation.Coder.of())).apply(writer(spec));
      PAssert.thatSingleton(out.get(UpsertBatches.WRITTEN).apply(Sum.longsGlobally()))
          .isEqualTo(249L);
      PAssert.that(out.get(UpsertBatches.FAILED))
          .satisfies(
              rejects -> {
                List<Reject> all = new ArrayList<>();
                rejects.forEach(all::add);
                assertEquals(1, all.size());
                assertEquals("line 137", all.get(0).record.locator);
                assertEquals("warehouse", all.get(0).stage);
                assertThat(all.get(0).reason, containsString("warehouse refused the row"));
                return null;
              });
      p.run().waitUntilFinish();
      assertEquals(249L, WarehouseDump.count(spec, "SELECT count(*) FROM observations"));
    } finally {
      PostgresSupport.dropSchema(url);
    }
  }

  @Test
  @Tag("integration")
  void postgresPipelineLoadsAlikeWithMergeAndOnConflictAndARerunRewritesNothing(TestPipeline p) {
    String mergeUrl = PostgresSupport.freshSchemaUrl("upsert_merge");
    String conflictUrl = PostgresSupport.freshSchemaUrl("upsert_conflict");
    WarehouseSpec merge =
        new WarehouseSpec(mergeUrl, PostgresSupport.user(), PostgresSupport.password());
    WarehouseSpec conflict =
        new WarehouseSpec(conflictUrl, PostgresSupport.user(), PostgresSupport.password());
    try {
      WarehouseSchema.ensure(merge);
      WarehouseSchema.ensure(conflict);
      List<Observation> rows = observations(1234, ts("2024-06-01T00:00:00Z"));
      PCollectionTuple viaMerge =
          p.apply("Rows", Create.of(rows).withCoder(Observation.Coder.of()))
              .apply("Merge", writer(merge));
      PAssert.thatSingleton(
              viaMerge.get(UpsertBatches.WRITTEN).apply("SumMerge", Sum.longsGlobally()))
          .isEqualTo(1234L);
      p.apply("Again", Create.of(rows).withCoder(Observation.Coder.of()))
          .apply("OnConflict", writer(conflict).withoutMerge());
      p.run().waitUntilFinish();
      List<String> loaded = WarehouseDump.observations(merge);
      assertEquals(1234, loaded.size());
      assertEquals(loaded, WarehouseDump.observations(conflict));

      String versions =
          "SELECT source, series_id, ts, xmin::text, xmax::text, ctid::text"
              + " FROM observations ORDER BY source, series_id, ts";
      List<String> before = WarehouseDump.rows(merge, versions);
      TestPipeline again = TestPipeline.create().enableAbandonedNodeEnforcement(false);
      PCollectionTuple rerun =
          again.apply(Create.of(rows).withCoder(Observation.Coder.of())).apply(writer(merge));
      // rows accepted, as every run counts them; none rewritten
      PAssert.thatSingleton(rerun.get(UpsertBatches.WRITTEN).apply(Sum.longsGlobally()))
          .isEqualTo(1234L);
      again.run().waitUntilFinish();
      assertEquals(before, WarehouseDump.rows(merge, versions));
    } finally {
      PostgresSupport.dropSchema(mergeUrl);
      PostgresSupport.dropSchema(conflictUrl);
    }
  }

  @Test
  void mergeUpdatesOnlyWhatTheRuleAllowsAndWhatChanges() {
    String sql = Tables.observations().mergeFromSql("stage");
    assertThat(
        sql,
        containsString(
            "MERGE INTO \"observations\" USING \"stage\" AS \"incoming\""
                + " ON \"observations\".\"source\" = \"incoming\".\"source\""));
    assertThat(sql, containsString("WHEN MATCHED AND (COALESCE(\"incoming\".\"vintage\""));
    assertThat(
        sql,
        containsString(
            "\"incoming\".\"origin\" IS DISTINCT FROM" + " \"observations\".\"origin\""));
    assertThat(sql, containsString("WHEN NOT MATCHED THEN INSERT"));
    // the ON CONFLICT statements carry the same condition
    assertThat(Tables.observations().upsertSql(), containsString(" WHERE (COALESCE(EXCLUDED."));
    assertThat(
        Tables.series().upsertFromSql("stage"),
        containsString(
            "COALESCE(EXCLUDED.\"title\","
                + " \"series\".\"title\") IS DISTINCT FROM \"series\".\"title\""));
  }

  @Test
  void upsertSqlIsTheSameForBothDatabases() {
    String sql = Tables.aggregates().upsertSql(2);
    assertThat(sql, containsString("INSERT INTO \"aggregates\""));
    assertThat(sql, containsString("VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?"));
    assertThat(
        sql,
        containsString("ON CONFLICT (\"source\", \"series_id\", \"window\", \"window_start\")"));
  }
}

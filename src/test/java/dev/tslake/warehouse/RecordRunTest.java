package dev.tslake.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.testing.TestPipelineExtension;
import dev.tslake.testing.WarehouseDump;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class RecordRunTest {
  private static PCollectionView<Long> view(Pipeline p, String name, long v) {
    return p.apply(name, Create.of(v)).apply(name + "View", View.asSingleton());
  }

  private static void build(
      Pipeline p, WarehouseSpec spec, long read, long rejected, long loaded, long superseded) {
    p.apply(
        new RecordRun(
            spec,
            "run-1",
            Instant.parse("2026-11-20T10:00:00Z"),
            "DirectRunner",
            "c.json",
            view(p, "read", read),
            view(p, "rejected", rejected),
            view(p, "loaded", loaded),
            view(p, "superseded", superseded),
            view(p, "aggs", 7),
            view(p, "series", 3)));
  }

  @Test
  void recordsTheRunOnceEverythingIsLoaded(TestPipeline p, @TempDir Path dir) {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(spec);
      build(p, spec, 100, 2, 90, 8);
      p.run().waitUntilFinish();
      assertEquals(
          List.of(
              "run-1 | 2026-11-20T10:00:00Z | DirectRunner | 100 | 2 | 90 | 8 | 7 | 3 | succeeded"),
          WarehouseDump.rows(
              spec,
              "SELECT run_id, started_at, runner, records_read,"
                  + " records_rejected, observations_loaded, duplicates_superseded, aggregates_loaded,"
                  + " series_loaded, status FROM pipeline_runs"));
    } finally {
      spec.release();
    }
  }

  @Test
  void failsTheRunWhenRecordsAreUnaccountedFor(TestPipeline p, @TempDir Path dir) {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(spec);
      build(p, spec, 100, 2, 90, 5);
      Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
      assertThat(e.getMessage(), containsString("does not account for every record"));
      assertThat(e.getMessage(), containsString("3 records unaccounted for"));
      // the evidence stays in the warehouse
      assertEquals(List.of("failed"), WarehouseDump.rows(spec, "SELECT status FROM pipeline_runs"));
    } finally {
      spec.release();
    }
  }
}

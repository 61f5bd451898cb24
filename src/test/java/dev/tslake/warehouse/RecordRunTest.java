package dev.tslake.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.model.CheckResult;
import dev.tslake.model.FetchOutcome;
import dev.tslake.testing.TestPipelineExtension;
import dev.tslake.testing.WarehouseDump;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class RecordRunTest {
  /** A count as partial counts: v split into parts (as bundles and batches deliver it). */
  private static PCollection<Long> count(Pipeline p, String name, long v) {
    List<Long> parts = new java.util.ArrayList<>();
    long left = v;
    for (long part = 1; left > 0; part *= 2) {
      long n = Math.min(part, left);
      parts.add(n);
      left -= n;
    }
    return p.apply(name, Create.of(parts).withCoder(VarLongCoder.of()));
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
            count(p, "read", read),
            count(p, "rejected", rejected),
            count(p, "loaded", loaded),
            count(p, "superseded", superseded),
            count(p, "aggs", 7),
            count(p, "series", 3)));
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

  /**
   * Everything RecordRun gathers arrives as a main input: partial counts of lake files and checks,
   * the failed checks and the fetch outcomes reach the row; a count with no elements is 0.
   */
  @Test
  void gathersLakeFilesChecksAndFetchOutcomes(TestPipeline p, @TempDir Path dir) {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      WarehouseSchema.ensure(spec);
      CheckResult failed =
          new CheckResult("fred", "UNRATE", "range", "range", "error", "fail", 3.0, "[0, 1]", null);
      p.apply(
          new RecordRun(
                  spec,
                  "run-2",
                  Instant.parse("2026-11-20T10:00:00Z"),
                  "DirectRunner",
                  "c.json",
                  count(p, "read", 10),
                  p.apply("rejected", Create.empty(VarLongCoder.of())),
                  count(p, "loaded", 10),
                  count(p, "superseded", 0),
                  count(p, "aggs", 4),
                  count(p, "series", 1))
              .afterLake(count(p, "lake", 5))
              .withChecks(
                  count(p, "passed", 6),
                  p.apply(
                      "failed",
                      Create.of(failed).withCoder(SerializableCoder.of(CheckResult.class))),
                  count(p, "written", 7))
              .withFetchOutcomes(
                  p.apply(
                      "outcomes",
                      Create.of(
                              FetchOutcome.complete("fred", "UNRATE", "http://x/1", "2026-11-01"),
                              FetchOutcome.failed("fred", "GDP", "http://x/2", "HTTP 503"))
                          .withCoder(FetchOutcome.coder()))));
      p.run().waitUntilFinish();
      String row =
          WarehouseDump.rows(
                  spec,
                  "SELECT records_read, records_rejected, observations_loaded, aggregates_loaded,"
                      + " lake_files, checks_passed, checks_failed, status, message"
                      + " FROM pipeline_runs")
              .get(0);
      assertThat(
          row,
          containsString("10 | 0 | 10 | 4 | 5 | 6 | 1 | failed_checks | 1 error check(s) failed"));
      assertThat(row, containsString("http://x/2: HTTP 503"));
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

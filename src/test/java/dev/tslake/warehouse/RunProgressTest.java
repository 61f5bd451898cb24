package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** RunProgress: the running row, written per interval of TestStream processing time. */
@ExtendWith(TestPipelineExtension.class)
class RunProgressTest {
  @TempDir Path tmp;

  private static PCollection<Long> only(PCollection<KV<String, Long>> all, String name) {
    return all.apply("Only" + name, Filter.by(kv -> kv.getKey().equals(name)))
        .apply("Counts" + name, Values.create());
  }

  @Test
  void rowAddsUpAtEveryUpdateAndGrows(TestPipeline p) throws Exception {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + tmp.resolve("w.duckdb"), null, null);
    WarehouseSchema.ensure(spec);
    Instant started = Instant.parse("2026-05-01T10:00:00Z");
    RunRecord.started(spec, "stream-1", started, "DirectRunner", "c.yaml");

    TestStream<KV<String, Long>> counts =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .addElements(KV.of("loaded", 10L), KV.of("superseded", 1L), KV.of("rejected", 2L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .addElements(KV.of("loaded", 5L), KV.of("series", 3L), KV.of("aggregates", 4L))
            .addElements(KV.of("superseded", 1L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .addElements(KV.of("rejected", 1L), KV.of("loaded", 7L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, Long>> all = p.apply(counts);
    PCollection<RunRecord> updates =
        p.apply(
            RunProgress.of(spec, "stream-1", started, "DirectRunner", "c.yaml")
                .every(Duration.standardSeconds(1))
                .rejected(only(all, "rejected"))
                .loaded(only(all, "loaded"))
                .superseded(only(all, "superseded"))
                .aggregates(only(all, "aggregates"))
                .series(only(all, "series")));
    PAssert.that(updates)
        .satisfies(
            rows -> {
              List<RunRecord> sorted = new ArrayList<>();
              rows.forEach(sorted::add);
              sorted.sort(Comparator.comparingLong(r -> r.recordsRead));
              assertTrue(sorted.size() >= 2, "updated more than once: " + sorted.size());
              RunRecord previous = null;
              for (RunRecord r : sorted) {
                assertEquals(
                    r.recordsRead,
                    r.recordsRejected + r.observationsLoaded + r.duplicatesSuperseded);
                assertEquals(RunRecord.RUNNING, r.status);
                if (previous != null) {
                  assertTrue(r.recordsRead > previous.recordsRead);
                  assertTrue(r.recordsRejected >= previous.recordsRejected);
                  assertTrue(r.observationsLoaded >= previous.observationsLoaded);
                  assertTrue(r.duplicatesSuperseded >= previous.duplicatesSuperseded);
                  assertTrue(r.aggregatesLoaded >= previous.aggregatesLoaded);
                  assertTrue(r.seriesLoaded >= previous.seriesLoaded);
                }
                previous = r;
              }
              RunRecord last = sorted.get(sorted.size() - 1);
              assertEquals(27, last.recordsRead);
              assertEquals(3, last.recordsRejected);
              assertEquals(22, last.observationsLoaded);
              assertEquals(2, last.duplicatesSuperseded);
              assertEquals(4, last.aggregatesLoaded);
              assertEquals(3, last.seriesLoaded);
              return null;
            });
    p.run().waitUntilFinish();

    RunRecord row = RunRecord.read(spec, "stream-1");
    assertEquals(27, row.recordsRead);
    assertEquals(
        row.recordsRead, row.recordsRejected + row.observationsLoaded + row.duplicatesSuperseded);
    assertEquals(RunRecord.RUNNING, row.status);
    assertNull(row.finishedAt);
    assertEquals(started, row.startedAt);
    spec.release();
  }

  /**
   * Issue 11: with the raw records counted as read, every update balances with the records not yet
   * accounted for in flight ({@code read = rejected + loaded + superseded + in_flight}, in_flight
   * >= 0), and the last one, once the input ended, has nothing in flight.
   */
  @Test
  void everyUpdateBalancesWithRecordsInFlightAndTheLastHasNone(TestPipeline p) throws Exception {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + tmp.resolve("f.duckdb"), null, null);
    WarehouseSchema.ensure(spec);
    Instant started = Instant.parse("2026-05-01T10:00:00Z");
    TestStream<KV<String, Long>> counts =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .addElements(KV.of("read", 10L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .addElements(KV.of("loaded", 6L), KV.of("rejected", 1L), KV.of("superseded", 1L))
            .addElements(KV.of("read", 5L), KV.of("aggregates", 9L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .addElements(KV.of("loaded", 6L), KV.of("rejected", 1L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, Long>> all = p.apply(counts);
    PCollection<RunRecord> updates = p.apply(progress(spec, "flight-1", started, all));
    PAssert.that(updates)
        .satisfies(
            rows -> {
              List<RunRecord> sorted = new ArrayList<>();
              rows.forEach(sorted::add);
              sorted.sort(
                  Comparator.comparingLong((RunRecord r) -> r.recordsRead)
                      .thenComparingLong(r -> -r.recordsInFlight));
              assertTrue(sorted.size() >= 2, "updated more than once: " + sorted.size());
              assertTrue(
                  sorted.stream().anyMatch(r -> r.recordsInFlight > 0),
                  "no update saw records in flight: " + sorted.size());
              for (RunRecord r : sorted) {
                assertTrue(r.recordsInFlight >= 0, r.accountingMessage());
                assertEquals(
                    r.recordsRead,
                    r.recordsRejected
                        + r.observationsLoaded
                        + r.duplicatesSuperseded
                        + r.recordsInFlight);
                assertTrue(r.balanced(), r.accountingMessage());
                assertEquals(RunRecord.RUNNING, r.status, r.message);
              }
              RunRecord last = sorted.get(sorted.size() - 1);
              assertEquals(15, last.recordsRead);
              assertEquals(0, last.recordsInFlight, last.accountingMessage());
              assertTrue(last.settled());
              return null;
            });
    p.run().waitUntilFinish();

    RunRecord row = RunRecord.read(spec, "flight-1");
    assertEquals(15, row.recordsRead);
    assertEquals(0, row.recordsInFlight);
    assertTrue(row.settled(), row.accountingMessage());
    assertEquals(RunRecord.RUNNING, row.status);
    spec.release();
  }

  /**
   * An outcome's count may reach the step before its read's (they come by separate paths): that
   * update is held back, never written with a negative in_flight, and the read's arrival brings the
   * next one, balanced.
   */
  @Test
  void anOutcomeAheadOfItsReadHoldsTheUpdateBack(TestPipeline p) throws Exception {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + tmp.resolve("h.duckdb"), null, null);
    WarehouseSchema.ensure(spec);
    Instant started = Instant.parse("2026-05-01T10:00:00Z");
    TestStream<KV<String, Long>> counts =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .addElements(KV.of("read", 2L), KV.of("loaded", 5L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .addElements(KV.of("read", 3L))
            .advanceProcessingTime(Duration.standardSeconds(2))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, Long>> all = p.apply(counts);
    PCollection<RunRecord> updates = p.apply(progress(spec, "held-1", started, all));
    PAssert.that(updates)
        .satisfies(
            rows -> {
              int n = 0;
              for (RunRecord r : rows) {
                assertEquals(RunRecord.RUNNING, r.status, r.message);
                assertTrue(r.balanced(), r.accountingMessage());
                assertEquals(5, r.recordsRead, r.summary());
                n++;
              }
              assertEquals(1, n, "one update: the one with in_flight -3 is not written");
              return null;
            });
    p.run().waitUntilFinish();

    RunRecord row = RunRecord.read(spec, "held-1");
    assertEquals(5, row.recordsRead);
    assertEquals(0, row.recordsInFlight);
    assertEquals(RunRecord.RUNNING, row.status);
    spec.release();
  }

  /** Once the input ended every count has arrived: a negative in_flight then fails the row. */
  @Test
  void aNegativeInFlightAtTheEndFailsTheRow(TestPipeline p) throws Exception {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + tmp.resolve("n.duckdb"), null, null);
    WarehouseSchema.ensure(spec);
    Instant started = Instant.parse("2026-05-01T10:00:00Z");
    TestStream<KV<String, Long>> counts =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .addElements(KV.of("read", 2L), KV.of("loaded", 5L))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, Long>> all = p.apply(counts);
    PCollection<RunRecord> updates = p.apply(progress(spec, "negative-1", started, all));
    PAssert.that(updates)
        .satisfies(
            rows -> {
              int n = 0;
              for (RunRecord r : rows) {
                assertEquals(RunRecord.FAILED, r.status, r.message);
                assertTrue(r.message.contains("records_in_flight -3 is negative"), r.message);
                n++;
              }
              assertEquals(1, n);
              return null;
            });
    p.run().waitUntilFinish();

    RunRecord row = RunRecord.read(spec, "negative-1");
    assertEquals(2, row.recordsRead);
    assertEquals(-3, row.recordsInFlight);
    assertEquals(RunRecord.FAILED, row.status);
    assertTrue(row.message.contains("counted twice or without its read"), row.message);
    spec.release();
  }

  private static RunProgress progress(
      WarehouseSpec spec, String runId, Instant started, PCollection<KV<String, Long>> all) {
    return RunProgress.of(spec, runId, started, "DirectRunner", "c.yaml")
        .every(Duration.standardSeconds(1))
        .rejected(only(all, "rejected"))
        .loaded(only(all, "loaded"))
        .superseded(only(all, "superseded"))
        .aggregates(only(all, "aggregates"))
        .series(only(all, "series"))
        .read(only(all, "read"));
  }
}

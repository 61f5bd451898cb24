package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.Observation;
import dev.tslake.testing.AggregatesInvariant;
import dev.tslake.testing.TestPipelineExtension;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.BatchWriter;
import dev.tslake.warehouse.Tables;
import dev.tslake.warehouse.WarehouseSchema;
import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ContinuousAggregates} on the DirectRunner in streaming mode, fed by TestStream, against a
 * DuckDB warehouse. A commit step in front of it upserts each point into {@code observations}
 * before passing it on, as the job's load does ({@code UpsertBatches.withCommittedRows}).
 * TestStream hands out its next event only once the pipeline is idle, so a checkpoint element (its
 * own event) sees every pane of the earlier events written: there the warehouse is checked ({@link
 * AggregatesInvariant}: every row is the statistics of its stored observations) and the rows and
 * the number of rewrites so far are recorded.
 *
 * <p>Phases: early panes (processing time), the on-time pane at the watermark, a late point within
 * the allowed lateness (late pane), a late revision (newer vintage of a stored ts), a point of an
 * old window far beyond the allowed lateness (the too-late path), a window that closes (no
 * lateness), and a watermark held just before a window's end.
 */
@ExtendWith(TestPipelineExtension.class)
class ContinuousAggregatesStreamingTest {
  private static final Duration EARLY = Duration.standardSeconds(10);
  private static final Duration LATENESS = Duration.standardHours(1);
  private static final Duration PAST_EARLY = EARLY.plus(Duration.standardSeconds(1));
  private static final String SIZE = "P1D";
  private static final long DAY_MS = Duration.standardDays(1).getMillis();

  /**
   * A UTC day two days ahead of the wall clock: the too-late path (which compares window ends with
   * the wall clock) leaves its points to the window's panes.
   */
  private static final long DAY = (Instant.now().getMillis() / DAY_MS + 2) * DAY_MS;

  /** A UTC day long gone: its points always go the too-late path as well. */
  private static final long OLD_DAY = Instant.parse("2025-01-06T00:00:00Z").getMillis();

  private static final Instant END = new Instant(DAY + DAY_MS);

  /** What the checkpoints saw, per test (the DoFns are copies: they find it by name). */
  private static final Map<String, List<Checkpoint>> SEEN = new ConcurrentHashMap<>();

  private static final Map<String, AtomicLong> REWRITES = new ConcurrentHashMap<>();

  @TempDir Path dir;
  private WarehouseSpec wh;
  private String name;

  record Checkpoint(String phase, List<String> violations, List<String> rows, long rewrites) {}

  @BeforeEach
  void setUp(TestPipeline p) {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    wh = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("wh.duckdb"), null, null);
    WarehouseSchema.ensure(wh);
    name = "t" + System.nanoTime();
    SEEN.put(name, new CopyOnWriteArrayList<>());
    REWRITES.put(name, new AtomicLong());
  }

  @AfterEach
  void tearDown() {
    SEEN.remove(name);
    REWRITES.remove(name);
    wh.release();
  }

  /** A point of series live/BTC {@code minutes} into {@code day}, seen in poll {@code vintage}. */
  private static Observation point(long day, long minutes, Double value, long vintage) {
    return new Observation("live", "BTC", day + minutes * 60_000L, value, vintage, "poll", "p");
  }

  private static Observation point(long minutes, Double value, long vintage) {
    return point(DAY, minutes, value, vintage);
  }

  private static TimestampedValue<Observation> at(Observation o) {
    return TimestampedValue.of(o, new Instant(o.ts));
  }

  /** An element that makes the commit step check the warehouse: its own TestStream event. */
  private static TimestampedValue<Observation> checkpoint(String phase, Instant watermark) {
    return TimestampedValue.of(
        new Observation(CHECKPOINT, phase, watermark.getMillis(), null, 0L, "test", "-"),
        watermark);
  }

  private static final String CHECKPOINT = "\u0001checkpoint";

  private static PipelineConfig config() {
    SourceConfig s = new SourceConfig();
    s.name = "live";
    s.windows = List.of(SIZE);
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(s);
    return c;
  }

  /** The stored row of a window of live/BTC: "n | min | max | mean | first | last". */
  private static String row(
      long day, long n, double min, double max, double mean, double first, double last) {
    return java.time.Instant.ofEpochMilli(day).toString()
        + " | "
        + n
        + " | "
        + min
        + " | "
        + max
        + " | "
        + mean
        + " | "
        + first
        + " | "
        + last;
  }

  /** Upserts each point into observations, then passes it on; checkpoints check the warehouse. */
  static final class CommitFn extends DoFn<Observation, Observation> {
    private final WarehouseSpec wh;
    private final String test;
    private transient BatchWriter<Observation> writer;

    CommitFn(WarehouseSpec wh, String test) {
      this.wh = wh;
      this.test = test;
    }

    @Setup
    public void setup() throws Exception {
      writer = new BatchWriter<>(wh, Tables.observations(), true, false);
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<Observation> out) throws Exception {
      if (o.source.equals(CHECKPOINT)) {
        SEEN.get(test)
            .add(
                new Checkpoint(
                    o.seriesId,
                    AggregatesInvariant.violations(wh, Map.of("live", List.of(SIZE))),
                    rows(wh),
                    REWRITES.get(test).get()));
        return;
      }
      writer.write(List.of(o));
      out.output(o);
    }

    @Teardown
    public void teardown() {
      if (writer != null) {
        writer.close();
      }
    }
  }

  static List<String> rows(WarehouseSpec wh) {
    return WarehouseDump.rows(
        wh,
        "SELECT window_start, n, \"min\", \"max\", mean, \"first\", \"last\" FROM aggregates"
            + " WHERE source = 'live' AND series_id = 'BTC' AND \"window\" = '"
            + SIZE
            + "' ORDER BY window_start");
  }

  /** Adds up the rows written, as the checkpoints read them. */
  static final class CountFn extends DoFn<Long, Void> {
    private final String test;

    CountFn(String test) {
      this.test = test;
    }

    @ProcessElement
    public void process(@Element Long written) {
      REWRITES.get(test).addAndGet(written);
    }
  }

  private List<Checkpoint> run(TestPipeline p, TestStream<Observation> events, Duration lateness) {
    PCollection<Long> written =
        p.apply(events)
            .apply("Commit", ParDo.of(new CommitFn(wh, name)))
            .apply(ContinuousAggregates.of(config(), wh, AggregateTriggering.of(EARLY, lateness)));
    written.apply("Count", ParDo.of(new CountFn(name)));
    p.run().waitUntilFinish();
    return new ArrayList<>(SEEN.get(name));
  }

  private static TestStream.Builder<Observation> stream() {
    return TestStream.create(Observation.Coder.of());
  }

  /** A phase after which every stored row equals its stored observations' statistics. */
  private static void assertPhase(
      Checkpoint c, String phase, long rewrites, List<String> expectedRows) {
    assertEquals(List.of(), c.violations(), phase);
    assertRows(c, phase, rewrites, expectedRows);
  }

  /**
   * A phase between a commit and its pane: the points are stored, the row not yet rewritten, so the
   * invariant does not hold yet (the next pane restores it).
   */
  private static void assertPending(
      Checkpoint c, String phase, String violation, long rewrites, List<String> expectedRows) {
    assertFalse(c.violations().isEmpty(), phase);
    assertTrue(
        c.violations().stream().allMatch(v -> v.startsWith(violation)),
        phase + ": " + c.violations());
    assertRows(c, phase, rewrites, expectedRows);
  }

  private static void assertRows(
      Checkpoint c, String phase, long rewrites, List<String> expectedRows) {
    assertEquals(phase, c.phase());
    assertEquals(expectedRows, c.rows(), phase);
    assertEquals(rewrites, c.rewrites(), phase + ": rows written so far");
  }

  @Test
  void earlyOnTimeLateRevisionAndTooLatePanesEachRewriteTheirWindow(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(60, 2.0, 1);
    Observation c = point(120, 3.0, 1);
    Observation late = point(180, 8.0, 2);
    Observation revision = point(60, 5.0, 3); // b revised by a later poll
    Observation old = point(OLD_DAY, 0, 10.0, 1);
    Observation oldRevision = point(OLD_DAY, 0, 20.0, 4);
    Instant wm = new Instant(DAY);
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(wm)
            .addElements(at(a))
            .addElements(checkpoint("nothing fired", wm))
            .advanceProcessingTime(PAST_EARLY)
            .addElements(checkpoint("early pane", wm))
            .addElements(at(b), at(a)) // a again: still one stored point
            .advanceProcessingTime(PAST_EARLY)
            .addElements(checkpoint("second early pane", wm))
            .addElements(at(c))
            .addElements(checkpoint("no pane before the watermark or the period", wm))
            .advanceWatermarkTo(END)
            .addElements(checkpoint("on-time pane", END))
            .advanceWatermarkTo(END.plus(Duration.standardMinutes(1)))
            .addElements(at(late))
            .addElements(checkpoint("late pane", END.plus(Duration.standardMinutes(1))))
            .addElements(at(revision))
            .addElements(checkpoint("late revision", END.plus(Duration.standardMinutes(1))))
            // the old day: its window expired long ago, the windows drop its points
            .addElements(at(old))
            .advanceProcessingTime(PAST_EARLY)
            .addElements(checkpoint("too late", END.plus(Duration.standardMinutes(1))))
            .addElements(at(oldRevision))
            .advanceProcessingTime(PAST_EARLY)
            .addElements(checkpoint("too-late revision", END.plus(Duration.standardMinutes(1))))
            .advanceWatermarkToInfinity();
    List<Checkpoint> seen = run(p, events, LATENESS);
    assertEquals(9, seen.size(), seen.toString());
    String oldRow = row(OLD_DAY, 1, 10.0, 10.0, 10.0, 10.0, 10.0);
    String oldRevised = row(OLD_DAY, 1, 20.0, 20.0, 20.0, 20.0, 20.0);
    assertPending(seen.get(0), "nothing fired", "observation in no P1D aggregate", 0, List.of());
    assertPhase(seen.get(1), "early pane", 1, List.of(row(DAY, 1, 1.0, 1.0, 1.0, 1.0, 1.0)));
    assertPhase(seen.get(2), "second early pane", 2, List.of(row(DAY, 2, 1.0, 2.0, 1.5, 1.0, 2.0)));
    assertPending(
        seen.get(3),
        "no pane before the watermark or the period",
        "aggregate differs from its observations",
        2,
        List.of(row(DAY, 2, 1.0, 2.0, 1.5, 1.0, 2.0)));
    String onTime = row(DAY, 3, 1.0, 3.0, 2.0, 1.0, 3.0);
    assertPhase(seen.get(4), "on-time pane", 3, List.of(onTime));
    assertPhase(seen.get(5), "late pane", 4, List.of(row(DAY, 4, 1.0, 8.0, 3.5, 1.0, 8.0)));
    assertPhase(seen.get(6), "late revision", 5, List.of(row(DAY, 4, 1.0, 8.0, 4.25, 1.0, 8.0)));
    // the window path drops the old point; the too-late path rewrites its window once
    assertPhase(seen.get(7), "too late", 6, List.of(oldRow, row(DAY, 4, 1.0, 8.0, 4.25, 1.0, 8.0)));
    assertPhase(
        seen.get(8),
        "too-late revision",
        7,
        List.of(oldRevised, row(DAY, 4, 1.0, 8.0, 4.25, 1.0, 8.0)));
  }

  @Test
  void aHeldWatermarkHoldsThePaneAndAClosedWindowTakesNoMorePanes(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(23 * 60, 2.0, 1);
    Observation c = point(23 * 60 + 59, 3.0, 1);
    Observation nextDay = point(24 * 60 + 5, 7.0, 1);
    Instant held = new Instant(DAY + DAY_MS - 1); // the window's last instant
    Instant next = END.plus(Duration.standardDays(1));
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a))
            .advanceWatermarkTo(held)
            .addElements(at(b), at(c))
            .addElements(checkpoint("held before the end", held))
            .advanceWatermarkTo(END)
            .addElements(checkpoint("closed", END))
            .addElements(at(nextDay))
            .advanceWatermarkTo(next)
            .addElements(checkpoint("next day closed", next))
            .advanceWatermarkToInfinity();
    // no lateness: each window closes with its on-time pane
    List<Checkpoint> seen = run(p, events, Duration.ZERO);
    assertEquals(3, seen.size(), seen.toString());
    assertPending(
        seen.get(0), "held before the end", "observation in no P1D aggregate", 0, List.of());
    String day = row(DAY, 3, 1.0, 3.0, 2.0, 1.0, 3.0);
    assertPhase(seen.get(1), "closed", 1, List.of(day));
    assertPhase(
        seen.get(2),
        "next day closed",
        2,
        List.of(day, row(DAY + DAY_MS, 1, 7.0, 7.0, 7.0, 7.0, 7.0)));
  }
}

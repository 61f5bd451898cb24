package dev.tslake.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.testing.SourceTestUtils;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.SerializableUtils;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Ticks}: the reader by a clock the test moves, the stop, the mark, a streaming run. */
@ExtendWith(TestPipelineExtension.class)
class TicksTest {
  static final AtomicLong NOW = new AtomicLong();
  static final Queue<Instant> SEEN = new ConcurrentLinkedQueue<>();

  /** The test's clock; static, so serialized copies of a source read the same time. */
  static final class TestClock implements Ticks.Clock {
    @Override
    public Instant now() {
      return new Instant(NOW.get());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TestClock;
    }

    @Override
    public int hashCode() {
      return 1;
    }
  }

  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  private static final Duration PERIOD = Duration.standardSeconds(10);
  private final PipelineOptions options = PipelineOptionsFactory.create();

  @BeforeEach
  void reset() {
    NOW.set(T0.getMillis());
    SEEN.clear();
  }

  private static void at(Instant t) {
    NOW.set(t.getMillis());
  }

  private static Ticks ticks() {
    return Ticks.every(PERIOD).withClock(new TestClock());
  }

  @Test
  void firstTickAtOnceThenOnePerPeriodWithTheWatermarkFollowingTheClock() throws Exception {
    Ticks.Reader r = ticks().createReader(options, null);
    assertEquals(T0.minus(Duration.millis(1)), r.getWatermark(), "before the first tick");
    assertTrue(r.start());
    assertEquals(T0, r.getCurrent());
    assertEquals(T0, r.getCurrentTimestamp());
    assertEquals(T0, r.getWatermark());

    at(T0.plus(Duration.standardSeconds(4)));
    assertFalse(r.advance(), "no tick before the period");
    assertEquals(T0.plus(Duration.standardSeconds(4)), r.getWatermark(), "advances while idle");
    at(T0.plus(Duration.standardSeconds(9)));
    assertFalse(r.advance());

    at(T0.plus(Duration.standardSeconds(13)));
    assertTrue(r.advance(), "the tick that was due");
    assertEquals(T0.plus(PERIOD), r.getCurrent(), "on the schedule, not the read time");
    assertEquals(
        T0.plus(PERIOD).plus(Duration.standardSeconds(10)).minus(Duration.millis(1)),
        ticksWatermarkAfter(r, T0.plus(Duration.standardSeconds(40))),
        "the watermark never passes the next tick due");
    assertFalse(r.advance(), "the next tick is not due yet");
  }

  private static Instant ticksWatermarkAfter(Ticks.Reader r, Instant t) {
    Instant saved = new Instant(NOW.get());
    at(t);
    Instant w = r.getWatermark();
    at(saved);
    return w;
  }

  @Test
  void aReaderFarBehindTicksOnceNowWithoutReplayingMissedTicks() throws Exception {
    Ticks.Reader r = ticks().createReader(options, null);
    assertTrue(r.start());
    Instant late = T0.plus(Duration.standardMinutes(5)).plus(Duration.millis(7));
    at(late);
    assertTrue(r.advance());
    assertEquals(late, r.getCurrent(), "one tick at the current time");
    assertFalse(r.advance(), "the 29 missed ticks are not replayed");
    at(late.plus(PERIOD));
    assertTrue(r.advance());
    assertEquals(late.plus(PERIOD), r.getCurrent());
  }

  @Test
  void theStopEndsTheReaderWithTheMaximalWatermark() throws Exception {
    Instant stop = T0.plus(Duration.standardSeconds(25));
    Ticks.Reader r = ticks().stoppingAt(stop).createReader(options, null);
    assertTrue(r.start());
    at(T0.plus(Duration.standardSeconds(20)));
    assertTrue(r.advance());
    assertEquals(T0.plus(Duration.standardSeconds(20)), r.getCurrent());
    assertTrue(r.getWatermark().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE));
    at(stop);
    assertFalse(r.advance());
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, r.getWatermark());
    assertThrows(NoSuchElementException.class, r::getCurrent);
    at(stop.plus(Duration.standardHours(1)));
    assertFalse(r.advance(), "stays stopped");
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, r.getWatermark());

    // a reader first started after the stop ticks once (the job still polls once), then stops
    Ticks.Reader late = ticks().stoppingAt(stop).createReader(options, null);
    assertTrue(late.start());
    assertEquals(stop.plus(Duration.standardHours(1)), late.getCurrent());
    assertFalse(late.advance());
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, late.getWatermark());
    // a restored one (it had ticked) does not
    Ticks.Reader restored = ticks().stoppingAt(stop).createReader(options, new Ticks.Mark(T0));
    assertFalse(restored.start());
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, restored.getWatermark());
  }

  @Test
  void stopAfterCountsFromTheFirstTickAndTheMarkKeepsTheStop() throws Exception {
    Ticks source = ticks().stoppingAfter(Duration.standardSeconds(25));
    Instant first = T0.plus(Duration.standardMinutes(3)); // a slow start
    at(first);
    Ticks.Reader r = source.createReader(options, null);
    assertTrue(r.start());
    assertEquals(first, r.getCurrent());
    at(first.plus(PERIOD));
    assertTrue(r.advance());
    Ticks.Mark mark = r.getCheckpointMark();
    assertEquals(
        new Ticks.Mark(first.plus(PERIOD), first.plus(Duration.standardSeconds(25))), mark);
    CoderProperties.coderDecodeEncodeEqual(source.getCheckpointMarkCoder(), mark);
    at(first.plus(Duration.standardSeconds(20)));
    assertTrue(r.advance());
    at(first.plus(Duration.standardSeconds(25)));
    assertFalse(r.advance());
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, r.getWatermark());

    // restored later: the stop is the mark's, not 25 s after the restore
    at(first.plus(Duration.standardMinutes(1)));
    Ticks.Reader restored = source.createReader(options, mark);
    assertFalse(restored.start());
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, restored.getWatermark());
  }

  @Test
  void theMarkRoundTripsAndARestoredReaderResumesAfterItsLastTick() throws Exception {
    Ticks source = ticks();
    SerializableUtils.ensureSerializable(source);
    assertEquals(List.of(source), source.split(4, options), "one split");
    CoderProperties.coderSerializable(source.getCheckpointMarkCoder());
    CoderProperties.coderDecodeEncodeEqual(source.getCheckpointMarkCoder(), new Ticks.Mark(T0));
    CoderProperties.coderDecodeEncodeEqual(source.getCheckpointMarkCoder(), new Ticks.Mark(null));
    CoderProperties.coderDeterministic(
        source.getCheckpointMarkCoder(), new Ticks.Mark(T0), new Ticks.Mark(T0));

    Ticks.Reader r = source.createReader(options, null);
    assertNull(r.getCheckpointMark().lastTick());
    assertTrue(r.start());
    at(T0.plus(PERIOD));
    assertTrue(r.advance());
    Ticks.Mark mark = r.getCheckpointMark();
    assertEquals(T0.plus(PERIOD), mark.lastTick());
    byte[] bytes = CoderUtils.encodeToByteArray(source.getCheckpointMarkCoder(), mark);
    Ticks.Mark restored = CoderUtils.decodeFromByteArray(source.getCheckpointMarkCoder(), bytes);

    // restored within the period: no tick until the next one is due, then on schedule
    at(T0.plus(PERIOD).plus(Duration.standardSeconds(3)));
    Ticks.Reader soon = source.createReader(options, restored);
    assertFalse(soon.start(), "the last tick is not emitted again");
    assertTrue(soon.getWatermark().isAfter(T0.plus(PERIOD).minus(Duration.millis(1))));
    at(T0.plus(PERIOD).plus(PERIOD));
    assertTrue(soon.advance());
    assertEquals(T0.plus(PERIOD).plus(PERIOD), soon.getCurrent());

    // restored after an outage of an hour: one tick at restore time, none of the missed ones
    Instant back = T0.plus(Duration.standardHours(1));
    at(back);
    Ticks.Reader afterOutage = source.createReader(options, restored);
    List<Instant> read = SourceTestUtils.readFromUnstartedReader(afterOutage);
    assertEquals(List.of(back), read);
  }

  static final class CollectFn extends DoFn<Instant, Void> {
    @ProcessElement
    public void process(@Element Instant t) {
      SEEN.add(t);
      NOW.addAndGet(PERIOD.getMillis());
    }
  }

  @Test
  void aStreamingDirectRunEndsAtTheStop(TestPipeline p) {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    // the test's clock, moved one period on by each tick the graph sees: five ticks, then the stop
    p.apply("Ticks", ticks().stoppingAt(T0.plus(PERIOD.multipliedBy(5))).read())
        .apply("Collect", ParDo.of(new CollectFn()));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    List<Instant> expected = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      expected.add(T0.plus(PERIOD.multipliedBy(i)));
    }
    assertEquals(expected, SEEN.stream().sorted().toList());
  }
}

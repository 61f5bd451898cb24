package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The panes {@link AggregateTriggering} gives a day window ({@link SpecWindows}) on the
 * DirectRunner in streaming mode, fed by TestStream: an on-time pane when the watermark passes the
 * window's end, early panes every period of processing time, a late pane per late point within the
 * allowed lateness, nothing beyond it, accumulating (each pane holds every point of the window so
 * far), a window without lateness that closes with its on-time pane, and a held watermark. Each
 * pane is logged as "TIMING index [last] points". {@link ContinuousAggregates} turns each such pane
 * into a rewrite of its window's row ({@link ContinuousAggregatesStreamingTest}).
 */
@ExtendWith(TestPipelineExtension.class)
class AggregateTriggeringTest {
  private static final Duration EARLY = Duration.standardSeconds(10);
  private static final Duration LATENESS = Duration.standardHours(1);
  private static final Duration PAST_EARLY = EARLY.plus(Duration.standardSeconds(1));

  /** The window of Monday 2026-01-05, UTC. */
  private static final long DAY = Instant.parse("2026-01-05T00:00:00Z").getMillis();

  private static final IntervalWindow W =
      new IntervalWindow(new Instant(DAY), new Instant(DAY + Duration.standardDays(1).getMillis()));

  @BeforeEach
  void streaming(TestPipeline p) {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
  }

  /** Point {@code name} of series BTC at {@code minutes} into the day. */
  private static TimestampedValue<KV<String, String>> at(long minutes, String name) {
    return TimestampedValue.of(KV.of("BTC", name), new Instant(DAY + minutes * 60_000L));
  }

  private static TestStream.Builder<KV<String, String>> stream() {
    return TestStream.create(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
  }

  /** The panes of the day windows with the triggering, as "TIMING index [last] points". */
  private static PCollection<String> panes(
      TestPipeline p, TestStream<KV<String, String>> events, Duration lateness) {
    return p.apply(events)
        .apply(
            "Window",
            AggregateTriggering.of(EARLY, lateness)
                .applyTo(Window.<KV<String, String>>into(SpecWindows.of("P1D"))))
        .apply(GroupByKey.create())
        .apply("Log", ParDo.of(new PaneLogFn()))
        .apply(
            "Global",
            Window.<String>into(new GlobalWindows())
                .triggering(AfterWatermark.pastEndOfWindow())
                .discardingFiredPanes()
                .withAllowedLateness(Duration.ZERO));
  }

  static final class PaneLogFn extends DoFn<KV<String, Iterable<String>>, String> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<String>> kv,
        PaneInfo pane,
        @Timestamp Instant ts,
        OutputReceiver<String> out) {
      // the panes of a window are stamped at its end, so they hold the watermark downstream
      String stamp = ts.equals(W.maxTimestamp()) ? "" : " at " + ts;
      List<String> points = new ArrayList<>();
      kv.getValue().forEach(points::add);
      points.sort(null);
      out.output(
          log(pane.getTiming(), pane.getIndex(), pane.isLast(), String.join(",", points) + stamp));
    }
  }

  static String log(PaneInfo.Timing timing, long index, boolean last, String points) {
    return timing + " " + index + (last ? " last " : " ") + points;
  }

  @Test
  void onTimeDataFiresOnceWhenTheWatermarkPassesTheWindowsEnd(TestPipeline p) {
    TestStream<KV<String, String>> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(0, "a"), at(60, "b"), at(23 * 60 + 59, "c"), at(24 * 60, "nextDay"))
            .advanceWatermarkTo(W.end())
            .advanceWatermarkToInfinity();
    PAssert.that(panes(p, events, LATENESS))
        .containsInAnyOrder(
            log(PaneInfo.Timing.ON_TIME, 0, false, "a,b,c"),
            log(
                PaneInfo.Timing.ON_TIME,
                0,
                true, // the watermark went to the end of time at once
                "nextDay at "
                    + W.end().plus(W.end().getMillis() - W.start().getMillis()).minus(1)));
    p.run().waitUntilFinish();
  }

  @Test
  void earlyPanesAccumulateTheWholeWindowSoFar(TestPipeline p) {
    TestStream<KV<String, String>> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(0, "a"))
            .advanceProcessingTime(PAST_EARLY)
            .addElements(at(1, "b"))
            .advanceProcessingTime(PAST_EARLY)
            .addElements(at(2, "c"))
            .advanceWatermarkTo(W.end())
            .advanceWatermarkToInfinity();
    PAssert.that(panes(p, events, LATENESS))
        .containsInAnyOrder(
            log(PaneInfo.Timing.EARLY, 0, false, "a"),
            log(PaneInfo.Timing.EARLY, 1, false, "a,b"),
            log(PaneInfo.Timing.ON_TIME, 2, false, "a,b,c"));
    p.run().waitUntilFinish();
  }

  @Test
  void eachLatePointWithinTheLatenessFiresALatePane(TestPipeline p) {
    TestStream<KV<String, String>> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(0, "a"), at(30, "b"))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(1)))
            .addElements(at(45, "late"))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(2)))
            .addElements(at(30, "revision"))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(3)))
            .advanceWatermarkToInfinity();
    PAssert.that(panes(p, events, LATENESS))
        .containsInAnyOrder(
            log(PaneInfo.Timing.ON_TIME, 0, false, "a,b"),
            log(PaneInfo.Timing.LATE, 1, false, "a,b,late"),
            log(PaneInfo.Timing.LATE, 2, false, "a,b,late,revision"));
    p.run().waitUntilFinish();
  }

  @Test
  void pointsBeyondTheAllowedLatenessAreDroppedByTheWindow(TestPipeline p) {
    TestStream<KV<String, String>> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(0, "a"))
            .advanceWatermarkTo(W.end().plus(LATENESS).plus(Duration.standardMinutes(1)))
            .addElements(at(10, "tooLate"), at(0, "tooLateRevision"))
            .advanceWatermarkToInfinity();
    // the watermark passed the end and the lateness at once: the on-time pane is the last one.
    // ContinuousAggregates' too-late path rewrites such windows from the warehouse instead
    PAssert.that(panes(p, events, LATENESS))
        .containsInAnyOrder(log(PaneInfo.Timing.ON_TIME, 0, true, "a"));
    p.run().waitUntilFinish();
  }

  @Test
  void aWindowWithoutLatenessClosesWithItsOnTimePane(TestPipeline p) {
    TestStream<KV<String, String>> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(0, "a"), at(5, "b"))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(1)))
            .addElements(at(6, "afterClose"))
            .advanceWatermarkToInfinity();
    PAssert.that(panes(p, events, Duration.ZERO))
        .containsInAnyOrder(log(PaneInfo.Timing.ON_TIME, 0, true, "a,b"));
    p.run().waitUntilFinish();
  }

  @Test
  void aHeldWatermarkKeepsTheWindowOpen(TestPipeline p) {
    TestStream<KV<String, String>> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(0, "a"))
            // held just before the window's end: the window stays open, no pane yet
            .advanceWatermarkTo(W.maxTimestamp())
            .addElements(at(23 * 60, "b"))
            .addElements(at(23 * 60 + 59, "c"))
            .advanceWatermarkTo(W.end())
            .advanceWatermarkToInfinity();
    PAssert.that(panes(p, events, LATENESS))
        .containsInAnyOrder(log(PaneInfo.Timing.ON_TIME, 0, false, "a,b,c"));
    p.run().waitUntilFinish();
  }

  @Test
  void optionsAreIsoDurationsCheckedWithAClearError() {
    StreamingWindowOptions defaults = PipelineOptionsFactory.as(StreamingWindowOptions.class);
    AggregateTriggering t = AggregateTriggering.fromOptions(defaults);
    assertEquals(Duration.standardSeconds(10), t.earlyPeriod());
    assertEquals(Duration.standardHours(1), t.allowedLateness());

    StreamingWindowOptions set =
        PipelineOptionsFactory.fromArgs("--earlyFiringPeriod=PT2S", "--allowedLateness=P1D")
            .as(StreamingWindowOptions.class);
    assertEquals(
        AggregateTriggering.of(Duration.standardSeconds(2), Duration.standardDays(1)),
        AggregateTriggering.fromOptions(set));

    for (String[] bad :
        List.of(
            new String[] {"--earlyFiringPeriod=10s", "earlyFiringPeriod"},
            new String[] {"--earlyFiringPeriod=PT0S", "earlyFiringPeriod"},
            new String[] {"--allowedLateness=-PT1H", "allowedLateness"},
            new String[] {"--allowedLateness=P1M", "allowedLateness"})) {
      StreamingWindowOptions o =
          PipelineOptionsFactory.fromArgs(bad[0]).as(StreamingWindowOptions.class);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> AggregateTriggering.fromOptions(o),
              Arrays.toString(bad));
      assertTrue(e.getMessage().contains("--" + bad[1]), e.getMessage());
    }
  }
}

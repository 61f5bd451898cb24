package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * WindowIntoAggregates with triggering, on the DirectRunner in streaming mode, fed by TestStream:
 * on-time, early and late panes, a late revision, data beyond the allowed lateness, a window that
 * closes and a watermark hold. Every pane is compared with the statistics of the window's points
 * deduplicated (latest vintage per ts) independently of the transform.
 */
@ExtendWith(TestPipelineExtension.class)
class WindowIntoAggregatesStreamingTest {
  private static final Duration EARLY = Duration.standardSeconds(10);
  private static final Duration LATENESS = Duration.standardHours(1);
  private static final String SIZE = "P1D";

  /** The window of Monday 2026-01-05, UTC. */
  private static final long DAY = Instant.parse("2026-01-05T00:00:00Z").getMillis();

  private static final IntervalWindow W =
      new IntervalWindow(new Instant(DAY), new Instant(DAY + Duration.standardDays(1).getMillis()));

  @BeforeEach
  void streaming(TestPipeline p) {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
  }

  /** A point of series live/BTC at {@code minutes} into the day, seen in poll {@code vintage}. */
  private static Observation point(long minutes, Double value, long vintage) {
    return new Observation(
        "live", "BTC", DAY + minutes * 60_000L, value, vintage, "poll", "p" + vintage);
  }

  private static TimestampedValue<Observation> at(Observation o) {
    return TimestampedValue.of(o, new Instant(o.ts));
  }

  private static TestStream.Builder<Observation> stream() {
    return TestStream.create(Observation.Coder.of());
  }

  /** The row a batch run stores for these points: latest vintage per ts, then SeriesStats. */
  static Aggregate expected(Observation... points) {
    Map<Long, Observation> latest = new TreeMap<>();
    for (Observation o : points) {
      latest.merge(o.ts, o, (a, b) -> b.vintage > a.vintage ? b : a);
    }
    SeriesStats s = new SeriesStats();
    for (Observation o : latest.values()) {
      s.add(o.ts, o.value);
    }
    boolean any = s.n > 0;
    return new Aggregate(
        "live",
        "BTC",
        SIZE,
        W.start().getMillis(),
        W.end().getMillis(),
        s.n,
        s.missing,
        any ? s.min : null,
        any ? s.max : null,
        s.mean(),
        any ? s.first : null,
        any ? s.last : null,
        s.stddev());
  }

  private static PCollection<Aggregate> aggregates(
      TestPipeline p, TestStream<Observation> events, Duration lateness) {
    WindowIntoAggregates t =
        WindowIntoAggregates.of(config()).withTriggering(AggregateTriggering.of(EARLY, lateness));
    PCollection<Observation> stamped =
        p.apply(events).apply(ParDo.of(new WindowIntoAggregates.EventTimeFn()));
    return t.windowed(stamped, SIZE);
  }

  private static PipelineConfig config() {
    try {
      return PipelineConfig.load(Path.of("testdata/tslake.json"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Each pane as "TIMING index last? aggregate", in the global window. */
  private static PCollection<String> paneLog(PCollection<Aggregate> aggregates) {
    return aggregates
        .apply("PaneLog", ParDo.of(new PaneLogFn()))
        .apply(
            "GlobalLog",
            Window.<String>into(new GlobalWindows())
                .triggering(AfterWatermark.pastEndOfWindow())
                .discardingFiredPanes()
                .withAllowedLateness(Duration.ZERO));
  }

  static final class PaneLogFn extends DoFn<Aggregate, String> {
    @ProcessElement
    public void process(@Element Aggregate a, PaneInfo pane, OutputReceiver<String> out) {
      out.output(log(pane.getTiming(), pane.getIndex(), pane.isLast(), a));
    }
  }

  static final class StampFn extends DoFn<Aggregate, Long> {
    @ProcessElement
    public void process(@Timestamp Instant ts, OutputReceiver<Long> o) {
      o.output(ts.getMillis());
    }
  }

  static String log(PaneInfo.Timing timing, long index, boolean last, Aggregate a) {
    return timing + " " + index + (last ? " last " : " ") + a;
  }

  @Test
  void onTimeDataFiresOnceWhenTheWatermarkPassesTheWindowsEnd(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(60, null, 1);
    Observation c = point(23 * 60 + 59, 3.5, 1);
    Observation nextDay = point(24 * 60, 100.0, 1);
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a), at(b), at(c), at(nextDay))
            .advanceWatermarkTo(W.end())
            .advanceWatermarkToInfinity();
    PCollection<Aggregate> out = aggregates(p, events, LATENESS);
    PAssert.that(out).inOnTimePane(W).containsInAnyOrder(expected(a, b, c));
    PAssert.that(out).inEarlyPane(W).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void earlyPanesHoldTheWholeWindowSoFar(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(1, 2.0, 1);
    Observation c = point(2, 4.0, 1);
    Duration past = EARLY.plus(Duration.standardSeconds(1));
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a))
            .advanceProcessingTime(past)
            .addElements(at(b), at(a)) // a again: counts once
            .advanceProcessingTime(past)
            .addElements(at(c))
            .advanceWatermarkTo(W.end())
            .advanceWatermarkToInfinity();
    PCollection<Aggregate> out = aggregates(p, events, LATENESS);
    PAssert.that(out).inEarlyPane(W).containsInAnyOrder(expected(a), expected(a, b));
    PAssert.that(out).inOnTimePane(W).containsInAnyOrder(expected(a, b, c));
    PAssert.that(paneLog(out))
        .containsInAnyOrder(
            log(PaneInfo.Timing.EARLY, 0, false, expected(a)),
            log(PaneInfo.Timing.EARLY, 1, false, expected(a, b)),
            log(PaneInfo.Timing.ON_TIME, 2, false, expected(a, b, c)));
    p.run().waitUntilFinish();
  }

  @Test
  void lateDataWithinTheLatenessFiresLatePanesWithCompleteStatistics(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(30, 2.0, 1);
    Observation late = point(45, 8.0, 2);
    Observation revision = point(30, 5.0, 3); // b revised by a later poll
    Observation olderVintage = point(0, -1.0, 0); // older than a: changes nothing
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a), at(b))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(1)))
            .addElements(at(late))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(2)))
            .addElements(at(revision))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(3)))
            .addElements(at(olderVintage))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(4)))
            .advanceWatermarkToInfinity();
    PCollection<Aggregate> out = aggregates(p, events, LATENESS);
    Aggregate whole = expected(a, b, late, revision, olderVintage);
    // the revision replaced 2.0, the older vintage changed nothing
    assertEquals(expected(a, late, revision), whole);
    assertEquals(3, whole.n);
    PAssert.that(out).inOnTimePane(W).containsInAnyOrder(expected(a, b));
    PAssert.that(paneLog(out))
        .containsInAnyOrder(
            log(PaneInfo.Timing.ON_TIME, 0, false, expected(a, b)),
            log(PaneInfo.Timing.LATE, 1, false, expected(a, b, late)),
            log(PaneInfo.Timing.LATE, 2, false, expected(a, b, late, revision)),
            log(PaneInfo.Timing.LATE, 3, false, whole));
    p.run().waitUntilFinish();
  }

  @Test
  void dataBeyondTheAllowedLatenessIsDropped(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation tooLate = point(10, 1000.0, 2);
    Observation tooLateRevision = point(0, -1000.0, 2);
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a))
            .advanceWatermarkTo(W.end().plus(LATENESS).plus(Duration.standardMinutes(1)))
            .addElements(at(tooLate), at(tooLateRevision))
            .advanceWatermarkToInfinity();
    PCollection<Aggregate> out = aggregates(p, events, LATENESS);
    // the only row is the on-time one: neither the late point nor the late revision is in a pane
    PAssert.that(out).containsInAnyOrder(expected(a));
    PAssert.that(out).inOnTimePane(W).containsInAnyOrder(expected(a));
    p.run().waitUntilFinish();
  }

  @Test
  void aWindowWithoutLatenessClosesWithItsOnTimePane(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(5, 2.0, 1);
    Observation afterClose = point(6, 3.0, 1);
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a), at(b))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(1)))
            .addElements(at(afterClose))
            .advanceWatermarkToInfinity();
    PCollection<Aggregate> out = aggregates(p, events, Duration.ZERO);
    PAssert.that(out).inFinalPane(W).containsInAnyOrder(expected(a, b));
    PAssert.that(paneLog(out))
        .containsInAnyOrder(log(PaneInfo.Timing.ON_TIME, 0, true, expected(a, b)));
    p.run().waitUntilFinish();
  }

  @Test
  void aHeldWatermarkKeepsTheWindowOpenAndHoldsItsOutputOnTimeDownstream(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(23 * 60, 2.0, 1);
    Observation c = point(23 * 60 + 59, 3.0, 1);
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a))
            // held just before the window's end: the window stays open, no pane yet
            .advanceWatermarkTo(W.maxTimestamp())
            .addElements(at(b))
            .addElements(at(c))
            .advanceWatermarkTo(W.end())
            .advanceWatermarkToInfinity();
    PCollection<Aggregate> out = aggregates(p, events, LATENESS);
    PAssert.that(out).inOnTimePane(W).containsInAnyOrder(expected(a, b, c));
    PAssert.that(paneLog(out))
        .containsInAnyOrder(log(PaneInfo.Timing.ON_TIME, 0, false, expected(a, b, c)));
    // the pane is stamped at the window's end and held the watermark: a downstream stage in the
    // same windows, without lateness, still gets it in its own on-time pane
    PCollection<Long> downstream =
        out.apply(
                "Rewindow",
                Window.<Aggregate>into(SpecWindows.of(SIZE))
                    .triggering(DefaultTrigger.of())
                    .discardingFiredPanes()
                    .withAllowedLateness(Duration.ZERO))
            .apply(
                "BySeries",
                WithKeys.of((Aggregate x) -> x.seriesId).withKeyType(TypeDescriptors.strings()))
            .apply(GroupByKey.create())
            .apply(
                "Rows",
                MapElements.into(TypeDescriptors.longs())
                    .via(kv -> (long) com.google.common.collect.Iterables.size(kv.getValue())));
    PAssert.that(downstream).inOnTimePane(W).containsInAnyOrder(1L);
    PAssert.that(out.apply("Stamp", ParDo.of(new StampFn())))
        .containsInAnyOrder(W.maxTimestamp().getMillis());
    p.run().waitUntilFinish();
  }

  @Test
  void windowsOfOtherSeriesAndDaysFireApart(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation eth = new Observation("live", "ETH", DAY + 60_000L, 7.0, 1L, "poll", "p1");
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a), at(eth))
            .advanceWatermarkToInfinity();
    PCollection<Aggregate> out = aggregates(p, events, LATENESS);
    Aggregate btc = expected(a);
    Aggregate ethRow =
        new Aggregate(
            "live",
            "ETH",
            SIZE,
            btc.windowStart,
            btc.windowEnd,
            1,
            0,
            7.0,
            7.0,
            7.0,
            7.0,
            7.0,
            null);
    PAssert.that(out).inOnTimePane(W).containsInAnyOrder(btc, ethRow);
    p.run().waitUntilFinish();
  }

  @Test
  void theWholeTransformPassesEveryPaneOnInTheGlobalWindow(TestPipeline p) {
    Observation a = point(0, 1.0, 1);
    Observation b = point(1, 2.0, 1);
    Observation late = point(2, 4.0, 2);
    Observation other = new Observation("other", "X", DAY, 1.0, 1L, "poll", "p1");
    TestStream<Observation> events =
        stream()
            .advanceWatermarkTo(new Instant(DAY))
            .addElements(at(a), at(other))
            .advanceProcessingTime(EARLY.plus(Duration.standardSeconds(1)))
            .addElements(at(b))
            .advanceWatermarkTo(W.end().plus(Duration.standardMinutes(1)))
            .addElements(at(late))
            .advanceWatermarkToInfinity();
    PipelineConfig config = new PipelineConfig();
    config.sources = List.of(liveSource());
    PCollection<Aggregate> out =
        p.apply(events)
            .apply(
                WindowIntoAggregates.of(config)
                    .withTriggering(Duration.standardSeconds(10), LATENESS));
    // early, on time, late: each pane once, the last one the whole window; "other" not configured
    PAssert.that(out).containsInAnyOrder(expected(a), expected(a, b), expected(a, b, late));
    p.run().waitUntilFinish();
  }

  private static dev.tslake.config.SourceConfig liveSource() {
    dev.tslake.config.SourceConfig s = new dev.tslake.config.SourceConfig();
    s.name = "live";
    s.windows = List.of(SIZE);
    return s;
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

  @Test
  void aRevisionInTheSameBundleReplacesWhicheverComesFirst() {
    WindowIntoAggregates.LatestVintageStatsFn fn = new WindowIntoAggregates.LatestVintageStatsFn();
    Observation old = point(0, 1.0, 1);
    Observation revised = point(0, 9.0, 2);
    List<WindowIntoAggregates.LatestPoints> accs = new ArrayList<>();
    accs.add(fn.addInput(fn.createAccumulator(), revised));
    accs.add(fn.addInput(fn.addInput(fn.createAccumulator(), old), old));
    SeriesStats merged = fn.extractOutput(fn.mergeAccumulators(accs));
    assertEquals(1, merged.n);
    assertEquals(9.0, merged.first);
    SeriesStats oneByOne =
        fn.extractOutput(fn.addInput(fn.addInput(fn.createAccumulator(), revised), old));
    assertEquals(9.0, oneByOne.max);
  }
}

package dev.tslake.aggregate;

import dev.tslake.config.WindowSpec;
import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Window.into(SpecWindows) then Combine.perKey on the DirectRunner: every pane's window is the
 * window WindowSpec#bounds gives its elements, on both sides of 1970 and on window edges.
 */
@ExtendWith(TestPipelineExtension.class)
class SpecWindowsPipelineTest {

  private static long at(String iso) {
    return java.time.Instant.parse(iso).toEpochMilli();
  }

  /** Timestamps on edges, in short and long months, a leap day, before 1970 and in 1919. */
  private static final List<String> TIMES =
      List.of(
          "1919-01-01T00:00:00Z",
          "1919-01-31T23:59:59.999Z",
          "1959-02-15T12:00:00Z",
          "1959-12-31T23:59:59.999Z",
          "1969-12-28T12:00:00Z",
          "1969-12-31T23:59:59.999Z",
          "1970-01-01T00:00:00Z",
          "2024-02-29T23:59:59.999Z",
          "2024-03-01T00:00:00Z",
          "2024-03-01T00:30:00Z",
          "2024-03-31T23:00:00Z",
          "2024-04-30T23:00:00Z",
          "2024-12-31T23:59:59.999Z",
          "2025-01-01T00:00:00Z");

  /** Formats a counted window: key, count, start, end. */
  static final class FormatFn extends DoFn<KV<String, Long>, String> {
    @ProcessElement
    public void process(
        @Element KV<String, Long> kv, BoundedWindow window, OutputReceiver<String> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(line(kv.getKey(), kv.getValue(), w.start().getMillis(), w.end().getMillis()));
    }
  }

  static String line(String key, long n, long start, long end) {
    return key + " n=" + n + " [" + start + ", " + end + ")";
  }

  /** Expected panes from WindowSpec#bounds alone: window -> line. */
  private static Map<IntervalWindow, String> expected(String window, String key, List<Long> ts) {
    WindowSpec spec = WindowSpec.parse(window);
    Map<IntervalWindow, Long> counts = new TreeMap<>((a, b) -> a.start().compareTo(b.start()));
    for (long t : ts) {
      long[] b = spec.bounds(t);
      counts.merge(new IntervalWindow(new Instant(b[0]), new Instant(b[1])), 1L, Long::sum);
    }
    Map<IntervalWindow, String> out = new TreeMap<>((a, b) -> a.start().compareTo(b.start()));
    counts.forEach((w, n) -> out.put(w, line(key, n, w.start().getMillis(), w.end().getMillis())));
    return out;
  }

  private static void assertPanes(
      PCollection<String> panes, String window, String key, List<Long> ts) {
    Map<IntervalWindow, String> exp = expected(window, key, ts);
    PAssert.that(window + " all panes", panes).containsInAnyOrder(exp.values());
    for (Map.Entry<IntervalWindow, String> e : exp.entrySet()) {
      PAssert.that(window + " pane " + e.getValue(), panes)
          .inWindow(e.getKey())
          .containsInAnyOrder(e.getValue());
    }
  }

  @Test
  void createTimestampedThenWindowIntoThenCountPerKey(TestPipeline p) {
    List<Long> ts = new ArrayList<>();
    List<TimestampedValue<KV<String, Long>>> in = new ArrayList<>();
    for (String t : TIMES) {
      ts.add(at(t));
      in.add(TimestampedValue.of(KV.of("fred/X", at(t)), new Instant(at(t))));
    }
    PCollection<KV<String, Long>> timestamped =
        p.apply(
            Create.timestamped(in).withCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())));
    for (String window : List.of("PT1H", "P1D", "P1W", "P1M", "P3M", "P1Y", "P30D")) {
      PCollection<String> panes =
          timestamped
              .apply("Window " + window, Window.into(SpecWindows.of(window)))
              .apply("Count " + window, Count.perKey())
              .apply("Format " + window, ParDo.of(new FormatFn()));
      assertPanes(panes, window, "fred/X", ts);
    }
    p.run().waitUntilFinish();
  }

  @Test
  void observationsStampedWithTheirEventTimeThenCombinedPerSeries(TestPipeline p) {
    List<Observation> obs = new ArrayList<>();
    List<Long> ts = new ArrayList<>();
    for (String t : TIMES) {
      ts.add(at(t));
      obs.add(
          new Observation(
              "fred", "X", at(t), 1.0, Observation.UNKNOWN_VINTAGE, "f.csv", "at " + t));
    }
    PCollection<KV<String, Long>> counted =
        p.apply(Create.of(obs))
            .apply(WithTimestamps.of((Observation o) -> new Instant(o.ts)))
            .apply(Window.into(SpecWindows.of("P1M")))
            .apply(
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                    .via((Observation o) -> KV.of(o.source + "/" + o.seriesId, 1L)))
            .apply(Count.perKey());
    assertPanes(counted.apply(ParDo.of(new FormatFn())), "P1M", "fred/X", ts);
    p.run().waitUntilFinish();
  }
}

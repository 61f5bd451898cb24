package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * For each window size any source asks for: event-time windows (fixed, or calendar in UTC), then
 * {@link SeriesStatsFn} per series, then back to the global window with the window's bounds as
 * columns, ready for the warehouse.
 */
public final class WindowedAggregates extends PTransform<PCollection<Observation>, PCollection<Aggregate>> {
  private final PipelineConfig config;

  private WindowedAggregates(PipelineConfig config) {
    this.config = config;
  }

  public static WindowedAggregates of(PipelineConfig config) {
    return new WindowedAggregates(config);
  }

  @Override
  public PCollection<Aggregate> expand(PCollection<Observation> observations) {
    PCollectionList<Aggregate> parts = PCollectionList.empty(observations.getPipeline());
    for (WindowSpec window : config.allWindows()) {
      Set<String> sources = new HashSet<>();
      for (SourceConfig s : config.sources) {
        if (s.windowSpecs().contains(window)) {
          sources.add(s.name);
        }
      }
      parts = parts.and(observations.apply("Aggregate " + window.text(), new OneWindow(window, sources)));
    }
    return parts.apply("AllWindows", Flatten.pCollections()).setCoder(Aggregate.Coder.of());
  }

  /** One window size over the sources that configured it. */
  static final class OneWindow extends PTransform<PCollection<Observation>, PCollection<Aggregate>> {
    private final WindowSpec window;
    private final Set<String> sources;

    OneWindow(WindowSpec window, Set<String> sources) {
      this.window = window;
      this.sources = sources;
    }

    @Override
    public PCollection<Aggregate> expand(PCollection<Observation> observations) {
      return observations
          .apply("StampEventTime", ParDo.of(new StampFn(sources)))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), Observation.Coder.of()))
          .apply("Window", Window.<KV<String, Observation>>into(window.windowFn()))
          .apply("StatsPerSeries", Combine.perKey(new SeriesStatsFn()))
          .apply("ToAggregate", ParDo.of(new ToAggregateFn(window.text())))
          .setCoder(Aggregate.Coder.of())
          .apply("BackToGlobalWindow", Window.<Aggregate>into(new GlobalWindows()));
    }
  }

  /** Keys by series and moves each observation to its event time (earlier than its input's). */
  static final class StampFn extends DoFn<Observation, KV<String, Observation>> {
    private final Set<String> sources;

    StampFn(Set<String> sources) {
      this.sources = sources;
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, Observation>> out) {
      if (sources.contains(o.source)) {
        out.outputWithTimestamp(KV.of(o.source + '\u0000' + o.seriesId, o), new Instant(o.ts));
      }
    }

    // Input from the dedup combine sits at the end of the global window; event times are earlier.
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }

  static final class ToAggregateFn extends DoFn<KV<String, SeriesStats>, Aggregate> {
    private final String window;

    ToAggregateFn(String window) {
      this.window = window;
    }

    @ProcessElement
    public void process(
        @Element KV<String, SeriesStats> kv, IntervalWindow w, OutputReceiver<Aggregate> out) {
      String key = kv.getKey();
      int sep = key.indexOf('\u0000');
      SeriesStats s = kv.getValue();
      boolean any = s.n > 0;
      out.output(new Aggregate(
          key.substring(0, sep), key.substring(sep + 1), window,
          w.start().getMillis(), w.end().getMillis(), s.n, s.missing,
          any ? s.min : null, any ? s.max : null, s.mean(),
          any ? s.first : null, any ? s.last : null));
    }
  }
}

package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The same {@code aggregates} rows as {@link WindowedAggregates}, computed the way Beam spells it:
 * observations stamped with their event time, then per distinct window size of the config one
 * branch {@code Window.into(SpecWindows.of(size))} and {@code Combine.perKey} keyed by (source,
 * series), the window's bounds taken from the pane's {@link IntervalWindow}. The branches are put
 * back into the global window and flattened.
 *
 * <p>Groundwork for streaming (issue 11): this is the form that triggers and allowed lateness apply
 * to. The batch job still uses {@link WindowedAggregates}, which is faster on the DirectRunner (one
 * timer per key and window here) and folds partial statistics before the shuffle.
 */
public final class WindowIntoAggregates
    extends PTransform<PCollection<Observation>, PCollection<Aggregate>> {
  private final PipelineConfig config;

  private WindowIntoAggregates(PipelineConfig config) {
    this.config = config;
  }

  public static WindowIntoAggregates of(PipelineConfig config) {
    return new WindowIntoAggregates(config);
  }

  @Override
  public PCollection<Aggregate> expand(PCollection<Observation> observations) {
    // Window size (normalized text) -> the sources that ask for it, in a stable order.
    Map<String, HashSet<String>> sourcesBySize = new TreeMap<>();
    for (SourceConfig s : config.sources) {
      for (WindowSpec w : s.windowSpecs()) {
        sourcesBySize.computeIfAbsent(w.text(), k -> new HashSet<>()).add(s.name);
      }
    }
    PCollection<Observation> stamped =
        observations
            .apply("EventTime", ParDo.of(new EventTimeFn()))
            .setCoder(observations.getCoder());
    List<PCollection<Aggregate>> branches = new ArrayList<>();
    for (Map.Entry<String, HashSet<String>> e : sourcesBySize.entrySet()) {
      String size = e.getKey();
      HashSet<String> sources = e.getValue();
      branches.add(
          stamped
              .apply("Sources " + size, Filter.by(o -> sources.contains(o.source)))
              .apply("Window " + size, Window.into(SpecWindows.of(size)))
              .apply(
                  "Key " + size,
                  WithKeys.of((Observation o) -> key(o.source, o.seriesId))
                      .withKeyType(TypeDescriptors.strings()))
              .apply("Stats " + size, Combine.perKey(new StatsFn()))
              .apply("ToAggregates " + size, ParDo.of(new ToAggregateFn(size)))
              .setCoder(Aggregate.coder())
              .apply("Global " + size, Window.<Aggregate>into(new GlobalWindows())));
    }
    return PCollectionList.of(branches)
        .apply("AllSizes", Flatten.pCollections())
        .setCoder(Aggregate.coder());
  }

  /** Key: source and series, separated by NUL (which no series id contains). */
  static String key(String source, String series) {
    return source + '\u0000' + series;
  }

  /** Each observation's element timestamp becomes its event time, {@link Observation#ts}. */
  static final class EventTimeFn extends DoFn<Observation, Observation> {
    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<Observation> out) {
      out.outputWithTimestamp(o, new Instant(o.ts));
    }

    /** Upstream stamps are processing artefacts (a batch read, a bundle's end), not event time. */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }

  /** The {@link SeriesStats} of one series in one window. */
  static final class StatsFn extends Combine.CombineFn<Observation, SeriesStats, SeriesStats> {
    @Override
    public SeriesStats createAccumulator() {
      return new SeriesStats();
    }

    @Override
    public SeriesStats addInput(SeriesStats acc, Observation o) {
      acc.add(o.ts, o.value, !o.stored);
      return acc;
    }

    @Override
    public SeriesStats mergeAccumulators(Iterable<SeriesStats> accs) {
      SeriesStats merged = new SeriesStats();
      for (SeriesStats a : accs) {
        merged.merge(a);
      }
      return merged;
    }

    @Override
    public SeriesStats extractOutput(SeriesStats acc) {
      return acc;
    }

    @Override
    public Coder<SeriesStats> getAccumulatorCoder(CoderRegistry r, Coder<Observation> in) {
      return SeriesStats.coder();
    }

    @Override
    public Coder<SeriesStats> getDefaultOutputCoder(CoderRegistry r, Coder<Observation> in) {
      return SeriesStats.coder();
    }
  }

  /** One {@link Aggregate} per pane whose window holds a record of this run. */
  static final class ToAggregateFn extends DoFn<KV<String, SeriesStats>, Aggregate> {
    private final String size;

    ToAggregateFn(String size) {
      this.size = size;
    }

    @ProcessElement
    public void process(
        @Element KV<String, SeriesStats> kv, BoundedWindow window, OutputReceiver<Aggregate> out) {
      SeriesStats s = kv.getValue();
      if (!s.touched) {
        return; // only rows read back from the warehouse: maybe not all of the window's
      }
      String[] parts = kv.getKey().split("\u0000", 2);
      IntervalWindow w = (IntervalWindow) window;
      boolean any = s.n > 0;
      out.output(
          new Aggregate(
              parts[0],
              parts[1],
              size,
              w.start().getMillis(),
              w.end().getMillis(),
              s.n,
              s.missing,
              any ? s.min : null,
              any ? s.max : null,
              s.mean(),
              any ? s.first : null,
              any ? s.last : null,
              s.stddev()));
    }
  }
}

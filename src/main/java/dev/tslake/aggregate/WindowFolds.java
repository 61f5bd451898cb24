package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * The batch aggregates of {@link WindowIntoAggregates} for a step that holds the observations
 * itself (the one-pass batch graph's dedup): a {@link Folder} folds the points it is given into one
 * {@link WindowedStats} per (window size, source, series) of the config, and {@link #toAggregates}
 * merges those partials per key and writes one {@link Aggregate} per window, the rows {@code
 * WindowIntoAggregates} writes for the same points. Partials of any split of the points merge
 * exactly (the sums are exact), so the folding steps may see any share of a window.
 */
public final class WindowFolds implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Source -> its window sizes (normalized text), in the config's order. */
  private final Map<String, List<String>> sizesBySource;

  private WindowFolds(Map<String, List<String>> sizesBySource) {
    this.sizesBySource = sizesBySource;
  }

  public static WindowFolds of(PipelineConfig config) {
    Map<String, List<String>> sizes = new HashMap<>();
    for (SourceConfig s : config.sources) {
      List<String> texts = new ArrayList<>();
      for (WindowSpec w : s.windowSpecs()) {
        if (!texts.contains(w.text())) {
          texts.add(w.text());
        }
      }
      sizes.put(s.name, texts);
    }
    return new WindowFolds(sizes);
  }

  /** A fresh fold (one per bundle). */
  public Folder folder() {
    return new Folder(sizesBySource);
  }

  /** Folds points into partial statistics per (size, source, series) and window. */
  public static final class Folder {
    private final Map<String, List<WindowSpec>> specs = new HashMap<>();
    private final Map<String, List<String>> sizesBySource;
    private Map<String, WindowedStats> partials = new HashMap<>();
    private int windows;
    private String lastSource;
    private String lastSeries;
    private WindowedStats[] last;

    Folder(Map<String, List<String>> sizesBySource) {
      this.sizesBySource = sizesBySource;
    }

    /** One point of this run (a record, never a stored row). */
    public void add(Observation o) {
      if (!o.source.equals(lastSource) || !o.seriesId.equals(lastSeries)) {
        List<String> sizes = sizesBySource.getOrDefault(o.source, List.of());
        List<WindowSpec> parsed =
            specs.computeIfAbsent(
                o.source,
                s -> {
                  List<WindowSpec> l = new ArrayList<>();
                  for (String size : sizes) {
                    l.add(WindowSpec.parse(size));
                  }
                  return l;
                });
        last = new WindowedStats[parsed.size()];
        for (int i = 0; i < last.length; i++) {
          last[i] =
              partials.computeIfAbsent(
                  key(sizes.get(i), o.source, o.seriesId), k -> new WindowedStats());
        }
        lastSource = o.source;
        lastSeries = o.seriesId;
      }
      List<WindowSpec> parsed = specs.get(o.source);
      for (int i = 0; i < last.length; i++) {
        long[] bounds = parsed.get(i).bounds(o.ts);
        int before = last[i].stats.size();
        last[i].window(bounds[0], bounds[1]).add(o.ts, o.value, true);
        windows += last[i].stats.size() - before;
      }
    }

    /** Number of windows held in all partials. */
    public int windows() {
      return windows;
    }

    /**
     * Hands over every window and starts empty: as its {@link Aggregate} when the window lies
     * within {@code [lo, hi)}, the span of time whose every point of the folded series this fold
     * saw (so the window is whole), else as a partial to merge ({@link #toAggregates}).
     */
    public void drain(
        long lo,
        long hi,
        java.util.function.Consumer<Aggregate> whole,
        BiConsumer<String, WindowedStats> partial) {
      for (Map.Entry<String, WindowedStats> e : partials.entrySet()) {
        String[] parts = e.getKey().split("\u0000", 3);
        WindowedStats w = e.getValue();
        WindowedStats rest = null;
        for (Map.Entry<Long, SeriesStats> window : w.stats.entrySet()) {
          long start = window.getKey();
          long end = w.ends.get(start);
          if (start >= lo && end <= hi) {
            Aggregate a =
                WindowIntoAggregates.toAggregate(
                    parts[1], parts[2], parts[0], start, end, window.getValue());
            if (a != null) {
              whole.accept(a);
            }
          } else {
            if (rest == null) {
              rest = new WindowedStats();
            }
            rest.window(start, end).merge(window.getValue());
          }
        }
        if (rest != null) {
          partial.accept(e.getKey(), rest);
        }
      }
      partials = new HashMap<>();
      windows = 0;
      lastSource = null;
      lastSeries = null;
      last = null;
    }

    /** Hands over every partial (key, statistics) and starts empty. */
    public void drain(BiConsumer<String, WindowedStats> out) {
      partials.forEach(out);
      partials = new HashMap<>();
      windows = 0;
      lastSource = null;
      lastSeries = null;
      last = null;
    }
  }

  /** {@code a} with {@code b}'s windows merged in (for a map of partials). */
  public static WindowedStats merged(WindowedStats a, WindowedStats b) {
    a.mergeFrom(b);
    return a;
  }

  /** The number of windows of a partial. */
  public static int windows(WindowedStats w) {
    return w.stats.size();
  }

  static String key(String size, String source, String series) {
    return size + '\u0000' + source + '\u0000' + series;
  }

  /** The coder of a {@link Folder}'s output. */
  public static KvCoder<String, WindowedStats> coder() {
    return KvCoder.of(StringUtf8Coder.of(), WindowedStats.CODER);
  }

  /** Merges partials per (size, source, series) and writes each window's {@link Aggregate}. */
  public static PTransform<PCollection<KV<String, WindowedStats>>, PCollection<Aggregate>>
      toAggregates() {
    return new PTransform<PCollection<KV<String, WindowedStats>>, PCollection<Aggregate>>() {
      @Override
      public PCollection<Aggregate> expand(PCollection<KV<String, WindowedStats>> partials) {
        return partials
            .apply("MergeWindowStats", Combine.perKey(new WindowedStats.MergeFn()))
            .apply("ToAggregates", ParDo.of(new ToAggregatesFn()))
            .setCoder(Aggregate.coder());
      }
    };
  }

  static final class ToAggregatesFn extends DoFn<KV<String, WindowedStats>, Aggregate> {
    @ProcessElement
    public void process(@Element KV<String, WindowedStats> kv, OutputReceiver<Aggregate> out) {
      String[] parts = kv.getKey().split("\u0000", 3);
      WindowedStats w = kv.getValue();
      TreeMap<Long, SeriesStats> windows = w.stats;
      for (Map.Entry<Long, SeriesStats> e : windows.entrySet()) {
        Aggregate a =
            WindowIntoAggregates.toAggregate(
                parts[1], parts[2], parts[0], e.getKey(), w.ends.get(e.getKey()), e.getValue());
        if (a != null) {
          out.output(a);
        }
      }
    }
  }
}

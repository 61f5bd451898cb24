package dev.tslake.warehouse;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.Observation;
import dev.tslake.model.SeriesInfo;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.Min;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The {@code series} dimension: one row per series seen in observations or in metadata, with the
 * source's metadata (FRED's title, units, frequency...; a csv source's configured units) and the
 * span of the observations loaded.
 */
public final class SeriesRows extends PTransform<PCollectionTuple, PCollection<SeriesRow>> {
  private final PipelineConfig config;
  private final TupleTag<Observation> observationsTag;
  private final TupleTag<SeriesInfo> infoTag;

  private SeriesRows(
      PipelineConfig config, TupleTag<Observation> observationsTag, TupleTag<SeriesInfo> infoTag) {
    this.config = config;
    this.observationsTag = observationsTag;
    this.infoTag = infoTag;
  }

  public static SeriesRows of(
      PipelineConfig config, TupleTag<Observation> observations, TupleTag<SeriesInfo> info) {
    return new SeriesRows(config, observations, info);
  }

  @Override
  public PCollection<SeriesRow> expand(PCollectionTuple input) {
    TupleTag<KV<String, Long>> firstSeen = new TupleTag<KV<String, Long>>() {};
    TupleTag<KV<String, Long>> lastSeen = new TupleTag<KV<String, Long>>() {};
    PCollectionTuple spans =
        input
            .get(observationsTag)
            .apply(
                "SpanPerBundle",
                ParDo.of(new SpanPerBundleFn(firstSeen, lastSeen))
                    .withOutputTags(firstSeen, TupleTagList.of(lastSeen)));
    KvCoder<String, Long> kvCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    PCollection<KV<String, Long>> first =
        spans.get(firstSeen).setCoder(kvCoder).apply("FirstTs", Combine.perKey(Min.ofLongs()));
    PCollection<KV<String, Long>> last =
        spans.get(lastSeen).setCoder(kvCoder).apply("LastTs", Combine.perKey(Max.ofLongs()));
    PCollection<KV<String, SeriesInfo>> info =
        input
            .get(infoTag)
            .apply(
                "InfoKey",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(),
                            org.apache.beam.sdk.values.TypeDescriptor.of(SeriesInfo.class)))
                    .via((SeriesInfo s) -> KV.of(s.key(), s)))
            .setCoder(
                // not the schema coder: the DirectRunner's streaming state copies fail on its rows
                // ("getters require withGetterTarget")
                KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(SeriesInfo.class)))
            // the most recently updated description per series (also gives all three inputs of
            // the join the same triggering in a continuous run)
            .apply("NewestInfo", Combine.perKey(SeriesRows::newest));

    TupleTag<Long> firstTag = new TupleTag<>();
    TupleTag<Long> lastTag = new TupleTag<>();
    TupleTag<SeriesInfo> infoByKey = new TupleTag<>();
    Map<String, String> units = new HashMap<>();
    for (SourceConfig s : config.sources) {
      if (s.units != null) {
        units.put(s.name, s.units);
      }
    }
    return KeyedPCollectionTuple.of(firstTag, first)
        .and(lastTag, last)
        .and(infoByKey, info)
        .apply("JoinSpanAndMetadata", CoGroupByKey.create())
        .apply(
            "ToSeriesRow",
            ParDo.of(
                new DoFn<KV<String, CoGbkResult>, SeriesRow>() {
                  @ProcessElement
                  public void process(
                      @Element KV<String, CoGbkResult> kv, OutputReceiver<SeriesRow> out) {
                    String key = kv.getKey();
                    int sep = key.indexOf('\u0000');
                    String source = key.substring(0, sep);
                    String series = key.substring(sep + 1);
                    // one value each in batch; in a continuous run a pane may gather several
                    Long firstTs = null;
                    // (an empty pane of Min/Max gives their identity, which is no timestamp)
                    for (Long t : kv.getValue().getAll(firstTag)) {
                      if (t != Long.MAX_VALUE) {
                        firstTs = firstTs == null ? t : Math.min(firstTs, t);
                      }
                    }
                    Long lastTs = null;
                    for (Long t : kv.getValue().getAll(lastTag)) {
                      if (t != Long.MIN_VALUE) {
                        lastTs = lastTs == null ? t : Math.max(lastTs, t);
                      }
                    }
                    // several metadata files may describe a series; keep the most recently
                    // updated (in a continuous run a pane of NewestInfo may be empty: null)
                    SeriesInfo meta = newest(kv.getValue().getAll(infoByKey));
                    String unit =
                        meta != null && meta.units != null ? meta.units : units.get(source);
                    out.output(
                        new SeriesRow(
                            source,
                            series,
                            meta == null ? null : meta.title,
                            unit,
                            meta == null ? null : meta.frequency,
                            meta == null ? null : meta.seasonalAdjustment,
                            meta == null ? null : meta.lastUpdated,
                            firstTs,
                            lastTs));
                  }
                }))
        .setCoder(SerializableCoder.of(SeriesRow.class));
  }

  /**
   * The most recently updated of several descriptions of one series; null entries (the result of
   * combining an empty pane, in a continuous run) are skipped; null when there is none.
   */
  static SeriesInfo newest(Iterable<SeriesInfo> infos) {
    SeriesInfo meta = null;
    for (SeriesInfo i : infos) {
      if (i == null) {
        continue;
      }
      if (meta == null || compare(i.lastUpdated, meta.lastUpdated) > 0) {
        meta = i;
      }
    }
    return meta;
  }

  /**
   * Each bundle's first and last timestamp per series, so that a handful of elements per series,
   * not one per observation, reach the Min/Max combines (Flink's batch runner encodes and sorts
   * every element a combine gets before it combines anything).
   */
  static final class SpanPerBundleFn extends DoFn<Observation, KV<String, Long>> {
    private final TupleTag<KV<String, Long>> firstTag;
    private final TupleTag<KV<String, Long>> lastTag;
    private transient Map<String, Map<String, long[]>> spans;

    SpanPerBundleFn(TupleTag<KV<String, Long>> firstTag, TupleTag<KV<String, Long>> lastTag) {
      this.firstTag = firstTag;
      this.lastTag = lastTag;
    }

    @StartBundle
    public void startBundle() {
      spans = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element Observation o) {
      long[] span =
          spans
              .computeIfAbsent(o.source, s -> new HashMap<>())
              .computeIfAbsent(o.seriesId, s -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
      span[0] = Math.min(span[0], o.ts);
      span[1] = Math.max(span[1], o.ts);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) {
      for (Map.Entry<String, Map<String, long[]>> bySource : spans.entrySet()) {
        for (Map.Entry<String, long[]> e : bySource.getValue().entrySet()) {
          String key = bySource.getKey() + '\u0000' + e.getKey();
          ctx.output(
              firstTag,
              KV.of(key, e.getValue()[0]),
              GlobalWindow.INSTANCE.maxTimestamp(),
              GlobalWindow.INSTANCE);
          ctx.output(
              lastTag,
              KV.of(key, e.getValue()[1]),
              GlobalWindow.INSTANCE.maxTimestamp(),
              GlobalWindow.INSTANCE);
        }
      }
    }
  }

  private static int compare(String a, String b) {
    if (a == null) {
      return b == null ? 0 : -1;
    }
    return b == null ? 1 : a.compareTo(b);
  }
}

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
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
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

  private SeriesRows(PipelineConfig config, TupleTag<Observation> observationsTag,
      TupleTag<SeriesInfo> infoTag) {
    this.config = config;
    this.observationsTag = observationsTag;
    this.infoTag = infoTag;
  }

  public static SeriesRows of(PipelineConfig config, TupleTag<Observation> observations,
      TupleTag<SeriesInfo> info) {
    return new SeriesRows(config, observations, info);
  }

  @Override
  public PCollection<SeriesRow> expand(PCollectionTuple input) {
    PCollection<KV<String, Long>> times = input.get(observationsTag)
        .apply("SeriesKey", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(),
                TypeDescriptors.longs()))
            .via((Observation o) -> KV.of(o.source + '\u0000' + o.seriesId, o.ts)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    PCollection<KV<String, Long>> first = times.apply("FirstTs", Combine.perKey(Min.ofLongs()));
    PCollection<KV<String, Long>> last = times.apply("LastTs", Combine.perKey(Max.ofLongs()));
    PCollection<KV<String, SeriesInfo>> info = input.get(infoTag)
        .apply("InfoKey", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(),
                org.apache.beam.sdk.values.TypeDescriptor.of(SeriesInfo.class)))
            .via((SeriesInfo s) -> KV.of(s.key(), s)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SeriesInfo.Coder.of()));

    TupleTag<Long> firstTag = new TupleTag<>();
    TupleTag<Long> lastTag = new TupleTag<>();
    TupleTag<SeriesInfo> infoByKey = new TupleTag<>();
    Map<String, String> units = new HashMap<>();
    for (SourceConfig s : config.sources) {
      if (s.units != null) {
        units.put(s.name, s.units);
      }
    }
    return KeyedPCollectionTuple.of(firstTag, first).and(lastTag, last).and(infoByKey, info)
        .apply("JoinSpanAndMetadata", CoGroupByKey.create())
        .apply("ToSeriesRow", ParDo.of(new DoFn<KV<String, CoGbkResult>, SeriesRow>() {
          @ProcessElement
          public void process(@Element KV<String, CoGbkResult> kv, OutputReceiver<SeriesRow> out) {
            String key = kv.getKey();
            int sep = key.indexOf('\u0000');
            String source = key.substring(0, sep);
            String series = key.substring(sep + 1);
            Long firstTs = kv.getValue().getOnly(firstTag, null);
            Long lastTs = kv.getValue().getOnly(lastTag, null);
            SeriesInfo meta = null;
            for (SeriesInfo i : kv.getValue().getAll(infoByKey)) {
              // several metadata files may describe a series; keep the most recently updated
              if (meta == null || compare(i.lastUpdated, meta.lastUpdated) > 0) {
                meta = i;
              }
            }
            String unit = meta != null && meta.units != null ? meta.units : units.get(source);
            out.output(new SeriesRow(source, series, meta == null ? null : meta.title, unit,
                meta == null ? null : meta.frequency,
                meta == null ? null : meta.seasonalAdjustment,
                meta == null ? null : meta.lastUpdated, firstTs, lastTs));
          }
        }))
        .setCoder(SerializableCoder.of(SeriesRow.class));
  }

  private static int compare(String a, String b) {
    if (a == null) {
      return b == null ? 0 : -1;
    }
    return b == null ? 1 : a.compareTo(b);
  }
}

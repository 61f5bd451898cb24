package dev.tslake.transform;

import dev.tslake.model.Observation;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * One observation per (source, series_id, ts): the latest vintage wins (ties broken by origin
 * and position, so a rerun picks the same winner). Outputs the winners and, per shard, how many
 * records were superseded, so the run can account for every record.
 *
 * <p>Records are grouped by a hash shard of their key, not by the key itself, and each shard's
 * combiner keeps the best record per key. Same result as a group per key, but with a bounded
 * number of groups: the DirectRunner schedules one bundle per group and key, which made a
 * per-key group the slowest step of a local run by far. Partial winners are picked before the
 * shuffle (combiner lifting) on runners that support it.
 */
public final class DedupLatestVintage extends PTransform<PCollection<Observation>, PCollectionTuple> {
  public static final TupleTag<Observation> LATEST = new TupleTag<Observation>() {};
  public static final TupleTag<Long> SUPERSEDED = new TupleTag<Long>() {};

  static final int DEFAULT_SHARDS = 64;
  private final int shards;

  private DedupLatestVintage(int shards) {
    this.shards = shards;
  }

  public static DedupLatestVintage create() {
    return new DedupLatestVintage(DEFAULT_SHARDS);
  }

  /**
   * Groups by a hash shard of the key ({@code n >= 1}), or by the key itself ({@code n == 0}):
   * a runner that sorts its groups (Flink, Dataflow) needs no per-shard hash map then.
   */
  public DedupLatestVintage withShards(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("shards must be 0 (one group per key) or more");
    }
    return new DedupLatestVintage(n);
  }

  @Override
  public PCollectionTuple expand(PCollection<Observation> input) {
    int n = shards;
    PCollectionTuple out = input
        .apply("ShardByKey",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(),
                    TypeDescriptor.of(Observation.class)))
                .via((Observation o) -> KV.of(n == 0
                    ? o.key() : Integer.toString(Math.floorMod(o.key().hashCode(), n)), o)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Observation.Coder.of()))
        .apply("LatestVintagePerKey", Combine.perKey(new LatestFn()))
        .apply("EmitWinners",
            ParDo.of(new EmitFn()).withOutputTags(LATEST, TupleTagList.of(SUPERSEDED)));
    out.get(LATEST).setCoder(Observation.Coder.of());
    out.get(SUPERSEDED).setCoder(VarLongCoder.of());
    return out;
  }

  /** Best record per key, and how many records each key had. */
  static final class Latest {
    final Map<String, Observation> best = new HashMap<>();
    final Map<String, Long> count = new HashMap<>();

    void add(Observation o, long n) {
      String key = o.key();
      best.merge(key, o, (a, b) -> Observation.compareRecency(b, a) > 0 ? b : a);
      count.merge(key, n, Long::sum);
    }
  }

  static final class LatestFn extends Combine.CombineFn<Observation, Latest, Latest> {
    @Override
    public Latest createAccumulator() {
      return new Latest();
    }

    @Override
    public Latest addInput(Latest acc, Observation o) {
      acc.add(o, 1);
      return acc;
    }

    @Override
    public Latest mergeAccumulators(Iterable<Latest> accs) {
      Latest merged = null;
      for (Latest a : accs) {
        if (merged == null) {
          merged = a;
          continue;
        }
        for (Map.Entry<String, Observation> e : a.best.entrySet()) {
          merged.add(e.getValue(), a.count.get(e.getKey()));
        }
      }
      return merged == null ? new Latest() : merged;
    }

    @Override
    public Latest extractOutput(Latest acc) {
      return acc;
    }

    @Override
    public Coder<Latest> getAccumulatorCoder(CoderRegistry registry, Coder<Observation> in) {
      return LatestCoder.INSTANCE;
    }

    @Override
    public Coder<Latest> getDefaultOutputCoder(CoderRegistry registry, Coder<Observation> in) {
      return LatestCoder.INSTANCE;
    }
  }

  static final class LatestCoder extends CustomCoder<Latest> {
    static final LatestCoder INSTANCE = new LatestCoder();

    @Override
    public void encode(Latest value, OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      out.writeInt(value.best.size());
      out.flush();
      for (Map.Entry<String, Observation> e : value.best.entrySet()) {
        Observation.Coder.of().encode(e.getValue(), os);
        out.writeLong(value.count.get(e.getKey()));
        out.flush();
      }
    }

    @Override
    public Latest decode(InputStream is) throws IOException {
      DataInputStream in = new DataInputStream(is);
      int size = in.readInt();
      Latest l = new Latest();
      for (int i = 0; i < size; i++) {
        Observation o = Observation.Coder.of().decode(is);
        l.add(o, in.readLong());
      }
      return l;
    }
  }

  static final class EmitFn extends DoFn<KV<String, Latest>, Observation> {
    private final Counter superseded = Metrics.counter(DedupLatestVintage.class, "superseded");

    @ProcessElement
    public void process(@Element KV<String, Latest> kv, MultiOutputReceiver out) {
      Latest l = kv.getValue();
      long dropped = 0;
      for (Map.Entry<String, Observation> e : l.best.entrySet()) {
        out.get(LATEST).output(e.getValue());
        dropped += l.count.get(e.getKey()) - 1;
      }
      if (dropped > 0) {
        superseded.inc(dropped);
        out.get(SUPERSEDED).output(dropped);
      }
    }
  }
}

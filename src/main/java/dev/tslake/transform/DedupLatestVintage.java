package dev.tslake.transform;

import dev.tslake.model.Observation;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
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
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One observation per (source, series_id, ts): the latest vintage wins (ties broken by origin
 * and position, so a rerun picks the same winner). Outputs the winners and, per key that had
 * more than one record, how many were superseded, so the run can account for every record.
 *
 * <p>A combiner, not a GroupByKey: partial winners are picked before the shuffle.
 */
public final class DedupLatestVintage extends PTransform<PCollection<Observation>, PCollectionTuple> {
  public static final TupleTag<Observation> LATEST = new TupleTag<Observation>() {};
  public static final TupleTag<Long> SUPERSEDED = new TupleTag<Long>() {};

  public static DedupLatestVintage create() {
    return new DedupLatestVintage();
  }

  @Override
  public PCollectionTuple expand(PCollection<Observation> input) {
    return input
        .apply("KeyBySeriesAndTime",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(),
                    TypeDescriptor.of(Observation.class)))
                .via((Observation o) -> KV.of(o.key(), o)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Observation.Coder.of()))
        .apply("LatestVintagePerKey", Combine.perKey(new LatestFn()))
        .apply("EmitWinners",
            ParDo.of(new EmitFn()).withOutputTags(LATEST, TupleTagList.of(SUPERSEDED)));
  }

  /** Accumulator: the best record so far and how many records were seen for the key. */
  static final class Latest implements Serializable {
    @Nullable Observation best;
    long count;

    Latest(@Nullable Observation best, long count) {
      this.best = best;
      this.count = count;
    }
  }

  static final class LatestFn extends Combine.CombineFn<Observation, Latest, Latest> {
    @Override
    public Latest createAccumulator() {
      return new Latest(null, 0);
    }

    @Override
    public Latest addInput(Latest acc, Observation o) {
      acc.count++;
      if (acc.best == null || Observation.compareRecency(o, acc.best) > 0) {
        acc.best = o;
      }
      return acc;
    }

    @Override
    public Latest mergeAccumulators(Iterable<Latest> accs) {
      Latest merged = createAccumulator();
      for (Latest a : accs) {
        merged.count += a.count;
        if (a.best != null
            && (merged.best == null || Observation.compareRecency(a.best, merged.best) > 0)) {
          merged.best = a.best;
        }
      }
      return merged;
    }

    @Override
    public Latest extractOutput(Latest acc) {
      return acc;
    }

    @Override
    public Coder<Latest> getAccumulatorCoder(CoderRegistry registry, Coder<Observation> in)
        throws CannotProvideCoderException {
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
      out.writeBoolean(value.best != null);
      out.flush();
      if (value.best != null) {
        Observation.Coder.of().encode(value.best, os);
      }
      VarLongCoder.of().encode(value.count, os);
    }

    @Override
    public Latest decode(InputStream is) throws IOException {
      boolean present = new DataInputStream(is).readBoolean();
      Observation best = present ? Observation.Coder.of().decode(is) : null;
      return new Latest(best, VarLongCoder.of().decode(is));
    }
  }

  static final class EmitFn extends DoFn<KV<String, Latest>, Observation> {
    private final Counter superseded = Metrics.counter(DedupLatestVintage.class, "superseded");

    @ProcessElement
    public void process(@Element KV<String, Latest> kv, MultiOutputReceiver out) {
      Latest l = kv.getValue();
      out.get(LATEST).output(l.best);
      if (l.count > 1) {
        superseded.inc(l.count - 1);
        out.get(SUPERSEDED).output(l.count - 1);
      }
    }
  }
}

package dev.tslake.transform;

import dev.tslake.model.Observation;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * One observation per (source, series_id, ts, vintage): every distinct vintage a run saw, for the
 * {@code observation_vintages} table. Records without a vintage ({@link
 * Observation#UNKNOWN_VINTAGE}) are left out: nothing says when they were published, so no as-of
 * query could place them. Two records of the same vintage (the same file read twice, a line
 * repeated further down) are decided as {@link DedupLatestVintage} decides them: the later origin,
 * then the later position wins, so reruns pick the same record.
 *
 * <p>Input: the run's valid records (never rows read back from the warehouse: those are already
 * stored with their vintage).
 */
public final class DistinctVintages
    extends PTransform<PCollection<Observation>, PCollection<Observation>> {

  private DistinctVintages() {}

  public static DistinctVintages create() {
    return new DistinctVintages();
  }

  /** The table key of an observation's vintage row. */
  static String vintageKey(Observation o) {
    return o.key() + '\u0000' + o.vintage;
  }

  @Override
  public PCollection<Observation> expand(PCollection<Observation> valid) {
    return valid
        .apply(
            "WithVintage",
            Filter.by(
                (SerializableFunction<Observation, Boolean>) o -> o.hasVintage() && !o.stored))
        .apply(
            "KeyByVintage",
            MapElements.into(
                    TypeDescriptors.kvs(
                        TypeDescriptors.strings(), TypeDescriptor.of(Observation.class)))
                .via((Observation o) -> KV.of(vintageKey(o), o)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Observation.Coder.of()))
        .apply("LatestOfVintage", Combine.perKey(new Latest()))
        .apply("Vintages", Values.create());
  }

  /** The more recent of two records by {@link Observation#compareRecency}. */
  static final class Latest extends Combine.BinaryCombineFn<Observation> {
    @Override
    public Observation apply(Observation a, Observation b) {
      return Observation.compareRecency(a, b) >= 0 ? a : b;
    }
  }
}

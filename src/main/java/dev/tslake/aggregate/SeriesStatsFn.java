package dev.tslake.aggregate;

import dev.tslake.model.Observation;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/** n, missing, min, max, exact mean, and first/last by event time (OHLC) of a series in a window. */
public final class SeriesStatsFn extends Combine.CombineFn<Observation, SeriesStats, SeriesStats> {
  @Override
  public SeriesStats createAccumulator() {
    return new SeriesStats();
  }

  @Override
  public SeriesStats addInput(SeriesStats acc, Observation o) {
    acc.add(o.ts, o.value);
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
    return SeriesStats.StatsCoder.INSTANCE;
  }

  @Override
  public Coder<SeriesStats> getDefaultOutputCoder(CoderRegistry r, Coder<Observation> in) {
    return SeriesStats.StatsCoder.INSTANCE;
  }
}

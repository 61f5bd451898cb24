package dev.tslake.transform;

import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;

/**
 * How many elements a collection has, as one partial count per bundle (none for an empty bundle):
 * their sum is the count ({@code RecordRun} sums them). On Flink's batch runner {@code
 * Count.globally()} is a combine that encodes and sorts every element, which on the raw records of
 * a 10M-row run is a full extra pass through the coders; and a global sum with its default value is
 * a side-input step that the DirectRunner re-evaluates at every watermark change until it is ready.
 */
public final class CountElements<T> extends PTransform<PCollection<T>, PCollection<Long>> {
  private CountElements() {}

  public static <T> CountElements<T> perBundle() {
    return new CountElements<>();
  }

  @Override
  public PCollection<Long> expand(PCollection<T> input) {
    return input.apply("CountPerBundle", ParDo.of(new CountFn<T>())).setCoder(VarLongCoder.of());
  }

  static final class CountFn<T> extends DoFn<T, Long> {
    private transient long n;

    @StartBundle
    public void startBundle() {
      n = 0;
    }

    @ProcessElement
    public void process() {
      n++;
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) {
      if (n > 0) {
        ctx.output(n, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
    }
  }
}

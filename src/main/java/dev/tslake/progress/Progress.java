package dev.tslake.progress;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Counts the elements passing a point of the graph (identity step): into the Beam counter {@code
 * tslake.progress/<stage>} (shown by every runner: Flink's web UI, Dataflow's console) and into
 * this JVM's {@link ProgressBoard}, which logs a progress line every few seconds.
 *
 * <pre>{@code
 * raw.apply("ProgressRead", Progress.of(runId, 0, "read", 5000));
 * }</pre>
 */
public final class Progress<T> extends PTransform<PCollection<T>, PCollection<T>> {
  public static final String METRICS = "tslake.progress";

  private final String runId;
  private final int order;
  private final String stage;
  private final long periodMillis;
  private final boolean summing;

  private Progress(String runId, int order, String stage, long periodMillis, boolean summing) {
    this.runId = runId;
    this.order = order;
    this.stage = stage;
    this.periodMillis = periodMillis;
    this.summing = summing;
  }

  /**
   * Stage {@code stage}, the {@code order}-th along the graph (the first one's rate is reported),
   * of run {@code runId}; a line every {@code periodMillis} (0: counters only, no lines).
   */
  public static <T> Progress<T> of(String runId, int order, String stage, long periodMillis) {
    return new Progress<>(runId, order, stage, periodMillis, false);
  }

  /** As {@link #of}, adding up the elements (counts such as rows written per batch). */
  public static Progress<Long> summing(String runId, int order, String stage, long periodMillis) {
    return new Progress<>(runId, order, stage, periodMillis, true);
  }

  @Override
  public PCollection<T> expand(PCollection<T> input) {
    return input
        .apply(ParDo.of(new CountFn<T>(runId, order, stage, periodMillis, summing)))
        .setCoder(input.getCoder());
  }

  static final class CountFn<T> extends DoFn<T, T> {
    private static final int FLUSH_EVERY = 1024;
    private final String runId;
    private final int order;
    private final String stage;
    private final long periodMillis;
    private final boolean summing;
    private final Counter counter;
    private transient ProgressBoard board;
    private transient long pending;

    CountFn(String runId, int order, String stage, long periodMillis, boolean summing) {
      this.runId = runId;
      this.order = order;
      this.stage = stage;
      this.periodMillis = periodMillis;
      this.summing = summing;
      this.counter = Metrics.counter(METRICS, stage);
    }

    @StartBundle
    public void startBundle() {
      board = ProgressBoard.of(runId, periodMillis);
      pending = 0;
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<T> out) {
      out.output(element);
      pending += summing ? (Long) element : 1;
      if (pending >= FLUSH_EVERY) {
        flush();
      }
    }

    @FinishBundle
    public void finishBundle() {
      flush();
    }

    private void flush() {
      if (pending > 0) {
        counter.inc(pending);
        board.add(order, stage, pending);
        pending = 0;
      }
    }
  }
}

package dev.tslake.sources;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.flink.util.MathUtils;

/**
 * Hands a run's file tasks to the workers that read them, each task once.
 *
 * <p>{@code Reshuffle.viaRandomKey()} gives each task a random key, and Flink's batch runner sends
 * each key to the worker its hash picks: two ranges of a file on two workers went to the same
 * worker in one run out of two, and the other worker waited (fourteen ranges split 7/7 one run in
 * five). Given the number of workers of a Flink job ({@link #onFlinkWorkers}), the tasks are packed
 * into that many bins of about equal bytes (largest first), and each bin gets a key that Flink's
 * hash partitioning ({@code murmurHash(Arrays.hashCode(encoded key)) % workers}, the DataSet
 * runtime's and tslake's {@code EncodedValueComparator}) sends to a worker of its own. Otherwise
 * (other runners, an unknown worker count) the keys are random, as before.
 *
 * <pre>{@code
 * PCollection<FileTask> tasks =
 *     p.apply("SpreadFileTasks", SpreadTasks.of(fileTasks).onFlinkWorkers(2));
 * }</pre>
 */
public final class SpreadTasks extends PTransform<PBegin, PCollection<FileTask>> {
  private final List<FileTask> tasks;
  private final int workers;

  private SpreadTasks(List<FileTask> tasks, int workers) {
    this.tasks = List.copyOf(tasks);
    this.workers = workers;
  }

  public static SpreadTasks of(List<FileTask> tasks) {
    return new SpreadTasks(tasks, 0);
  }

  /** The job's Flink parallelism; 0 or less for unknown (random keys). */
  public SpreadTasks onFlinkWorkers(int value) {
    return new SpreadTasks(tasks, Math.max(0, value));
  }

  @Override
  public PCollection<FileTask> expand(PBegin begin) {
    SerializableCoder<FileTask> coder = SerializableCoder.of(FileTask.class);
    if (workers <= 1 || tasks.size() <= 1) {
      return begin
          .apply("List", Create.of(tasks).withCoder(coder))
          .apply("Reshuffle", Reshuffle.viaRandomKey());
    }
    return begin
        .apply(
            "List", Create.of(keyed(tasks, workers)).withCoder(KvCoder.of(VarIntCoder.of(), coder)))
        .apply("ToWorkers", GroupByKey.create())
        .apply("Tasks", ParDo.of(new EachTask()));
  }

  /** Each task with the key of its bin: bins of about equal bytes, one per worker. */
  static List<KV<Integer, FileTask>> keyed(List<FileTask> tasks, int workers) {
    int bins = Math.min(workers, tasks.size());
    int[] keys = new int[bins];
    for (int b = 0, k = 0; b < bins; b++) {
      while (flinkWorkerOf(k) % workers != b) {
        k++;
      }
      keys[b] = k++;
    }
    List<FileTask> biggestFirst = new ArrayList<>(tasks);
    biggestFirst.sort(Comparator.comparingLong(SpreadTasks::weight).reversed());
    long[] load = new long[bins];
    List<KV<Integer, FileTask>> out = new ArrayList<>();
    for (FileTask t : biggestFirst) {
      int least = 0;
      for (int b = 1; b < bins; b++) {
        if (load[b] < load[least]) {
          least = b;
        }
      }
      load[least] += weight(t);
      out.add(KV.of(keys[least], t));
    }
    return out;
  }

  /** Bytes to read: a range's length; a whole file counts one (its size is not known here). */
  static long weight(FileTask t) {
    return t.isRange() ? Math.max(1, t.end - t.start) : 1;
  }

  /** Flink's DataSet hash partitioning of a key, before the modulo by the number of workers. */
  static int flinkWorkerOf(int key) {
    try {
      return MathUtils.murmurHash(
          Arrays.hashCode(CoderUtils.encodeToByteArray(VarIntCoder.of(), key)));
    } catch (CoderException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class EachTask extends DoFn<KV<Integer, Iterable<FileTask>>, FileTask> {
    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<FileTask>> bin, OutputReceiver<FileTask> out) {
      for (FileTask t : bin.getValue()) {
        out.output(t);
      }
    }
  }
}

package dev.tslake.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

class SpreadTasksTest {
  /** {@code n} ranges of one file, of the given sizes in bytes. */
  private static List<FileTask> ranges(String file, long... sizes) {
    FileTask whole = new FileTask("bench", file, null, null);
    List<FileTask> out = new ArrayList<>();
    long start = 0;
    for (int i = 0; i < sizes.length; i++) {
      out.add(whole.range(i, sizes.length, start, start + sizes[i]));
      start += sizes[i];
    }
    return out;
  }

  private static long[] equal(int n, long size) {
    long[] s = new long[n];
    java.util.Arrays.fill(s, size);
    return s;
  }

  /** Bytes per Flink worker the keys of {@link SpreadTasks#keyed} lead to. */
  private static Map<Integer, Long> bytesPerWorker(List<FileTask> tasks, int workers) {
    Map<Integer, Long> bytes = new HashMap<>();
    for (KV<Integer, FileTask> kv : SpreadTasks.keyed(tasks, workers)) {
      bytes.merge(
          SpreadTasks.flinkWorkerOf(kv.getKey()) % workers,
          SpreadTasks.weight(kv.getValue()),
          Long::sum);
    }
    return bytes;
  }

  @Test
  void binsOfEqualBytesGoToWorkersOfTheirOwn() {
    assertEquals(Map.of(0, 100L, 1, 100L), bytesPerWorker(ranges("f", 100, 100), 2));
    assertEquals(Map.of(0, 700L, 1, 700L), bytesPerWorker(ranges("f", equal(14, 100)), 2));
    // largest first: 200 alone, 100 + 100 together
    Map<Integer, Long> uneven = bytesPerWorker(ranges("f", 100, 200, 100), 2);
    assertEquals(Set.of(200L), new HashSet<>(uneven.values()));
    assertEquals(2, uneven.size());
    assertEquals(Map.of(0, 300L, 1, 300L, 2, 300L), bytesPerWorker(ranges("f", equal(9, 100)), 3));
    // more workers than tasks: each task a worker of its own
    assertEquals(3, bytesPerWorker(ranges("f", 1, 2, 3), 8).size());
  }

  @Test
  void eachTaskOnceWhateverTheWorkers() {
    List<FileTask> tasks = ranges("f", 5, 9, 1, 7, 7, 3);
    for (int workers = 1; workers <= 8; workers++) {
      List<FileTask> keyed = new ArrayList<>();
      for (KV<Integer, FileTask> kv : SpreadTasks.keyed(tasks, workers)) {
        keyed.add(kv.getValue());
      }
      assertEquals(new HashSet<>(tasks), new HashSet<>(keyed), "workers " + workers);
      assertEquals(tasks.size(), keyed.size(), "workers " + workers);
    }
    assertNotEquals(SpreadTasks.flinkWorkerOf(0), SpreadTasks.flinkWorkerOf(1));
  }

  /** The task and the Flink worker (subtask index) that emitted it. */
  private static final class WhereRead extends DoFn<FileTask, KV<String, Long>> {
    private static final Pattern SUBTASK = Pattern.compile("\\((\\d+)/(\\d+)\\)(#\\d+)?$");

    @ProcessElement
    public void process(@Element FileTask t, OutputReceiver<KV<String, Long>> out) {
      Matcher m = SUBTASK.matcher(Thread.currentThread().getName());
      long worker = m.find() ? Long.parseLong(m.group(1)) : -1;
      out.output(KV.of(t.path + "#" + t.part + ":" + (t.end - t.start), worker));
    }
  }

  /** Checks the bytes each worker got, and that each task came once. */
  private static final class Bytes
      implements SerializableFunction<Iterable<KV<String, Long>>, Void>, Serializable {
    private final int tasks;
    private final List<Long> perWorker;

    Bytes(int tasks, List<Long> perWorker) {
      this.tasks = tasks;
      this.perWorker = perWorker;
    }

    @Override
    public Void apply(Iterable<KV<String, Long>> read) {
      Map<Long, Long> bytes = new HashMap<>();
      Set<String> seen = new HashSet<>();
      for (KV<String, Long> kv : read) {
        assertEquals(true, seen.add(kv.getKey()), "read twice: " + kv.getKey());
        long size = Long.parseLong(kv.getKey().substring(kv.getKey().lastIndexOf(':') + 1));
        bytes.merge(kv.getValue(), size, Long::sum);
      }
      assertEquals(tasks, seen.size());
      List<Long> got = new ArrayList<>(bytes.values());
      got.sort(null);
      assertEquals(perWorker, got, "bytes per worker " + bytes);
      return null;
    }
  }

  /**
   * On Flink with two workers, each worker reads its bin: two ranges one each (random keys gave
   * both to one worker in one run out of two), fourteen 7 and 7, and 200 against 100 + 100.
   */
  @Test
  void onFlinkEachWorkerReadsItsBin() {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=FlinkRunner", "--parallelism=2", "--objectReuse=true")
                .create());
    Object[][] cases = {
      {ranges("two", 100, 100), List.of(100L, 100L)},
      {ranges("fourteen", equal(14, 100)), List.of(700L, 700L)},
      {ranges("uneven", 100, 200, 100), List.of(200L, 200L)},
    };
    for (Object[] c : cases) {
      @SuppressWarnings("unchecked")
      List<FileTask> tasks = (List<FileTask>) c[0];
      @SuppressWarnings("unchecked")
      List<Long> perWorker = (List<Long>) c[1];
      String name = tasks.get(0).path;
      PCollection<KV<String, Long>> read =
          p.apply("Spread " + name, SpreadTasks.of(tasks).onFlinkWorkers(2))
              .apply("Where " + name, ParDo.of(new WhereRead()))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
      PAssert.that("Bins " + name, read).satisfies(new Bytes(tasks.size(), perWorker));
    }
    p.run().waitUntilFinish();
  }

  @Test
  void elsewhereEachTaskOnce() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    List<FileTask> tasks = ranges("direct", 5, 9, 1, 7);
    PAssert.that(p.apply(SpreadTasks.of(tasks))).containsInAnyOrder(tasks);
    PAssert.that(p.apply("Two", SpreadTasks.of(tasks).onFlinkWorkers(2))).containsInAnyOrder(tasks);
    p.run().waitUntilFinish();
  }
}

package org.apache.beam.runners.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.junit.jupiter.api.Test;

/**
 * tslake's {@link ParDoEvaluatorFactory} for the DirectRunner: the runner uses it, it works out a
 * step's transform pieces once instead of once per bundle, and a multi-output {@code ParDo} with a
 * side input over many bundles gives what it should.
 */
class ParDoEvaluatorFactoryTest {
  /** Times a {@link SplitFn} was serialized: Beam's factory does it twice for every bundle. */
  static final AtomicInteger SERIALIZED = new AtomicInteger();

  static final TupleTag<Long> EVEN = new TupleTag<Long>() {};
  static final TupleTag<String> ODD = new TupleTag<String>() {};

  /** Per key: its sum (and the side input's total) to EVEN or ODD by the sum's parity. */
  static final class SplitFn extends DoFn<KV<Integer, Iterable<Long>>, Long> {
    private final PCollectionView<Long> total;

    SplitFn(PCollectionView<Long> total) {
      this.total = total;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      long sum = 0;
      for (long v : c.element().getValue()) {
        sum += v;
      }
      if (sum % 2 == 0) {
        c.output(sum);
      } else {
        c.output(ODD, c.element().getKey() + ":" + sum + "/" + c.sideInput(total));
      }
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
      SERIALIZED.incrementAndGet();
      out.defaultWriteObject();
    }
  }

  @Test
  void theRunnerTakesThisFactoryWrittenAgainstBeam262() {
    // Beam's own has no per-step cache
    assertTrue(
        java.util.Arrays.stream(ParDoEvaluatorFactory.class.getDeclaredFields())
            .anyMatch(f -> f.getName().equals("steps")),
        "Beam's ParDoEvaluatorFactory was loaded, not tslake's");
    assertEquals(
        "2.62.0",
        ReleaseInfo.getReleaseInfo().getSdkVersion(),
        "Beam changed: check src/main/java/org/apache/beam/runners/direct/"
            + "ParDoEvaluatorFactory.java against the new runner (docs/performance.md, H21)");
  }

  @Test
  void aStepsPiecesAreWorkedOutOncePerStepAndItsOutputsAreRight() {
    int keys = 300;
    List<KV<Integer, Long>> input = new ArrayList<>();
    List<Long> even = new ArrayList<>();
    List<String> odd = new ArrayList<>();
    long all = 0;
    for (int k = 0; k < keys; k++) {
      long sum = 0;
      for (long v = 0; v < k % 5 + 1; v++) {
        input.add(KV.of(k, k + v));
        sum += k + v;
      }
      all += sum;
    }
    for (int k = 0; k < keys; k++) {
      long sum = 0;
      for (long v = 0; v < k % 5 + 1; v++) {
        sum += k + v;
      }
      if (sum % 2 == 0) {
        even.add(sum);
      } else {
        odd.add(k + ":" + sum + "/" + all);
      }
    }

    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    Pipeline p = Pipeline.create(options);
    PCollection<KV<Integer, Long>> in = p.apply(Create.of(input));
    PCollectionView<Long> total =
        in.apply(org.apache.beam.sdk.transforms.Values.create())
            .apply(Sum.longsGlobally())
            .apply(View.asSingleton());
    PCollectionTuple out =
        in.apply(GroupByKey.create()) // one bundle per key on the DirectRunner
            .apply(
                "Split",
                ParDo.of(new SplitFn(total))
                    .withSideInputs(total)
                    .withOutputTags(EVEN, TupleTagList.of(ODD)));
    PAssert.that(out.get(EVEN)).containsInAnyOrder(even);
    PAssert.that(out.get(ODD)).containsInAnyOrder(odd);
    SERIALIZED.set(0);
    p.run().waitUntilFinish();
    // Beam's factory: twice per bundle, at least 600 here; this one: a few times per step
    assertTrue(SERIALIZED.get() < 20, SERIALIZED.get() + " serializations of the DoFn");
  }
}

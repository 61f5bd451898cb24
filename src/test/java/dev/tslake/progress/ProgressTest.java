package dev.tslake.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tslake.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Progress steps pass every element through and count them in Beam counters and the board. */
@ExtendWith(TestPipelineExtension.class)
class ProgressTest {
  @Test
  void countsEveryElementAndSumsCounts(TestPipeline p) {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      items.add(i);
    }
    PCollection<Integer> out =
        p.apply(Create.of(items)).apply("P", Progress.of("progress-test", 0, "read", 0));
    PAssert.that(out).containsInAnyOrder(items);
    p.apply("Counts", Create.of(100L, 250L, 7L))
        .apply("S", Progress.summing("progress-test", 1, "loaded", 0));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(5000, counter(result, "read"));
    assertEquals(357, counter(result, "loaded"));
    ProgressBoard board = ProgressBoard.of("progress-test", 0);
    assertEquals(5000, board.count(0));
    assertEquals(357, board.count(1));
    assertNotNull(ProgressBoard.finish("progress-test"));
  }

  static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(Progress.METRICS, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}

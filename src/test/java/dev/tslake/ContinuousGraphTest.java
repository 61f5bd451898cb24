package dev.tslake;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.aggregate.AggregateTriggering;
import dev.tslake.lake.WriteToLake;
import dev.tslake.model.RawRecord;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/** Parts of {@link ContinuousGraph} that keep a long continuous run's state bounded. */
class ContinuousGraphTest {
  /**
   * The windowed lake files keep each period window's state until its end plus their allowed
   * lateness: a day (the writer's default) made the state of a run polling every second grow for 24
   * hours. The continuous graph gives them the run's {@code --allowedLateness} instead.
   */
  @Test
  void theLakeWindowsLiveAsLongAsTheRunsAllowedLateness() {
    ContinuousGraph.Timing timing =
        new ContinuousGraph.Timing(
            AggregateTriggering.of(Duration.standardSeconds(1), Duration.standardMinutes(30)),
            Duration.standardMinutes(1));
    assertEquals(Duration.standardMinutes(30), ContinuousGraph.lakeLateness(timing));

    // and the lake writer's windows take it (per period window, per source)
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.empty(RawRecord.Coder.of()))
        .apply(
            WriteToLake.rawWindowed("/tmp/unused-lake/", "run-l", Duration.standardSeconds(1))
                .withAllowedLateness(ContinuousGraph.lakeLateness(timing)));
    List<Duration> lateness = new ArrayList<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            if (node.getFullName().contains("/Window/")) {
              for (PValue out : node.getOutputs().values()) {
                lateness.add(((PCollection<?>) out).getWindowingStrategy().getAllowedLateness());
              }
            }
          }
        });
    assertEquals(List.of(Duration.standardMinutes(30)), lateness);
  }
}

package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** TouchedSpans: per series, the run's time range widened to whole windows of every size. */
@ExtendWith(TestPipelineExtension.class)
class TouchedSpansTest {
  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static Observation obs(String source, String series, String iso) {
    return new Observation(
        source, series, at(iso), 1.0, Observation.UNKNOWN_VINTAGE, "f.csv", "line " + iso);
  }

  @Test
  void widensToTheWidestWindowOfEachEnd() {
    WindowSpec[] sizes = {WindowSpec.parse("P1W"), WindowSpec.parse("P1M")};
    // 2024-01-31 (Wed): its week ends on Monday 2024-02-05, after the month's end
    assertEquals(
        KV.of(at("2024-01-01T00:00:00Z"), at("2024-02-05T00:00:00Z")),
        TouchedSpans.widen(sizes, KV.of(at("2024-01-16T00:00:00Z"), at("2024-01-31T00:00:00Z"))));
    assertEquals(
        KV.of(at("2024-01-16T00:00:00Z"), at("2024-01-16T00:00:00.001Z")),
        TouchedSpans.widen(
            new WindowSpec[0], KV.of(at("2024-01-16T00:00:00Z"), at("2024-01-16T00:00:00Z"))));
  }

  @Test
  void analyticsContextWidensAroundTheWholeWindows() {
    WindowSpec[] week = {WindowSpec.parse("P1W")};
    long thirtyDays = 30L * 86_400_000L;
    // records 2024-01-16 (Tue) .. 01-31 (Wed): whole weeks 2024-01-15 .. 02-05; a P30D rolling
    // window needs the 30 days before the first of them (the trailing windows of the windows'
    // points) and the 30 days after the last (the rows whose trailing window holds a changed point)
    assertEquals(
        KV.of(at("2023-12-16T00:00:00Z"), at("2024-03-06T00:00:00Z")),
        TouchedSpans.widen(
            week,
            thirtyDays,
            thirtyDays,
            KV.of(at("2024-01-16T00:00:00Z"), at("2024-01-31T00:00:00Z"))));
    // no context: whole windows only
    assertEquals(
        TouchedSpans.widen(week, KV.of(at("2024-01-16T00:00:00Z"), at("2024-01-31T00:00:00Z"))),
        TouchedSpans.widen(
            week, 0, 0, KV.of(at("2024-01-16T00:00:00Z"), at("2024-01-31T00:00:00Z"))));
  }

  @Test
  void oneSpanPerSeriesOfThisRunsRecords(TestPipeline p) {
    SourceConfig s = new SourceConfig();
    s.name = "bs";
    s.type = SourceType.CSV;
    s.windows = List.of("P1M");
    PipelineConfig config = new PipelineConfig();
    config.sources = List.of(s);
    List<Observation> in =
        List.of(
            obs("bs", "A", "2024-01-20T00:00:00Z"),
            obs("bs", "A", "2024-03-02T00:00:00Z"),
            obs("bs", "A", "2023-06-01T00:00:00Z").asStored(), // stored rows do not widen
            obs("bs", "B", "2024-02-29T23:59:59Z"));
    PAssert.that(
            p.apply(Create.of(in).withCoder(Observation.Coder.of())).apply(TouchedSpans.of(config)))
        .containsInAnyOrder(
            KV.of("bs\u0000A", KV.of(at("2024-01-01T00:00:00Z"), at("2024-04-01T00:00:00Z"))),
            KV.of("bs\u0000B", KV.of(at("2024-02-01T00:00:00Z"), at("2024-03-01T00:00:00Z"))));
    p.run().waitUntilFinish();
  }

  @Test
  void resampleWidensTheSpanByItsContext(TestPipeline p) {
    SourceConfig s = new SourceConfig();
    s.name = "oil";
    s.type = SourceType.FRED;
    s.windows = List.of("P1M");
    s.resample = new dev.tslake.config.ResampleConfig();
    s.resample.every = "P1D";
    s.resample.fill = "linear";
    s.resample.maxGap = "P3D";
    PipelineConfig config = new PipelineConfig();
    config.sources = List.of(s);
    long context = (2 * 3 + 2) * 86_400_000L; // twice maxGap, two cells
    PAssert.that(
            p.apply(
                    Create.of(List.of(obs("oil", "W", "2025-10-13T00:00:00Z")))
                        .withCoder(Observation.Coder.of()))
                .apply(TouchedSpans.of(config)))
        .containsInAnyOrder(
            KV.of(
                "oil\u0000W",
                KV.of(at("2025-10-01T00:00:00Z") - context, at("2025-11-01T00:00:00Z") + context)));
    p.run().waitUntilFinish();
  }
}

package dev.tslake.transform;

import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** StreamingDedup on the DirectRunner in streaming mode, fed by TestStream polls. */
@ExtendWith(TestPipelineExtension.class)
class StreamingDedupTest {
  private static final long T0 = Instant.parse("2026-01-01T00:00:00Z").getMillis();
  private static final long HOUR = 3_600_000L;

  private static Observation obs(long ts, double value, long vintage, int poll) {
    return new Observation("s", "x", ts, value, vintage, "poll " + poll, "line 1");
  }

  private static TimestampedValue<Observation> at(Observation o) {
    return TimestampedValue.of(o, new Instant(o.ts));
  }

  @Test
  void keepsNewestVintageAndForgetsExpiredKeys(TestPipeline p) {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    Observation first = obs(T0, 1.0, T0 + 10, 1);
    Observation again = obs(T0, 1.0, T0 + 10, 2); // the same point re-polled
    Observation revised = obs(T0, 1.5, T0 + 20, 3); // a newer vintage
    Observation older = obs(T0, 0.5, T0 + 5, 4); // an older vintage arriving late
    Observation other = obs(T0 + HOUR, 2.0, T0 + 10, 1);
    Observation afterExpiry = obs(T0, 1.5, T0 + 20, 9); // after the key's state expired
    TestStream<Observation> polls =
        TestStream.create(Observation.Coder.of())
            .addElements(at(first), at(other))
            .addElements(at(again))
            .addElements(at(revised))
            .addElements(at(older))
            .advanceWatermarkTo(new Instant(T0 + 30 * 60_000L)) // T0 still within lateness
            .addElements(at(again))
            .advanceWatermarkTo(new Instant(T0 + HOUR + 60_000L)) // T0 + 1 h: T0's key expired
            .addElements(at(afterExpiry))
            .advanceWatermarkToInfinity();
    PCollectionTuple out =
        p.apply(polls)
            .apply(StreamingDedup.create().withAllowedLateness(Duration.standardHours(1)));
    PAssert.that(out.get(StreamingDedup.LATEST))
        .containsInAnyOrder(first, other, revised, afterExpiry);
    PAssert.that(out.get(StreamingDedup.SUPERSEDED))
        .containsInAnyOrder(1L, 1L, 1L); // again (twice) and older
    p.run().waitUntilFinish();
  }

  @Test
  void sameVintageWithAnotherValueReplaces() {
    Observation a = obs(T0, 1.0, Observation.UNKNOWN_VINTAGE, 1);
    Observation b = obs(T0, 2.0, Observation.UNKNOWN_VINTAGE, 2);
    org.junit.jupiter.api.Assertions.assertTrue(StreamingDedup.replaces(b, a));
    org.junit.jupiter.api.Assertions.assertFalse(StreamingDedup.replaces(a.asStored(), a));
  }
}

package dev.tslake.transform;

import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code withShards(0)}: one group per key gives the same winners as hash shards. */
@ExtendWith(TestPipelineExtension.class)
class DedupPerKeyTest {
  private static Observation o(String series, String ts, double v, String vintage, String locator) {
    return new Observation(
        "fred",
        series,
        Instant.parse(ts).toEpochMilli(),
        v,
        Instant.parse(vintage).toEpochMilli(),
        "f.json",
        locator);
  }

  @Test
  void oneGroupPerKeyPicksTheSameWinners(TestPipeline p) {
    Observation old = o("PAYEMS", "2023-03-01T00:00:00Z", 155420, "2023-05-05T00:00:00Z", "a");
    Observation revised = o("PAYEMS", "2023-03-01T00:00:00Z", 155472, "2023-07-18T00:00:00Z", "b");
    Observation april = o("PAYEMS", "2023-04-01T00:00:00Z", 155689, "2023-07-18T00:00:00Z", "c");
    Observation other = o("UNRATE", "2023-03-01T00:00:00Z", 3.5, "2023-05-05T00:00:00Z", "d");
    for (int shards : new int[] {0, 64}) {
      PCollectionTuple out =
          p.apply(
                  "In" + shards,
                  Create.of(List.of(old, revised, april, other)).withCoder(Observation.Coder.of()))
              .apply("Dedup" + shards, DedupLatestVintage.create().withShards(shards));
      PAssert.that("Latest" + shards, out.get(DedupLatestVintage.LATEST))
          .containsInAnyOrder(revised, april, other);
      PAssert.thatSingleton(
              "Superseded" + shards,
              out.get(DedupLatestVintage.SUPERSEDED).apply("Sum" + shards, Sum.longsGlobally()))
          .isEqualTo(1L);
    }
    p.run().waitUntilFinish();
  }
}

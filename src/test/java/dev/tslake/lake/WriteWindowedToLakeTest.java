package dev.tslake.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.testing.TestPipelineExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Windowed raw files written in streaming, replayed in batch by ReadRawLake. */
@ExtendWith(TestPipelineExtension.class)
class WriteWindowedToLakeTest {
  private static final long T0 = Instant.parse("2026-03-01T23:58:00Z").getMillis();

  @TempDir Path tmp;

  private static RawRecord raw(String source, String series, int i) {
    return RawRecord.of(
        source, "poll " + i, "item " + i, series, "2026-03-01T00:0" + i + ":00Z", "" + i, null);
  }

  private static SourceConfig source(String name) {
    SourceConfig s = new SourceConfig();
    s.name = name;
    s.type = SourceType.CSV;
    return s;
  }

  @Test
  void panesBecomeFilesThatReadRawLakeReplays(TestPipeline p) throws IOException {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    String lake = tmp.resolve("lake").toString() + "/";
    List<RawRecord> all = new ArrayList<>();
    TestStream.Builder<RawRecord> stream = TestStream.create(RawRecord.Coder.of());
    for (int i = 0; i < 6; i++) { // 23:58:00 .. 00:00:30: three one-minute windows, two dates
      RawRecord r = raw(i % 2 == 0 ? "s" : "t", "x" + i % 3, i);
      all.add(r);
      stream = stream.addElements(TimestampedValue.of(r, new Instant(T0 + i * 30_000L)));
    }
    stream = stream.advanceWatermarkTo(new Instant(T0 + 5 * 60_000L));
    RawRecord late = raw("s", "x0", 7); // in the first window, after it fired: a second pane
    all.add(late);
    stream = stream.addElements(TimestampedValue.of(late, new Instant(T0 + 1_000L)));
    p.apply(stream.advanceWatermarkToInfinity())
        .apply(WriteToLake.rawWindowed(lake, "run-s", Duration.standardMinutes(1)));
    p.run().waitUntilFinish();

    List<String> files;
    try (Stream<Path> walk = Files.walk(Path.of(lake, "raw"))) {
      files =
          walk.filter(Files::isRegularFile)
              .map(f -> Path.of(lake).relativize(f).toString())
              .sorted()
              .collect(Collectors.toList());
    }
    assertEquals(
        List.of(
            "raw/source=s/ingest_date=2026-03-01/run_id=run-s/@w20260301T235800Z-20260301T235900Z-p0.csv",
            "raw/source=s/ingest_date=2026-03-01/run_id=run-s/@w20260301T235800Z-20260301T235900Z-p1.csv",
            "raw/source=s/ingest_date=2026-03-01/run_id=run-s/@w20260301T235900Z-20260302T000000Z-p0.csv",
            "raw/source=s/ingest_date=2026-03-02/run_id=run-s/@w20260302T000000Z-20260302T000100Z-p0.csv",
            "raw/source=t/ingest_date=2026-03-01/run_id=run-s/@w20260301T235800Z-20260301T235900Z-p0.csv",
            "raw/source=t/ingest_date=2026-03-01/run_id=run-s/@w20260301T235900Z-20260302T000000Z-p0.csv",
            "raw/source=t/ingest_date=2026-03-02/run_id=run-s/@w20260302T000000Z-20260302T000100Z-p0.csv"),
        files);
    assertTrue(
        Files.readAllLines(Path.of(lake, files.get(1)))
            .get(0)
            .equals(String.join(",", RawRecord.CSV_HEADER)));

    PipelineConfig config = new PipelineConfig();
    config.sources = List.of(source("s"), source("t"));
    Pipeline replay = Pipeline.create(PipelineOptionsFactory.create());
    TupleTag<RawRecord> rawTag = new TupleTag<>("raw");
    TupleTag<SeriesInfo> seriesTag = new TupleTag<>("series");
    PAssert.that(
            replay
                .apply(ReadRawLake.of(lake, config, null).withOutputTags(rawTag, seriesTag))
                .get(rawTag))
        .containsInAnyOrder(all);
    replay.run().waitUntilFinish();
  }
}

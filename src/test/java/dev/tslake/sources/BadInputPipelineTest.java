package dev.tslake.sources;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.Reject;
import dev.tslake.model.SeriesInfo;
import dev.tslake.testing.TestPipelineExtension;
import dev.tslake.transform.ValidateAndClean;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through ReadSources and ValidateAndClean: a stray CSV quote, an absurd FRED vintage and date, and
 * bad series metadata rows each cost one rejected record; the run and the other records go on.
 */
@ExtendWith(TestPipelineExtension.class)
class BadInputPipelineTest {
  @Test
  void badInputCostsItsOwnRecordNeverTheRun(TestPipeline p, @TempDir Path dir) throws IOException {
    StringBuilder csv = new StringBuilder("time,name,reading\n");
    for (int line = 2; line <= 1000; line++) {
      csv.append(
              line == 10
                  ? "2024-01-01T00:00:00Z,s,\"10"
                  : String.format("2024-01-01T%02d:%02d:00Z,s,%d", line / 60 % 24, line % 60, line))
          .append('\n');
    }
    Path csvFile = dir.resolve("readings.csv");
    Files.writeString(csvFile, csv, StandardCharsets.UTF_8);
    SourceConfig c = new SourceConfig();
    c.name = "c";
    c.type = SourceType.CSV;
    c.files.add(FileEntry.of(csvFile.toString()));
    c.timestampColumn = "time";
    c.seriesColumn = "name";
    c.valueColumns = new ArrayList<>(List.of("reading"));

    Path obs = dir.resolve("X.json");
    Files.writeString(
        obs,
        "{\"observations\":["
            + "{\"realtime_start\":\"+300000000-01-01\",\"date\":\"2020-01-01\",\"value\":\"1\"},"
            + "{\"realtime_start\":\"2023-07-18\",\"date\":\"+300000000-01-01\",\"value\":\"2\"},"
            + "{\"realtime_start\":\"2023-07-18\",\"date\":\"2020-03-01\",\"value\":\"3\"}]}");
    Path meta = dir.resolve("meta.json");
    Files.writeString(
        meta,
        "{\"seriess\":[{\"id\":\"\"},{\"id\":\"A\\u0000B\"},{\"id\":\"X\",\"units\":\"u\"}]}");
    SourceConfig f = new SourceConfig();
    f.name = "f";
    f.type = SourceType.FRED;
    f.files.add(new FileEntry(obs.toString(), "X", null));
    f.metadataFiles.add(FileEntry.of(meta.toString()));

    PipelineConfig cfg = new PipelineConfig();
    cfg.sources = List.of(c, f);
    PCollectionTuple read = p.apply(ReadSources.from(cfg));
    PCollectionTuple validated = read.get(ReadSources.RAW).apply(ValidateAndClean.of(cfg));
    PAssert.thatSingleton(read.get(ReadSources.RAW).apply("CountRead", Count.globally()))
        .isEqualTo(999L + 3 + 2);
    PAssert.thatSingleton(
            validated.get(ValidateAndClean.VALID).apply("CountValid", Count.globally()))
        .isEqualTo(998L + 1);
    PAssert.that(
            validated
                .get(ValidateAndClean.REJECTED)
                .apply(
                    "RejectLocators",
                    MapElements.into(TypeDescriptors.strings())
                        .via((Reject r) -> r.record.source + " " + r.record.locator)))
        .containsInAnyOrder(
            "c line 10", "f observations[0]", "f observations[1]", "f seriess[0]", "f seriess[1]");
    PAssert.that(
            read.get(ReadSources.SERIES)
                .apply(
                    "SeriesUnits",
                    MapElements.into(TypeDescriptors.strings())
                        .via((SeriesInfo s) -> s.seriesId + " " + s.units)))
        .containsInAnyOrder("X u");
    p.run().waitUntilFinish();
  }
}

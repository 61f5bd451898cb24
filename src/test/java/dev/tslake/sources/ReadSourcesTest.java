package dev.tslake.sources;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class ReadSourcesTest {
  private static String abs(String p) {
    return Path.of(p).toAbsolutePath().toString();
  }

  private static PipelineConfig fred(String... patterns) {
    SourceConfig s = new SourceConfig();
    s.name = "fred";
    s.type = SourceType.FRED;
    for (String p : patterns) {
      s.files.add(FileEntry.of(abs(p)));
    }
    s.metadataFiles.add(FileEntry.of(abs("testdata/fred/series_metadata_DGS2_2022-12-09.json")));
    PipelineConfig c = new PipelineConfig();
    c.sources = List.of(s);
    return c;
  }

  @Test
  void filesMatchedTwiceAreReadOnceAndNameTheirSeries() {
    List<FileTask> tasks =
        ReadSources.expandFiles(
            fred(
                "testdata/fred/PAYEMS_*.json",
                "testdata/fred/PAYEMS_obs_asc_from1999_vintage2023-07-18.json"));
    assertEquals(3, tasks.size(), tasks.toString()); // two PAYEMS vintages + metadata
    assertEquals("PAYEMS", tasks.get(0).seriesIdHint);
  }

  @Test
  void aPatternMatchingNothingFailsWithTheSourceAndPattern() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ReadSources.expandFiles(fred("testdata/fred/NOPE_*.json")));
    assertThat(e.getMessage(), containsString("source 'fred'"));
    assertThat(e.getMessage(), containsString("NOPE_*.json"));
    assertThat(e.getMessage(), containsString("matched no files"));
  }

  @Test
  void readsEveryRecordAndTheSeriesMetadata(TestPipeline p) {
    PCollectionTuple read = p.apply(ReadSources.from(fred("testdata/fred/PAYEMS_*.json")));
    // 292 + 294 observations in the two real vintages
    PAssert.thatSingleton(read.get(ReadSources.RAW).apply(Count.globally())).isEqualTo(586L);
    PAssert.thatSingleton(
            read.get(ReadSources.RAW)
                .apply(Filter.by((RawRecord r) -> r.error != null))
                .apply("CountErrors", Count.globally()))
        .isEqualTo(0L);
    PAssert.that(read.get(ReadSources.SERIES))
        .satisfies(
            infos -> {
              SeriesInfo only = infos.iterator().next();
              assertEquals("DGS2", only.seriesId);
              assertEquals("Percent", only.units);
              return null;
            });
    p.run().waitUntilFinish();
  }
}

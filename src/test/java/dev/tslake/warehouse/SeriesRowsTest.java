package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.config.FileEntry;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.Observation;
import dev.tslake.model.SeriesInfo;
import dev.tslake.testing.TestPipelineExtension;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class SeriesRowsTest {
  static final TupleTag<Observation> OBS = new TupleTag<Observation>() {};
  static final TupleTag<SeriesInfo> INFO = new TupleTag<SeriesInfo>() {};

  @Test
  void joinsMetadataWithTheObservedSpan(TestPipeline p) {
    SourceConfig csv = new SourceConfig();
    csv.name = "meter";
    csv.type = SourceType.CSV;
    csv.units = "kWh";
    csv.files.add(FileEntry.of("x.csv"));
    SourceConfig fred = new SourceConfig();
    fred.name = "fred";
    fred.type = SourceType.FRED;
    fred.files.add(FileEntry.of("x.json"));
    PipelineConfig config = new PipelineConfig();
    config.sources = List.of(csv, fred);

    PCollection<Observation> obs =
        p.apply(
            "Obs",
            Create.of(
                    new Observation("fred", "DGS2", 1000L, 1.0, 5L, "o", "a"),
                    new Observation("fred", "DGS2", 3000L, null, 5L, "o", "b"),
                    new Observation("fred", "DGS2", 2000L, 2.0, 5L, "o", "c"),
                    new Observation(
                        "meter", "MAC001.kwh", 7000L, 0.2, Observation.UNKNOWN_VINTAGE, "o", "d"))
                .withCoder(Observation.Coder.of()));
    PCollection<SeriesInfo> info =
        p.apply(
            "Info",
            Create.of(
                    new SeriesInfo(
                        "fred",
                        "DGS2",
                        "old title",
                        "Percent",
                        "Daily",
                        "NSA",
                        "2022-01-01 10:00:00-06"),
                    new SeriesInfo(
                        "fred",
                        "DGS2",
                        "2-Year",
                        "Percent",
                        "Daily",
                        "NSA",
                        "2022-12-09 15:25:09-06"),
                    new SeriesInfo(
                        "fred",
                        "DGS10",
                        "10-Year",
                        "Percent",
                        "Daily",
                        "NSA",
                        "2022-12-09 15:25:09-06"))
                .withCoder(SeriesInfo.coder()));
    PCollection<SeriesRow> rows =
        PCollectionTuple.of(OBS, obs).and(INFO, info).apply(SeriesRows.of(config, OBS, INFO));

    PAssert.that(rows)
        .satisfies(
            all -> {
              Map<String, String> byId = new TreeMap<>();
              for (SeriesRow r : all) {
                byId.put(
                    r.source + "/" + r.seriesId,
                    r.title
                        + "|"
                        + r.units
                        + "|"
                        + r.lastUpdated
                        + "|"
                        + r.firstTs
                        + "|"
                        + r.lastTs);
              }
              Map<String, String> expected =
                  new TreeMap<>(
                      Map.of(
                          "fred/DGS2", "2-Year|Percent|2022-12-09 15:25:09-06|1000|3000",
                          "fred/DGS10", "10-Year|Percent|2022-12-09 15:25:09-06|null|null",
                          "meter/MAC001.kwh", "null|kWh|null|7000|7000"));
              assertEquals(expected, byId);
              return null;
            });
    p.run().waitUntilFinish();
  }

  /**
   * In a continuous run a pane of the per-series metadata combine may be empty, and combining
   * nothing gives null: the join skips it (the soak test's first failure: an NPE).
   */
  @Test
  void newestSkipsTheNullOfAnEmptyPane() {
    SeriesInfo old =
        new SeriesInfo("fred", "DGS2", "old", "Percent", "Daily", "NSA", "2022-01-01 10:00:00-06");
    SeriesInfo recent =
        new SeriesInfo("fred", "DGS2", "new", "Percent", "Daily", "NSA", "2022-12-09 15:25:09-06");
    assertEquals(null, SeriesRows.newest(java.util.Arrays.asList((SeriesInfo) null)));
    assertEquals(null, SeriesRows.newest(List.of()));
    assertEquals(recent, SeriesRows.newest(java.util.Arrays.asList(null, old, null, recent)));
    assertEquals(recent, SeriesRows.newest(java.util.Arrays.asList(recent, null, old)));
  }
}

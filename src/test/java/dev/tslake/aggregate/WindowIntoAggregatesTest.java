package dev.tslake.aggregate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * WindowIntoAggregates (Window.into(SpecWindows) + Combine.perKey per window size) gives exactly
 * the rows the batch job computed before it (WindowedAggregatesReference) on the default config:
 * Bitstamp's daily BTC/USD (P1W, P1M, P1Y), with missing values and rows read back from the
 * warehouse, plus monthly FRED-like points from 1919 to 1975 (P1M, P3M, P1Y across the epoch).
 */
@ExtendWith(TestPipelineExtension.class)
class WindowIntoAggregatesTest {
  private static final DateTimeFormatter BITSTAMP_TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** The Bitstamp csv as the default config reads it: series {@code BTC/USD.<column>}. */
  static List<Observation> bitstamp() throws Exception {
    Path file = Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
    List<Observation> out = new ArrayList<>();
    long readBackBefore = java.time.Instant.parse("2016-01-01T00:00:00Z").toEpochMilli();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      ((java.io.BufferedReader) r).readLine(); // skipLines: 1
      int line = 2;
      for (CSVRecord rec :
          CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
        line++;
        long ts =
            LocalDateTime.parse(rec.get("date"), BITSTAMP_TS)
                .toInstant(ZoneOffset.UTC)
                .toEpochMilli();
        for (String column : List.of("open", "high", "low", "close")) {
          Double value = line % 97 == 0 ? null : Double.valueOf(rec.get(column));
          out.add(
              new Observation(
                  "bitstamp",
                  rec.get("symbol") + "." + column,
                  ts,
                  value,
                  Observation.UNKNOWN_VINTAGE,
                  file.toString(),
                  "line " + line + " " + column,
                  ts < readBackBefore));
        }
      }
    }
    return out;
  }

  /** Monthly points of two FRED-like series from 1919 to 1975, some missing. */
  static List<Observation> fredAcrossTheEpoch() {
    List<Observation> out = new ArrayList<>();
    int i = 0;
    for (LocalDate d = LocalDate.of(1919, 1, 1); d.getYear() < 1976; d = d.plusMonths(1), i++) {
      long ts = d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
      out.add(new Observation("fred", "CPI", ts, 10.0 + i * 0.1, 0L, "f", "m" + i));
      out.add(
          new Observation(
              "fred",
              "UNRATE",
              ts + 3600_000L,
              i % 11 == 0 ? null : (double) (i % 13),
              0L,
              "f",
              "u" + i));
    }
    return out;
  }

  @Test
  void sameRowsAsBeforeOnTheDefaultConfig(TestPipeline p) throws Exception {
    PipelineConfig config = PipelineConfig.load(Path.of("testdata/tslake.json"));
    List<Observation> in = new ArrayList<>(bitstamp());
    in.addAll(fredAcrossTheEpoch());
    assertTrue(in.size() > 10_000, "bitstamp rows: " + in.size());
    PCollection<Observation> observations = p.apply(Create.of(in));

    PCollection<String> today =
        observations
            .apply("Today", WindowedAggregatesReference.of(config))
            .apply(
                "TodayText", MapElements.into(TypeDescriptors.strings()).via(Aggregate::toString));
    PCollection<String> windowFn =
        observations
            .apply("WindowInto", WindowIntoAggregates.of(config))
            .apply(
                "WindowIntoText",
                MapElements.into(TypeDescriptors.strings()).via(Aggregate::toString));

    // Every row once on each side, nothing else.
    PCollection<String> mismatches =
        PCollectionList.of(tagged("TagToday", today, "today"))
            .and(tagged("TagWindowInto", windowFn, "windowFn"))
            .apply(Flatten.pCollections())
            .apply(GroupByKey.create())
            .apply(
                "NotOnePerSide",
                Filter.by(
                    (KV<String, Iterable<String>> kv) -> {
                      List<String> sides = new ArrayList<>();
                      kv.getValue().forEach(sides::add);
                      sides.sort(null);
                      return !sides.equals(List.of("today", "windowFn"));
                    }))
            .apply(
                "Describe",
                MapElements.into(TypeDescriptors.strings())
                    .via(kv -> kv.getValue() + " " + kv.getKey()));
    PAssert.that(mismatches).empty();

    // Non-trivial: weeks, months and years of four bitstamp series, and 1919-1975 FRED windows.
    PAssert.thatSingleton(today.apply("CountToday", Count.globally()))
        .satisfies(
            n -> {
              assertTrue(n > 4 * 300, "rows: " + n);
              return null;
            });
    PAssert.thatSingleton(
            windowFn
                .apply(
                    "Pre1970",
                    Filter.by((String s) -> s.startsWith("Aggregate{fred/CPI P1Y [1959-01-01T")))
                .apply("CountPre1970", Count.globally()))
        .isEqualTo(1L);
    p.run().waitUntilFinish();
  }

  private static PCollection<KV<String, String>> tagged(
      String name, PCollection<String> rows, String tag) {
    return rows.apply(
        name,
        MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
            .via(s -> KV.of(s, tag)));
  }
}

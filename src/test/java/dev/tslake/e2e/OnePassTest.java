package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tslake.testing.AggregatesInvariant;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one-pass batch graph ({@code --onePass}) stores what the staged graph stores: the same rows
 * in every table, the same raw lake files, the same rejects with the same reasons, the same
 * accounting.
 *
 * <p>Real data: every text-file source of the default job (testdata/tslake.json: FRED JSON with
 * {@code "."} and metadata, FRED CSV vintages that revise each other, Alpha Vantage, CoinDesk,
 * Bitstamp newest-first, Gemini's Excel-mangled timestamps, NYC taxi in two layouts), with its
 * resample, rolling windows and checks left out (runs with those take the staged graph), and the
 * csv sources read in small line ranges. Groups of 7,777 hours (about 324 days, not a whole number
 * of days) and of whole series: windows of a day, week, a month, a year span many groups, so their
 * statistics are merged from partial folds.
 */
@Tag("integration")
class OnePassTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DATE = "2026-12-03";

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("onepass");

  /** The default job's text-file sources, paths absolute, csv sources split into small ranges. */
  private Path config() throws IOException {
    Path testdata = Path.of("testdata").toAbsolutePath();
    ObjectNode root = (ObjectNode) JSON.readTree(testdata.resolve("tslake.json").toFile());
    for (JsonNode s : root.get("sources")) {
      ObjectNode source = (ObjectNode) s;
      source.remove(List.of("resample", "checks", "rolling"));
      absolute(source, "files", testdata);
      absolute(source, "metadataFiles", testdata);
      if ("csv".equals(source.get("type").asText())) {
        source.put("splitBytes", 2048);
      }
    }
    Path p = dir.resolve("onepass.json");
    JSON.writeValue(p.toFile(), root);
    return p;
  }

  private static void absolute(ObjectNode source, String field, Path base) {
    if (!source.has(field)) {
      return;
    }
    ArrayNode files = (ArrayNode) source.get(field);
    for (int i = 0; i < files.size(); i++) {
      JsonNode f = files.get(i);
      if (f.isTextual()) {
        files.set(i, TextNode.valueOf(base.resolve(f.asText()).toString()));
      } else {
        ((ObjectNode) f).put("path", base.resolve(f.get("path").asText()).toString());
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"duckdb, PT7777H", "duckdb, series", "postgres, PT7777H"})
  void storesWhatTheStagedGraphStores(String kind, String bucket) throws IOException {
    Path config = config();
    WarehouseSpec staged = warehouses.of(kind, "staged");
    RunRecord expected =
        BatchRuns.run(staged, dir.resolve("lake-staged"), config, "run-1", DATE, "--onePass=false");
    WarehouseSpec one = warehouses.of(kind, "one");
    RunRecord actual =
        BatchRuns.run(
            one,
            dir.resolve("lake-one"),
            config,
            "run-1",
            DATE,
            "--onePass=true",
            "--onePassBucket=" + bucket);

    assertTrue(expected.settled(), expected.accountingMessage());
    assertTrue(actual.settled(), actual.accountingMessage());
    assertEquals(expected.counts(), actual.counts());
    assertTrue(expected.counts().get("records_rejected") > 0, "the data has bad rows");
    assertTrue(expected.counts().get("duplicates_superseded") > 0, "the data has revisions");
    assertSameTables(staged, one);
    assertEquals(
        AggregatesInvariant.staleAggregates(staged), AggregatesInvariant.staleAggregates(one));
    assertEquals(List.of(), AggregatesInvariant.staleAggregates(one));
    assertEquals(List.of(), AggregatesInvariant.staleSeriesSpans(one));
    assertEquals(
        lakeFiles(dir.resolve("lake-staged"), "raw"), lakeFiles(dir.resolve("lake-one"), "raw"));
    assertEquals(
        lakeLines(dir.resolve("lake-staged"), "rejected"),
        lakeLines(dir.resolve("lake-one"), "rejected"));
  }

  /** Replaying a one-pass run's lake into an empty warehouse gives back that warehouse. */
  @Test
  void itsLakeReplaysIntoTheSameWarehouse() throws IOException {
    Path config = config();
    Path lake = dir.resolve("lake");
    WarehouseSpec one = warehouses.of("duckdb", "one");
    BatchRuns.run(one, lake, config, "run-1", DATE, "--onePass=true", "--onePassBucket=PT7777H");
    WarehouseSpec replayed = warehouses.of("duckdb", "replayed");
    BatchRuns.run(replayed, lake, config, "replay", "2026-12-04", "--replayFromLake=true");
    assertEquals(WarehouseDump.observations(one), WarehouseDump.observations(replayed));
    assertEquals(WarehouseDump.aggregates(one), WarehouseDump.aggregates(replayed));
    assertEquals(vintages(one), vintages(replayed));
  }

  private static List<String> vintages(WarehouseSpec wh) {
    return WarehouseDump.rows(
        wh,
        "SELECT source, series_id, ts, vintage, \"value\", origin, locator"
            + " FROM observation_vintages ORDER BY 1, 2, 3, 4");
  }

  private static void assertSameTables(WarehouseSpec expected, WarehouseSpec actual) {
    assertTrue(WarehouseDump.observations(expected).size() > 10_000, "too little data");
    assertEquals(WarehouseDump.observations(expected), WarehouseDump.observations(actual));
    assertEquals(WarehouseDump.aggregates(expected), WarehouseDump.aggregates(actual));
    assertTrue(vintages(expected).size() > 100, "the data has vintages");
    assertEquals(vintages(expected), vintages(actual));
    String series =
        "SELECT source, series_id, title, units, frequency, seasonal_adjustment, last_updated,"
            + " first_ts, last_ts FROM series ORDER BY 1, 2";
    assertEquals(WarehouseDump.rows(expected, series), WarehouseDump.rows(actual, series));
    String rejects =
        "SELECT run_id, stage, reason, source, origin, locator, series_id, ts, \"value\", vintage"
            + " FROM rejects ORDER BY origin, locator, reason";
    List<String> rejected = WarehouseDump.rows(expected, rejects);
    assertTrue(rejected.size() > 0, "the data has bad rows");
    assertEquals(rejected, WarehouseDump.rows(actual, rejects));
  }

  /** Path under the lake's zone -> the file's text. */
  private static Map<String, String> lakeFiles(Path lake, String zone) throws IOException {
    Map<String, String> files = new TreeMap<>();
    Path root = lake.resolve(zone);
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(f).toString(), Files.readString(f, StandardCharsets.UTF_8));
      }
    }
    assertTrue(files.size() > 10, "few lake files under " + root + ": " + files.keySet());
    return files;
  }

  /** Every line of a zone's files, sorted (its files are cut by bundle, not by input). */
  private static List<String> lakeLines(Path lake, String zone) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(lake.resolve(zone))) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
      }
    }
    Collections.sort(lines);
    return lines;
  }
}

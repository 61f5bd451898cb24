package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.FakeApiServer;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Vintage history: {@code observation_vintages} keeps every distinct vintage read (from files, from
 * the lake, from live FRED/ALFRED), and {@code as_of(t)} answers what was known at {@code t}, in
 * DuckDB and PostgreSQL.
 *
 * <p>Real data: the two PAYEMS vintages under testdata/fred (2023-05-05 and 2023-07-18; FRED
 * revised March and April 2023 between them). Expected values are read from those files here.
 */
@Tag("integration")
class VintageHistoryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MAY = "PAYEMS_obs_asc_from1999_vintage2023-05-05.json";
  private static final String JULY = "PAYEMS_obs_asc_from1999_vintage2023-07-18.json";
  private static final String FRED_KEY = "fredkey-0123456789abcdef0123456789abcdef";

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("vintages");

  private RunRecord run(
      WarehouseSpec wh, Path lake, Path config, String runId, String date, String... extra) {
    return BatchRuns.run(wh, lake, config, runId, date, extra);
  }

  private Path fredConfig(String name, String... files) throws IOException {
    String list =
        java.util.Arrays.stream(files)
            .map(f -> "\"" + Path.of("testdata/fred", f).toAbsolutePath() + "\"")
            .collect(Collectors.joining(", "));
    return config(
        name,
        "{\"sources\": [{\"name\": \"fred\", \"type\": \"fred\", \"windows\": [\"P1M\"],"
            + " \"files\": ["
            + list
            + "]}]}");
  }

  private Path config(String name, String json) throws IOException {
    Path p = dir.resolve(name + ".json");
    Files.writeString(p, json);
    return p;
  }

  /** date -> value of a recorded FRED response, by a plain loop over the file. */
  private static Map<String, String> values(String file) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode o : JSON.readTree(Path.of("testdata/fred", file).toFile()).get("observations")) {
      out.put(o.get("date").asText(), o.get("value").asText());
    }
    return out;
  }

  private static List<String> vintages(WarehouseSpec wh) {
    return WarehouseDump.rows(
        wh,
        "SELECT source, series_id, ts, vintage, \"value\", origin, locator"
            + " FROM observation_vintages ORDER BY source, series_id, ts, vintage");
  }

  /** PAYEMS at {@code date} as known at {@code asOf}: "value | vintage" rows (none or one). */
  private static List<String> asOf(WarehouseSpec wh, String date, String asOf) {
    return WarehouseDump.rows(
        wh,
        "SELECT \"value\", vintage FROM as_of(TIMESTAMPTZ '"
            + asOf
            + " 00:00:00+00') WHERE source = 'fred' AND series_id = 'PAYEMS' AND ts = TIMESTAMPTZ"
            + " '"
            + date
            + " 00:00:00+00'");
  }

  private static String num(String fredValue) {
    return Double.toString(Double.parseDouble(fredValue));
  }

  /** The PAYEMS revision of March 2023, as of before, between and after its two vintages. */
  private static void assertPayemsAsOf(WarehouseSpec wh) throws IOException {
    String may = values(MAY).get("2023-03-01");
    String july = values(JULY).get("2023-03-01");
    assertTrue(!may.equals(july), "the files do not revise March 2023");
    assertEquals(
        List.of(num(may) + " | 2023-05-05T00:00:00Z"), asOf(wh, "2023-03-01", "2023-05-10"));
    assertEquals(
        List.of(num(july) + " | 2023-07-18T00:00:00Z"), asOf(wh, "2023-03-01", "2023-07-20"));
    assertEquals(List.of(), asOf(wh, "2023-03-01", "2023-05-01"));
    // published on the day itself: that day's vintage is known from its start
    assertEquals(
        List.of(num(may) + " | 2023-05-05T00:00:00Z"), asOf(wh, "2023-03-01", "2023-05-05"));
    // May 2023 was first published in the July file: unknown as of 2023-05-10
    assertEquals(List.of(), asOf(wh, "2023-05-01", "2023-05-10"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void everyVintageIsKeptAndAsOfSeesNoRevisionBeforeItsPublication(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "both");
    Path config = fredConfig("both", MAY, JULY);
    run(wh, dir.resolve("lake"), config, "both", "2026-01-01");

    Map<String, String> may = values(MAY);
    Map<String, String> july = values(JULY);
    assertEquals(
        may.size() + july.size(),
        WarehouseDump.count(wh, "SELECT count(*) FROM observation_vintages"));
    assertEquals(
        july.size(),
        WarehouseDump.count(
            wh,
            "SELECT count(*) FROM observations WHERE source = 'fred' AND series_id = 'PAYEMS'"));
    // observations keeps the latest vintage only
    assertEquals(
        List.of(num(july.get("2023-03-01"))),
        WarehouseDump.rows(
            wh,
            "SELECT \"value\" FROM observations WHERE series_id = 'PAYEMS'"
                + " AND ts = TIMESTAMPTZ '2023-03-01 00:00:00+00'"));
    assertPayemsAsOf(wh);
    // as_of over every month: the July vintage where it exists, else nothing newer than it
    assertEquals(
        july.size(),
        WarehouseDump.count(
            wh, "SELECT count(*) FROM as_of(TIMESTAMPTZ '2023-07-18 00:00:00+00')"));
    assertEquals(
        may.size(),
        WarehouseDump.count(
            wh, "SELECT count(*) FROM as_of(TIMESTAMPTZ '2023-07-17 23:59:59+00')"));

    // a rerun of the same inputs changes nothing
    List<String> before = vintages(wh);
    run(wh, dir.resolve("lake"), config, "again", "2026-01-02");
    assertEquals(before, vintages(wh));
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void runsInAnyOrderAndAReplayOfTheLakeGiveTheSameHistory(String kind) throws IOException {
    // the newer vintage first, the older one arriving late: history still gets both
    WarehouseSpec wh = warehouses.of(kind, "split");
    Path lake = dir.resolve("lake");
    run(wh, lake, fredConfig("july", JULY), "july", "2026-01-01");
    run(wh, lake, fredConfig("may", MAY), "may", "2026-01-02");
    assertPayemsAsOf(wh);

    WarehouseSpec once = warehouses.of(kind, "once");
    run(once, dir.resolve("lake-once"), fredConfig("both", MAY, JULY), "once", "2026-01-01");
    assertEquals(vintages(once), vintages(wh));

    // the whole lake replayed into an empty warehouse reproduces the history
    WarehouseSpec replay = warehouses.of(kind, "replay");
    run(
        replay,
        lake,
        fredConfig("both", MAY, JULY),
        "replay",
        "2026-01-03",
        "--replayFromLake=true");
    assertEquals(vintages(wh), vintages(replay));
    assertPayemsAsOf(replay);
  }

  /**
   * An ALFRED-style response for PAYEMS built from the two real vintages: one row per real-time
   * period in which a value held (a revised month has two rows, an unrevised one a single row open
   * to 9999-12-31), as FRED answers {@code realtime_start=1776-07-04&realtime_end=9999-12-31}.
   */
  private Path alfredPayems() throws IOException {
    Map<String, String> may = values(MAY);
    Map<String, String> july = values(JULY);
    ObjectNode root = JSON.createObjectNode();
    root.put("realtime_start", "1776-07-04");
    root.put("realtime_end", "9999-12-31");
    root.put("observation_start", "1600-01-01");
    root.put("observation_end", "9999-12-31");
    root.put("units", "lin");
    root.put("output_type", 1);
    root.put("file_type", "json");
    root.put("order_by", "observation_date");
    root.put("sort_order", "asc");
    ArrayNode rows = root.putArray("observations");
    for (Map.Entry<String, String> e : july.entrySet()) {
      String date = e.getKey();
      String old = may.get(date);
      if (old != null && !old.equals(e.getValue())) {
        rows.add(row("2023-05-05", "2023-07-17", date, old));
        rows.add(row("2023-07-18", "9999-12-31", date, e.getValue()));
      } else if (old != null) {
        rows.add(row("2023-05-05", "9999-12-31", date, old));
      } else {
        rows.add(row("2023-07-18", "9999-12-31", date, e.getValue()));
      }
    }
    root.put("count", rows.size());
    Path p = dir.resolve("alfred_PAYEMS.json");
    JSON.writeValue(p.toFile(), root);
    return p;
  }

  private static ObjectNode row(String start, String end, String date, String value) {
    ObjectNode o = JSON.createObjectNode();
    o.put("realtime_start", start);
    o.put("realtime_end", end);
    o.put("date", date);
    o.put("value", value);
    return o;
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void liveFredWithVintagesBackfillsTheHistoryFromAlfred(String kind) throws IOException {
    Path alfred = alfredPayems();
    int periods = JSON.readTree(alfred.toFile()).get("observations").size();
    try (FakeApiServer server = FakeApiServer.start()) {
      server.fredSeries("PAYEMS", Path.of("testdata/fred/series_metadata_DGS2_2022-12-09.json"));
      // only a request for every real-time period gets the ALFRED rows
      server.fredObservations(
          "PAYEMS",
          q ->
              "1776-07-04".equals(q.get("realtime_start"))
                  && "9999-12-31".equals(q.get("realtime_end")),
          alfred,
          100);
      Path config =
          config(
              "live",
              "{\"sources\": [{\"name\": \"fred\", \"type\": \"fred\", \"windows\": [\"P1M\"],"
                  + " \"series\": [\"PAYEMS\"], \"vintages\": true}]}");
      WarehouseSpec wh = warehouses.of(kind, "live");
      RunRecord r =
          run(
              wh,
              dir.resolve("lake"),
              config,
              "live",
              "2026-01-01",
              "--fredBaseUrl=" + server.baseUrl(),
              "--fredApiKey=" + FRED_KEY,
              "--httpBackoffMillis=40");
      assertTrue(r.succeeded(), r.summary());
      assertEquals(periods, WarehouseDump.count(wh, "SELECT count(*) FROM observation_vintages"));
      assertEquals(
          values(JULY).size(), WarehouseDump.count(wh, "SELECT count(*) FROM observations"));
      // observations holds the latest vintage of every month: the July file's values
      List<String> expected = new ArrayList<>();
      for (Map.Entry<String, String> e : values(JULY).entrySet()) {
        expected.add(e.getKey() + "T00:00:00Z | " + num(e.getValue()));
      }
      assertEquals(
          expected, WarehouseDump.rows(wh, "SELECT ts, \"value\" FROM observations ORDER BY ts"));
      assertPayemsAsOf(wh);
      // the key went to FRED but nowhere else
      assertTrue(
          vintages(wh).stream().noneMatch(v -> v.contains(FRED_KEY)), "key in the warehouse");
      try (var files = Files.walk(dir.resolve("lake"))) {
        for (Path f : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
          assertTrue(!Files.readString(f).contains(FRED_KEY), "key in the lake: " + f);
        }
      }
    }
  }
}

package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Table {@code resampled} on real data: FRED's DCOILWTICO (WTI crude, daily on trading days, 60
 * observations 2025-09-02..2025-11-24, "." on the Columbus Day and Veterans Day holidays) on a
 * daily grid with maxGap P3D: a weekend (Friday to Monday, 3 days) is filled, a long weekend
 * (Friday to Tuesday, 4 days) is NULL. Expected values come from a plain loop over the file here.
 */
@Tag("integration")
class ResampleRunTest {
  private static final Path OIL =
      Path.of("testdata/fred/DCOILWTICO_obs_desc_limit60_2025-11-27.json");
  private static final String[] FILLS = {"none", "previous", "linear", "mean"};
  private static final long GAP_DAYS = 3;

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("resample");

  private void run(WarehouseSpec wh, Path config, String runId) {
    RunRecord r = BatchRuns.run(wh, dir.resolve("lake-" + runId), config, runId, "2026-01-01");
    assertTrue(r.succeeded(), r.summary());
  }

  /** One source per fill mode over the same files, daily grid, and a weekly grid. */
  private Path config(String name, List<Path> files) throws IOException {
    String list =
        files.stream().map(f -> "\"" + f.toAbsolutePath() + "\"").collect(Collectors.joining(", "));
    StringBuilder json = new StringBuilder("{\"sources\": [");
    for (String fill : FILLS) {
      json.append("{\"name\": \"oil_")
          .append(fill)
          .append("\", \"type\": \"fred\", \"windows\": [\"P1M\"], \"files\": [")
          .append(list)
          .append("], \"resample\": {\"every\": \"P1D\", \"fill\": \"")
          .append(fill)
          .append("\", \"maxGap\": \"P3D\"}},");
    }
    json.append("{\"name\": \"oil_week\", \"type\": \"fred\", \"files\": [")
        .append(list)
        .append(
            "], \"resample\": {\"every\": \"P1W\", \"fill\": \"linear\", \"maxGap\": \"P14D\"}}");
    json.append("]}");
    Path p = dir.resolve(name + ".json");
    Files.writeString(p, json);
    return p;
  }

  /** The oil file's observations whose date {@code keep} selects, as a FRED JSON file. */
  private Path part(String name, Predicate<LocalDate> keep) throws IOException {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = (ObjectNode) m.readTree(OIL.toFile());
    ArrayNode kept = m.createArrayNode();
    for (JsonNode o : root.get("observations")) {
      if (keep.test(LocalDate.parse(o.get("date").asText()))) {
        kept.add(o);
      }
    }
    root.set("observations", kept);
    Path p = dir.resolve("in").resolve("DCOILWTICO_" + name + ".json");
    Files.createDirectories(p.getParent());
    m.writeValue(p.toFile(), root);
    return p;
  }

  /** The file's observations: date to value, null for FRED's ".". */
  private static TreeMap<LocalDate, Double> oil() throws IOException {
    TreeMap<LocalDate, Double> out = new TreeMap<>();
    for (JsonNode o : new ObjectMapper().readTree(OIL.toFile()).get("observations")) {
      String v = o.get("value").asText();
      out.put(LocalDate.parse(o.get("date").asText()), v.equals(".") ? null : Double.valueOf(v));
    }
    return out;
  }

  /** Expected daily rows "day | value | filled?" by a straightforward loop over the file. */
  private static List<String> expectedDaily(String fill) throws IOException {
    TreeMap<LocalDate, Double> obs = oil();
    List<String> out = new ArrayList<>();
    for (LocalDate d = obs.firstKey(); !d.isAfter(obs.lastKey()); d = d.plusDays(1)) {
      Double own = obs.get(d);
      if (own != null) {
        out.add(d + " | " + own + " | observed");
        continue;
      }
      LocalDate prev = null;
      LocalDate next = null;
      for (Map.Entry<LocalDate, Double> e : obs.entrySet()) {
        if (e.getValue() == null) {
          continue;
        }
        if (e.getKey().isBefore(d)) {
          prev = e.getKey();
        } else if (e.getKey().isAfter(d) && next == null) {
          next = e.getKey();
        }
      }
      Double v = null;
      if (!fill.equals("none")
          && prev != null
          && next != null
          && ChronoUnit.DAYS.between(prev, next) <= GAP_DAYS) {
        double p = obs.get(prev);
        double n = obs.get(next);
        switch (fill) {
          case "previous":
            v = p;
            break;
          case "linear":
            v =
                p
                    + (n - p)
                        * ((double) ChronoUnit.DAYS.between(prev, d)
                            / ChronoUnit.DAYS.between(prev, next));
            break;
          default: // mean: values in [d - maxGap, d + 1 day + maxGap)
            double sum = 0;
            int count = 0;
            for (Map.Entry<LocalDate, Double> e : obs.entrySet()) {
              if (e.getValue() != null
                  && !e.getKey().isBefore(d.minusDays(GAP_DAYS))
                  && e.getKey().isBefore(d.plusDays(1 + GAP_DAYS))) {
                sum += e.getValue();
                count++;
              }
            }
            v = sum / count;
        }
      }
      out.add(d + " | " + v + " | filled");
    }
    return out;
  }

  private static List<String> resampled(WarehouseSpec wh, String source) {
    return WarehouseDump.rows(
            wh,
            "SELECT ts, \"value\", CASE WHEN filled THEN 'filled' ELSE 'observed' END"
                + " FROM resampled WHERE source = '"
                + source
                + "' ORDER BY ts")
        .stream()
        .map(r -> r.replace("T00:00:00Z", ""))
        .collect(Collectors.toList());
  }

  private static List<String> all(WarehouseSpec wh) {
    return WarehouseDump.rows(
        wh,
        "SELECT source, series_id, \"every\", ts, \"value\", filled::TEXT FROM resampled"
            + " ORDER BY 1, 2, 3, 4");
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void fourFillModesOnRealGaps(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "modes");
    run(wh, config("modes", List.of(OIL)), "modes");
    for (String fill : FILLS) {
      List<String> got = resampled(wh, "oil_" + fill);
      assertEquals(expectedDaily(fill), got, fill);
      assertEquals(84, got.size(), "2025-09-02..2025-11-24 is 84 days");
    }
    // by hand: Sat 2025-09-06 lies between Fri 62.22 and Mon 62.60 (3 days: filled)
    assertEquals("2025-09-06 | 62.22 | filled", row(wh, "oil_previous", "2025-09-06"));
    assertEquals(
        "2025-09-06 | " + (62.22 + (62.6 - 62.22) / 3) + " | filled",
        row(wh, "oil_linear", "2025-09-06"));
    // Veterans Day 2025-11-11 is "." between 60.94 and 59.30 (2 days)
    assertEquals(
        "2025-11-11 | " + (60.94 + (59.3 - 60.94) * (1.0 / 2)) + " | filled",
        row(wh, "oil_linear", "2025-11-11"));
    assertEquals(
        "2025-11-11 | " + ((60.94 + 59.3 + 59.54 + 60.87) / 4) + " | filled",
        row(wh, "oil_mean", "2025-11-11"));
    // Columbus Day weekend: Fri 10-10 59.75 to Tue 10-14 59.52 is 4 days, past maxGap
    for (String fill : FILLS) {
      for (String day : List.of("2025-10-11", "2025-10-12", "2025-10-13")) {
        assertEquals(day + " | null | filled", row(wh, "oil_" + fill, day), fill);
      }
    }
    assertEquals("2025-09-06 | null | filled", row(wh, "oil_none", "2025-09-06"));
  }

  private static String row(WarehouseSpec wh, String source, String day) {
    return resampled(wh, source).stream()
        .filter(r -> r.startsWith(day))
        .findFirst()
        .orElseThrow(() -> new AssertionError(source + " has no cell " + day));
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb"})
  void aWeekCellTakesItsLastObservedValueByTime(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "weeks");
    run(wh, config("weeks", List.of(OIL)), "weeks");
    TreeMap<LocalDate, Double> obs = oil();
    List<String> expected = new ArrayList<>();
    LocalDate first = obs.firstKey().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
    for (LocalDate w = first; !w.isAfter(obs.lastKey()); w = w.plusWeeks(1)) {
      Double last = null;
      for (Map.Entry<LocalDate, Double> e : obs.subMap(w, w.plusWeeks(1)).entrySet()) {
        if (e.getValue() != null) {
          last = e.getValue();
        }
      }
      expected.add(w + " | " + last + " | observed"); // every week has a trading day
    }
    assertEquals(expected, resampled(wh, "oil_week"));
    // the week of Columbus Day (Monday ".") ends Friday 10-17 at 58.30
    assertEquals("2025-10-13 | 58.3 | observed", row(wh, "oil_week", "2025-10-13"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb"})
  void imputedValuesNeverEnterObservationsOrAggregates(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "apart");
    run(wh, config("apart", List.of(OIL)), "apart");
    TreeMap<LocalDate, Double> obs = oil();
    for (String fill : FILLS) {
      List<String> stored =
          WarehouseDump.rows(
              wh,
              "SELECT ts, \"value\" FROM observations WHERE source = 'oil_"
                  + fill
                  + "' ORDER BY ts");
      List<String> expected =
          obs.entrySet().stream()
              .map(e -> e.getKey() + "T00:00:00Z | " + e.getValue())
              .collect(Collectors.toList());
      assertEquals(expected, stored, fill);
      // October: 23 trading days, one of them "." (Columbus Day): n counts the 22 values only
      long valued =
          obs.subMap(LocalDate.of(2025, 10, 1), LocalDate.of(2025, 11, 1)).values().stream()
              .filter(v -> v != null)
              .count();
      assertEquals(22, valued);
      assertEquals(
          List.of(valued + " | 1"),
          WarehouseDump.rows(
              wh,
              "SELECT n, missing FROM aggregates WHERE source = 'oil_"
                  + fill
                  + "' AND \"window\" = 'P1M' AND window_start = TIMESTAMPTZ"
                  + " '2025-10-01 00:00:00+00'"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void splitRunsGiveWhatOneRunGives(String kind) throws IOException {
    WarehouseSpec once = warehouses.of(kind, "once");
    run(once, config("once", List.of(OIL)), "once");

    // late halves of months first, then the early halves
    WarehouseSpec halves = warehouses.of(kind, "halves");
    run(halves, config("h2", List.of(part("late", d -> d.getDayOfMonth() > 15))), "h2");
    run(halves, config("h1", List.of(part("early", d -> d.getDayOfMonth() <= 15))), "h1");
    assertEquals(all(once), all(halves));

    // November, then September (a month's stretch without observations between), then October
    WarehouseSpec months = warehouses.of(kind, "months");
    run(months, config("m11", List.of(part("nov", d -> d.getMonthValue() == 11))), "m11");
    run(months, config("m09", List.of(part("sep", d -> d.getMonthValue() == 9))), "m09");
    List<String> gap = resampled(months, "oil_linear");
    assertTrue(gap.contains("2025-10-15 | null | filled"), "October is a gap before it arrives");
    run(months, config("m10", List.of(part("oct", d -> d.getMonthValue() == 10))), "m10");
    assertEquals(all(once), all(months));
  }
}

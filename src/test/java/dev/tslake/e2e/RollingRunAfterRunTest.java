package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.testing.AggregatesInvariant;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.RollingInvariant;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code rolling} run after run, on Bitstamp's daily closes (testdata, the newest 400 days): inputs
 * split across runs, then a later vintage revising one close and turning another into a missing
 * value. After every run each rolling row equals the statistics of the stored observations of its
 * trailing window and every observation with a value has its rows ({@link RollingInvariant}); the
 * end state equals one run over all the files; DuckDB and PostgreSQL hold the same numbers.
 */
@Tag("integration")
class RollingRunAfterRunTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");
  private static final Map<String, Map<String, Long>> ROLLING =
      Map.of("bitstamp", Map.of("P7D", 7 * 86_400L, "P30D", 30 * 86_400L));
  private static final Map<String, List<String>> WINDOWS = Map.of("bitstamp", List.of("P1W"));
  private static final String REVISED_DAY = "2022-03-10";
  private static final String MISSING_DAY = "2022-03-20";

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("rolling");

  private void run(WarehouseSpec wh, String lake, Path config, String runId) {
    BatchRuns.run(wh, dir.resolve(lake), config, runId, "2026-01-01");
  }

  private static void assertConsistent(WarehouseSpec wh, String when) {
    List<String> v = new ArrayList<>(RollingInvariant.violations(wh, ROLLING));
    v.addAll(AggregatesInvariant.violations(wh, WINDOWS));
    assertTrue(
        v.isEmpty(),
        when
            + ": "
            + v.size()
            + " violations, first: "
            + v.stream().limit(5).collect(Collectors.joining("\n  ")));
  }

  /** Bitstamp's banner and header, then the newest 400 data lines that {@code keep} selects. */
  private Path part(String name, Predicate<String> keep) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(lines.subList(0, 2));
    for (String line : lines.subList(2, 2 + 400)) {
      if (keep.test(line)) {
        out.add(line);
      }
    }
    Path p = dir.resolve("in").resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, out, StandardCharsets.UTF_8);
    return p;
  }

  private static String date(String line) {
    return line.split(",")[1].substring(0, 10);
  }

  /** A later file: REVISED_DAY's close becomes 99999, MISSING_DAY's close is emptied. */
  private Path revision() throws IOException {
    Path p = part("revision.csv", l -> date(l).equals(REVISED_DAY) || date(l).equals(MISSING_DAY));
    List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(lines.subList(0, 2));
    for (String line : lines.subList(2, lines.size())) {
      String[] f = line.split(",", -1);
      f[6] = date(line).equals(REVISED_DAY) ? "99999" : "";
      out.add(String.join(",", f));
    }
    assertEquals(4, out.size());
    Files.write(p, out, StandardCharsets.UTF_8);
    return p;
  }

  /** Files without a vintage, then the revision with vintage 2030-01-01 when given. */
  private Path config(String name, List<Path> files, Path revision) throws IOException {
    List<String> entries = new ArrayList<>();
    for (Path f : files) {
      entries.add("\"" + f.toAbsolutePath() + "\"");
    }
    if (revision != null) {
      entries.add("{\"path\": \"" + revision.toAbsolutePath() + "\", \"vintage\": \"2030-01-01\"}");
    }
    Path p = dir.resolve(name + ".json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1W\"],"
            + " \"rolling\": [\"P7D\", \"P30D\"], \"files\": ["
            + String.join(", ", entries)
            + "], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\":"
            + " [\"close\"]}]}");
    return p;
  }

  private static List<String> p7dRows(WarehouseSpec wh, String from, String to) {
    return WarehouseDump.rows(
        wh,
        "SELECT ts, n, mean, stddev, \"min\", \"max\" FROM rolling WHERE \"window\" = 'P7D'"
            + " AND ts >= TIMESTAMPTZ '"
            + from
            + " 00:00:00+00' AND ts <= TIMESTAMPTZ '"
            + to
            + " 00:00:00+00' ORDER BY ts");
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void splitRunsThenALateRevisionEqualOneRun(String kind) throws IOException {
    Path first = part("first.csv", l -> Integer.parseInt(date(l).substring(8)) <= 15);
    Path second = part("second.csv", l -> Integer.parseInt(date(l).substring(8)) > 15);
    Path revision = revision();
    WarehouseSpec wh = warehouses.of(kind, "split");
    run(wh, "lake", config("c1", List.of(first), null), "r1");
    assertConsistent(wh, "after the first half");
    run(wh, "lake", config("c2", List.of(second), null), "r2");
    assertConsistent(wh, "after the second half");
    long rows = WarehouseDump.count(wh, "SELECT count(*) FROM rolling");
    assertEquals(2 * 400, rows);

    List<String> before = p7dRows(wh, "2022-03-01", "2022-03-31");
    run(wh, "lake", config("c3", List.of(), revision), "r3");
    assertConsistent(wh, "after the revision");
    List<String> after = p7dRows(wh, "2022-03-01", "2022-03-31");
    // 03-01..03-09 keep their rows; 03-10..03-16 see 99999; 03-17 no longer does (edge);
    // 03-20 lost its row, and 03-20..03-26 have one value less
    assertEquals(before.subList(0, 9), after.subList(0, 9));
    for (int d = 9; d < 16; d++) {
      assertNotEquals(before.get(d), after.get(d), "day " + (d + 1));
      assertTrue(after.get(d).contains("99999.0"), after.get(d));
    }
    assertEquals(before.get(16), after.get(16));
    assertEquals(31, before.size());
    assertEquals(30, after.size());
    assertFalse(after.stream().anyMatch(r -> r.startsWith("2022-03-20T")), "row of 03-20 stays");
    assertEquals(
        0,
        WarehouseDump.count(
            wh,
            "SELECT count(*) FROM rolling WHERE ts = TIMESTAMPTZ '"
                + MISSING_DAY
                + " 00:00:00+00'"));

    WarehouseSpec once = warehouses.of(kind, "once");
    run(once, "lake-once", config("all", List.of(first, second), revision), "once");
    assertEquals(WarehouseDump.rolling(once), WarehouseDump.rolling(wh));
    assertEquals(WarehouseDump.aggregates(once), WarehouseDump.aggregates(wh));
  }

  @Test
  void duckDbAndPostgresHoldTheSameRollingAndAggregates() throws IOException {
    Path all = part("all.csv", l -> true);
    Path config = config("all", List.of(all), revision());
    WarehouseSpec duck = warehouses.of("duckdb", "duck");
    WarehouseSpec pg = warehouses.of("postgres", "pg");
    run(duck, "lake-duck", config, "duck");
    run(pg, "lake-pg", config, "pg");
    List<String> rolling = WarehouseDump.rolling(duck);
    assertEquals(2 * 399, rolling.size());
    assertEquals(rolling, WarehouseDump.rolling(pg));
    assertEquals(WarehouseDump.aggregates(duck), WarehouseDump.aggregates(pg));
    assertTrue(
        WarehouseDump.count(duck, "SELECT count(*) FROM aggregates WHERE stddev > 0") > 50,
        "weekly windows of daily closes have a standard deviation");
  }
}

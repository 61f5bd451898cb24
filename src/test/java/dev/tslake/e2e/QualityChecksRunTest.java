package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.TsLake;
import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Declared checks in whole runs over Bitstamp's daily closes: a failed {@code error} check still
 * loads the data and ends the run {@code failed_checks} (exit 3), {@code warn} never fails a run,
 * results land in {@code quality_results} alike in DuckDB and PostgreSQL.
 */
@Tag("integration")
class QualityChecksRunTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("checks");

  private RunRecord run(WarehouseSpec wh, Path config, String runId) {
    return BatchRuns.run(wh, dir.resolve("lake"), config, runId, "2026-01-01");
  }

  /** Bitstamp's closes with the given checks. */
  private Path config(String name, String checks) throws IOException {
    Path p = dir.resolve(name + ".json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1M\"],"
            + " \"files\": [\""
            + BITSTAMP.toAbsolutePath()
            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\":"
            + " [\"close\"], \"checks\": "
            + checks
            + "}]}");
    return p;
  }

  /** Closes below 1000 (a plain count over the file): what the failing range check reports. */
  private static long closesBelow1000() throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    long n = 0;
    for (String line : lines.subList(2, lines.size())) {
      if (Double.parseDouble(line.split(",")[6]) < 1000) {
        n++;
      }
    }
    return n;
  }

  private static final String CHECKS =
      "[{\"type\": \"range\", \"min\": 0, \"severity\": \"error\"},"
          + " {\"type\": \"range\", \"min\": 1000, \"severity\": \"%s\"},"
          + " {\"type\": \"freshness\", \"maxAge\": \"P30D\", \"severity\": \"warn\"},"
          + " {\"type\": \"gaps\", \"maxGap\": \"P2D\", \"severity\": \"error\"},"
          + " {\"type\": \"anomaly\", \"window\": \"P30D\", \"k\": 50, \"severity\": \"error\"},"
          + " {\"type\": \"min_rows\", \"min\": 100, \"severity\": \"error\"}]";

  /**
   * freshness judges the series' newest point, not the newest this run touched: a run that only
   * revises a year-old point of a fresh series passes (the newest stored point is read back).
   */
  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void aRunRevisingOnlyOldPointsSeesTheSeriesFresh(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "fresh");
    Instant now = Instant.now().truncatedTo(ChronoUnit.HOURS);
    StringBuilder recent = new StringBuilder("ts,series,value\n");
    recent.append(now.minus(Duration.ofDays(365))).append(",S,1.0\n");
    for (int d = 3; d >= 1; d--) {
      recent.append(now.minus(Duration.ofDays(d))).append(",S,").append(d).append(".5\n");
    }
    Path first = Files.writeString(dir.resolve("recent.csv"), recent);
    Path revision =
        Files.writeString(
            dir.resolve("revision.csv"),
            "ts,series,value\n" + now.minus(Duration.ofDays(365)) + ",S,2.0\n");
    String source =
        "{\"sources\": [{\"name\": \"meter\", \"type\": \"csv\", \"windows\": [\"P1D\"],"
            + " \"files\": [\"%s\"], \"timestampColumn\": \"ts\", \"seriesColumn\": \"series\","
            + " \"valueColumns\": [\"value\"], \"checks\": [{\"type\": \"freshness\","
            + " \"maxAge\": \"P7D\", \"severity\": \"error\"}]}]}";
    Path c1 =
        Files.writeString(dir.resolve("c1.json"), String.format(source, first.toAbsolutePath()));
    Path c2 =
        Files.writeString(dir.resolve("c2.json"), String.format(source, revision.toAbsolutePath()));
    RunRecord r1 = run(wh, c1, "fresh-1");
    assertEquals(RunRecord.SUCCEEDED, r1.status, r1.summary());
    RunRecord r2 = run(wh, c2, "fresh-2");
    assertEquals(RunRecord.SUCCEEDED, r2.status, r2.summary());
    assertEquals(
        List.of("fresh-2 | meter | S.value | freshness | pass"),
        WarehouseDump.rows(
            wh,
            "SELECT run_id, source, series_id, \"check\", status FROM quality_results"
                + " WHERE run_id = 'fresh-2'"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"duckdb", "postgres"})
  void aFailedErrorCheckLoadsTheDataAndEndsFailedChecks(String kind) throws IOException {
    WarehouseSpec wh = warehouses.of(kind, "fail");
    RunRecord r = run(wh, config("error", String.format(CHECKS, "error")), "checks-error");
    assertEquals(RunRecord.FAILED_CHECKS, r.status, r.summary());
    assertEquals(3, TsLake.exitCode(r));
    assertEquals(2823, r.observationsLoaded); // the data is loaded
    assertEquals(List.of("2823"), WarehouseDump.rows(wh, "SELECT count(*) FROM observations"));
    assertEquals(
        List.of("failed_checks | 4 | 2"),
        WarehouseDump.rows(
            wh,
            "SELECT status, checks_passed, checks_failed FROM pipeline_runs"
                + " WHERE run_id = 'checks-error'"));
    assertTrue(r.message.contains("1 error check(s) failed"), r.message);
    assertTrue(r.message.contains("bitstamp/BTC/USD.close range#2"), r.message);
    assertEquals(4, r.checksPassed);
    assertEquals(2, r.checksFailed);
    assertTrue(r.summary().contains("checks: 4 passed, 2 failed"), r.summary());
    assertTrue(
        r.summary().contains("failed error bitstamp/BTC/USD.close range#2: observed "),
        r.summary());
    assertEquals(
        List.of(
            "anomaly | anomaly | error | pass | 0.0",
            "freshness | freshness | warn | fail",
            "gaps | gaps | error | pass | 86400.0",
            "min_rows | min_rows | error | pass | 2823.0",
            "range | range | error | pass | 0.0",
            "range#2 | range | error | fail | " + (double) closesBelow1000()),
        WarehouseDump.rows(
                wh,
                "SELECT \"check\", check_type, severity, status,"
                    + " CASE WHEN check_type = 'freshness' THEN NULL ELSE observed END"
                    + " FROM quality_results WHERE run_id = 'checks-error'"
                    + " AND series_id = 'BTC/USD.close' ORDER BY 1")
            .stream()
            .map(s -> s.replace(" | null", ""))
            .toList());
    assertEquals(
        List.of(
            "2014-11-28T00:00:00Z,2014-11-29T00:00:00Z,2014-11-30T00:00:00Z,"
                + "2014-12-01T00:00:00Z,2014-12-02T00:00:00Z"),
        WarehouseDump.rows(
            wh,
            "SELECT examples FROM quality_results WHERE run_id = 'checks-error'"
                + " AND \"check\" = 'range#2'"));

    // warn only reports: the same failure as a warning leaves the run succeeded
    RunRecord w = run(wh, config("warn", String.format(CHECKS, "warn")), "checks-warn");
    assertEquals(RunRecord.SUCCEEDED, w.status, w.summary());
    assertEquals(0, TsLake.exitCode(w));
    assertEquals(2, w.checksFailed);
    assertEquals(
        List.of("succeeded | 4 | 2"),
        WarehouseDump.rows(
            wh,
            "SELECT status, checks_passed, checks_failed FROM pipeline_runs"
                + " WHERE run_id = 'checks-warn'"));
    // results keep their history per run
    assertEquals(
        List.of("checks-error | 6", "checks-warn | 6"),
        WarehouseDump.rows(
            wh, "SELECT run_id, count(*) FROM quality_results GROUP BY run_id ORDER BY run_id"));
  }

  @Test
  void duckDbAndPostgresHoldTheSameResults() throws IOException {
    Path config = config("same", String.format(CHECKS, "warn"));
    WarehouseSpec duck = warehouses.of("duckdb", "same");
    WarehouseSpec pg = warehouses.of("postgres", "same");
    run(duck, config, "same-run");
    run(pg, config, "same-run");
    String sql =
        "SELECT run_id, source, series_id, \"check\", check_type, severity, status,"
            + " CASE WHEN check_type = 'freshness' THEN NULL ELSE observed END, threshold,"
            + " examples FROM quality_results ORDER BY 1, 2, 3, 4";
    List<String> expected = WarehouseDump.rows(duck, sql);
    assertEquals(6, expected.size());
    assertEquals(expected, WarehouseDump.rows(pg, sql));
  }

  /** Bitstamp's banner and header, then the data lines {@code keep} selects (by unix seconds). */
  private Path bitstampPart(String name, java.util.function.LongPredicate keep) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(lines.subList(0, 2));
    for (String line : lines.subList(2, lines.size())) {
      if (keep.test(Long.parseLong(line.split(",")[0]))) {
        out.add(line);
      }
    }
    Path p = dir.resolve("in").resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, out, StandardCharsets.UTF_8);
    return p;
  }

  private Path anomalyConfig(String name, Path file) throws IOException {
    Path p = dir.resolve(name + ".json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1M\"],"
            + " \"files\": [\""
            + file.toAbsolutePath()
            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\":"
            + " [\"close\"], \"checks\": [{\"type\": \"anomaly\", \"window\": \"P30D\","
            + " \"k\": 4}]}]}");
    return p;
  }

  /**
   * Run after run: a second run's points are judged against the stored points before them (the
   * read-back span is widened by the anomaly window), so the outliers of two runs over the two
   * halves of the series add up to those of one run over all of it.
   */
  @Test
  void anomaliesOfTwoRunsAddUpToOneRun() throws IOException {
    long cut = java.time.Instant.parse("2019-01-01T00:00:00Z").getEpochSecond();
    Path before = bitstampPart("before.csv", t -> t < cut);
    Path after = bitstampPart("after.csv", t -> t >= cut);
    WarehouseSpec split = warehouses.of("duckdb", "split");
    run(split, anomalyConfig("before", before), "before");
    run(split, anomalyConfig("after", after), "after");
    WarehouseSpec once = warehouses.of("duckdb", "once");
    run(once, anomalyConfig("all", BITSTAMP), "all");
    String sql = "SELECT sum(observed) FROM quality_results";
    List<String> total = WarehouseDump.rows(once, sql);
    assertTrue(Double.parseDouble(total.get(0)) > 0, total.toString());
    assertEquals(total, WarehouseDump.rows(split, sql));
    assertEquals(
        WarehouseDump.rows(once, "SELECT count(*) FROM observations"),
        WarehouseDump.rows(split, "SELECT count(*) FROM observations"));
  }
}

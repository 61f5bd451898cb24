package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tslake.testing.BatchRuns;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.TestWarehouses;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runs at once into one PostgreSQL warehouse, over inputs touching the same windows (odd and
 * even days of the same Bitstamp months), leave what the two runs leave one after the other: the
 * one waits for the other's run lock, and the two never both have rows in the warehouse while both
 * are running.
 */
@Tag("integration")
class ConcurrentRunsTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");

  @TempDir Path dir;

  @RegisterExtension final TestWarehouses warehouses = new TestWarehouses("concurrent");

  @Test
  void twoRunsAtOnceEqualTwoRunsInSequence() throws Exception {
    Path odd = config("odd", part("odd.csv", l -> day(l) % 2 == 1));
    Path even = config("even", part("even.csv", l -> day(l) % 2 == 0));

    WarehouseSpec concurrent = warehouses.postgres();
    CompletableFuture<RunRecord> oddRun =
        CompletableFuture.supplyAsync(() -> run(concurrent, odd, "con-odd", "2026-02-01"));
    CompletableFuture<RunRecord> evenRun =
        CompletableFuture.supplyAsync(() -> run(concurrent, even, "con-even", "2026-02-02"));
    AtomicBoolean interleaved = new AtomicBoolean();
    List<String> finished = new ArrayList<>();
    while (!oddRun.isDone() || !evenRun.isDone()) {
      if (!oddRun.isDone()
          && !evenRun.isDone()
          && stored(concurrent, 0) > 0
          && stored(concurrent, 1) > 0) {
        interleaved.set(true);
      }
      if (oddRun.isDone() && !finished.contains("odd")) {
        finished.add("odd");
      }
      if (evenRun.isDone() && !finished.contains("even")) {
        finished.add("even");
      }
      Thread.sleep(100);
    }
    oddRun.get(10, TimeUnit.MINUTES);
    evenRun.get(10, TimeUnit.MINUTES);
    assertFalse(interleaved.get(), "both runs wrote observations while both were running");

    // the same two runs one after the other, in the order the concurrent ones finished
    WarehouseSpec sequential = warehouses.postgres();
    if (finished.isEmpty() || finished.get(0).equals("odd")) {
      run(sequential, odd, "seq-odd", "2026-02-01");
      run(sequential, even, "seq-even", "2026-02-02");
    } else {
      run(sequential, even, "seq-even", "2026-02-02");
      run(sequential, odd, "seq-odd", "2026-02-01");
    }

    assertEquals(WarehouseDump.observations(sequential), WarehouseDump.observations(concurrent));
    assertEquals(WarehouseDump.aggregates(sequential), WarehouseDump.aggregates(concurrent));
    String series =
        "SELECT source, series_id, title, units, first_ts, last_ts FROM series ORDER BY 1, 2";
    assertEquals(WarehouseDump.rows(sequential, series), WarehouseDump.rows(concurrent, series));
  }

  /** Observations on days of the given parity already in the warehouse. */
  private static long stored(WarehouseSpec spec, int parity) {
    try (Connection c = PostgresSupport.connect(spec.url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM observations WHERE"
                    + " CAST(EXTRACT(DAY FROM ts AT TIME ZONE 'UTC') AS int) % 2 = "
                    + parity)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      return 0; // tables not created yet
    }
  }

  private RunRecord run(WarehouseSpec wh, Path config, String runId, String date) {
    return BatchRuns.run(wh, dir.resolve("lake"), config, runId, date);
  }

  private Path part(String name, Predicate<String> keep) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(lines.subList(0, 2));
    for (String line : lines.subList(2, Math.min(lines.size(), 2 + 400))) {
      if (keep.test(line)) {
        out.add(line);
      }
    }
    Path p = dir.resolve("in").resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, out, StandardCharsets.UTF_8);
    return p;
  }

  private static int day(String line) {
    return Integer.parseInt(line.split(",")[1].substring(8, 10));
  }

  private Path config(String name, Path file) throws IOException {
    Path p = dir.resolve(name + ".json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1W\", \"P1M\","
            + " \"P1Y\"], \"files\": [\""
            + file.toAbsolutePath()
            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\": [\"open\","
            + " \"close\"]}]}");
    return p;
  }
}

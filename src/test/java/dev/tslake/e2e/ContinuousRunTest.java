package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.AggregatesInvariant;
import dev.tslake.testing.FakeApiServer;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job with {@code --streaming=true}: a CoinDesk-like price that moves every second, a FRED
 * series that gains an observation per poll and a watched folder that receives a file mid-run,
 * polled every second until {@code --stopAfter}. Afterwards the warehouse holds every observation
 * served once, each aggregate equals the statistics of its stored observations, each series has a
 * {@code latest} row, the run's row accounts for every record read, and replaying the run's
 * windowed lake files in batch into an empty warehouse gives the same observations and aggregates.
 * On the DirectRunner with DuckDB and with PostgreSQL (tagged integration: it needs the server that
 * {@code runners/postgres/start.sh} starts, and fails under CI without it), and on the
 * FlinkRunner's local mini-cluster (parallelism 2, checkpoints every 2 s) with DuckDB.
 */
class ContinuousRunTest {
  private static final Map<String, List<String>> WINDOWS =
      Map.of(
          "btc", List.of("PT1M", "PT1H"), "fred", List.of("P1M"), "drops", List.of("P1D", "P1M"));

  @TempDir Path dir;
  private FakeApiServer server;
  private final List<WarehouseSpec> ducks = new ArrayList<>();
  private final List<String> schemas = new ArrayList<>();

  @BeforeEach
  void start() {
    server = FakeApiServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
    ducks.forEach(WarehouseSpec::release);
    schemas.forEach(PostgresSupport::dropSchema);
  }

  /** A fresh, empty warehouse of the kind asked for. */
  private WarehouseSpec warehouse(String kind, String name) {
    if (kind.equals("postgres")) {
      String url = PostgresSupport.freshSchemaUrl("continuous");
      schemas.add(url);
      return new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password());
    }
    return duck(name);
  }

  /** The warehouse options of {@code wh}: its URL, and its credentials on PostgreSQL. */
  private static List<String> warehouseArgs(WarehouseSpec wh) {
    List<String> args = new ArrayList<>(List.of("--warehouseUrl=" + wh.url));
    if (wh.url.startsWith("jdbc:postgresql:")) {
      args.add("--warehouseUser=" + PostgresSupport.user());
      args.add("--warehousePassword=" + PostgresSupport.password());
    }
    return args;
  }

  private WarehouseSpec duck(String name) {
    WarehouseSpec spec =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve(name + ".duckdb"), null, null);
    ducks.add(spec);
    return spec;
  }

  private static RunRecord run(List<String> args) {
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(TsLakeOptions.class);
    return TsLake.run(options);
  }

  /** The runner's own options for this scenario. */
  static List<String> runnerArgs(String runner) {
    switch (runner) {
      case "DirectRunner":
        return List.of("--enforceImmutability=false", "--enforceEncodability=false");
      case "FlinkRunner":
        // a local mini-cluster in this JVM; checkpoints as a cluster would take them
        return List.of(
            "--runner=FlinkRunner",
            "--parallelism=2",
            "--checkpointingInterval=2000",
            "--shutdownSourcesAfterIdleMs=1000");
      default:
        throw new IllegalArgumentException(runner);
    }
  }

  @Test
  void pollsAndWatchesUntilStopAfterAndStoresWhatBatchWouldOnDuckDb() throws Exception {
    pollsAndWatchesUntilStopAfterAndStoresWhatBatchWould("duckdb", "DirectRunner");
  }

  @Test
  @Tag("integration")
  void pollsAndWatchesUntilStopAfterAndStoresWhatBatchWouldOnPostgres() throws Exception {
    pollsAndWatchesUntilStopAfterAndStoresWhatBatchWould("postgres", "DirectRunner");
  }

  @Test
  @Tag("integration")
  void pollsAndWatchesUntilStopAfterAndStoresWhatBatchWouldOnFlink() throws Exception {
    pollsAndWatchesUntilStopAfterAndStoresWhatBatchWould("duckdb", "FlinkRunner");
  }

  private void pollsAndWatchesUntilStopAfterAndStoresWhatBatchWould(String kind, String runner)
      throws Exception {
    FakeApiServer.Moving fred =
        server.growingFredSeries("GROW", LocalDate.parse("2026-01-01"), 3, 1);
    // the price's updated time starts now: its windows are on time, not late
    FakeApiServer.Moving btc = server.movingCoinDesk(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Path watched = Files.createDirectories(dir.resolve("incoming"));
    Files.writeString(
        watched.resolve("first.csv"),
        "ts,series,value\n2026-03-01 00:00:00,A,1.5\n2026-03-02 00:00:00,A,2.5\n"
            + "2026-03-02 00:00:00,B,.\n2026-03-03 00:00:00,A,not-a-number\n");
    Path config = dir.resolve("continuous.json");
    Files.writeString(config, FakeApiServer.continuousConfig(watched, "P1D", "P1M"));
    WarehouseSpec wh = warehouse(kind, "continuous");
    Path lake = dir.resolve("lake");

    // a second file lands once the first one's rows are stored
    AtomicReference<Throwable> dropFailed = new AtomicReference<>();
    Thread dropper =
        new Thread(
            () -> {
              try {
                while (!firstFileStored(wh)) {
                  Thread.sleep(200);
                }
                Path tmp = dir.resolve("second.tmp");
                Files.writeString(
                    tmp, "ts,series,value\n2026-03-04 00:00:00,A,4\n2026-03-05 00:00:00,C,5\n");
                Files.move(tmp, watched.resolve("second.csv"), StandardCopyOption.ATOMIC_MOVE);
              } catch (Throwable t) {
                dropFailed.set(t);
              }
            });
    dropper.setDaemon(true);

    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + lake,
                "--runId=continuous-1",
                "--streaming=true",
                "--stopAfter=PT20S",
                "--earlyFiringPeriod=PT1S",
                "--allowedLateness=PT5S",
                "--runUpdatePeriod=PT1S",
                "--fredBaseUrl=" + server.baseUrl(),
                "--fredApiKey=continuous-test-key",
                "--coindeskBaseUrl=" + server.baseUrl()));
    args.addAll(warehouseArgs(wh));
    args.addAll(runnerArgs(runner));
    // issue 11: every update of the row the run writes while it runs balances, with the records
    // read but not yet accounted for in flight
    List<RunRecord> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean running =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread watcher =
        new Thread(
            () -> {
              while (running.get()) {
                try {
                  RunRecord row = RunRecord.read(wh, "continuous-1");
                  if (row != null
                      && RunRecord.RUNNING.equals(row.status)
                      && row.recordsRead > 0
                      && (updates.isEmpty() || !same(updates.get(updates.size() - 1), row))) {
                    updates.add(row);
                  }
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                } catch (Exception notYet) {
                  // no table yet, or the warehouse busy: try again
                }
              }
            });
    watcher.setDaemon(true);
    dropper.start();
    watcher.start();
    RunRecord run;
    try {
      run = run(args);
    } finally {
      running.set(false);
      watcher.join(10_000);
    }
    dropper.join(5_000);
    assertTrue(!updates.isEmpty(), "no running update of the row seen during the run");
    System.out.println(
        "ContinuousRunTest "
            + runner
            + "/"
            + kind
            + ": "
            + updates.size()
            + " updates of the row seen during the run, at most "
            + updates.stream().mapToLong(u -> u.recordsInFlight).max().orElse(0)
            + " records in flight");
    for (RunRecord u : updates) {
      assertTrue(u.recordsInFlight >= 0, u.accountingMessage());
      assertEquals(
          u.recordsRead,
          u.recordsRejected + u.observationsLoaded + u.duplicatesSuperseded + u.recordsInFlight,
          u.accountingMessage());
      assertTrue(u.message.startsWith("streaming, so far:"), u.message);
    }
    assertEquals(0, run.recordsInFlight, run.summary());
    assertTrue(run.settled(), run.accountingMessage());
    assertEquals(null, dropFailed.get());
    assertTrue(Files.exists(watched.resolve("second.csv")), "the second file was dropped mid-run");

    // every record read is accounted for, and the run says so
    assertEquals(RunRecord.SUCCEEDED, run.status, run.summary());
    assertTrue(run.balanced(), run.accountingMessage());
    long fredServed = fred.served().stream().mapToLong(List::size).sum();
    long btcServed = btc.served().size();
    assertTrue(fredServed >= 4 && btcServed >= 3, fred.served() + " " + btc.served());
    // csv: 4 + 2 rows; rejected: the non-numeric value (the "." is a missing value)
    assertEquals(fredServed + btcServed + 6, run.recordsRead, run.summary());
    assertEquals(1, run.recordsRejected, run.summary());

    // every observation served is stored, once (SQL that runs on both warehouses)
    List<String> fredStored =
        WarehouseDump.rows(wh, "SELECT ts FROM observations WHERE source = 'fred' ORDER BY ts")
            .stream()
            .map(ts -> ts.substring(0, 10))
            .collect(toList());
    List<String> fredDates =
        fred.served().stream().flatMap(List::stream).sorted().distinct().collect(toList());
    assertEquals(fredDates, fredStored);
    List<String> btcStored =
        WarehouseDump.rows(wh, "SELECT ts FROM observations WHERE source = 'btc' ORDER BY ts");
    assertEquals(btc.served().stream().map(l -> l.get(0)).sorted().collect(toList()), btcStored);
    assertEquals(
        List.of(
            "A.value | 2026-03-01T00:00:00Z | 1.5",
            "A.value | 2026-03-02T00:00:00Z | 2.5",
            "A.value | 2026-03-04T00:00:00Z | 4.0",
            "B.value | 2026-03-02T00:00:00Z | null",
            "C.value | 2026-03-05T00:00:00Z | 5.0"),
        WarehouseDump.rows(
            wh,
            "SELECT series_id, ts, \"value\" FROM observations WHERE source = 'drops'"
                + " ORDER BY series_id, ts"));

    // each aggregate is its window's statistics; every observation lies in one per size
    List<String> violations = AggregatesInvariant.violations(wh, WINDOWS);
    assertEquals(List.of(), violations);

    // a latest row per series
    assertEquals(
        List.of("btc|BTC-USD", "drops|A.value", "drops|B.value", "drops|C.value", "fred|GROW"),
        WarehouseDump.rows(
            wh, "SELECT source || '|' || series_id FROM latest ORDER BY source, series_id"));

    // the lake holds the run's raw records in windowed files; replaying them in batch into an
    // empty warehouse gives the same observations and aggregates
    try (Stream<Path> files = Files.walk(lake.resolve("raw"))) {
      List<Path> csv = files.filter(f -> f.toString().endsWith(".csv")).collect(toList());
      assertTrue(csv.size() >= 3, "windowed raw files: " + csv);
    }
    WarehouseSpec replay = warehouse(kind, "replay");
    List<String> replayArgs =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + lake,
                "--runId=replay-1",
                "--replayFromLake=true"));
    replayArgs.addAll(warehouseArgs(replay));
    RunRecord replayed = run(replayArgs);
    assertEquals(RunRecord.SUCCEEDED, replayed.status, replayed.summary());
    assertEquals(WarehouseDump.observations(wh), WarehouseDump.observations(replay));
    assertEquals(WarehouseDump.aggregates(wh), WarehouseDump.aggregates(replay));
  }

  /** Whether two reads of the run's row have the same counts. */
  private static boolean same(RunRecord a, RunRecord b) {
    return a.recordsRead == b.recordsRead
        && a.recordsInFlight == b.recordsInFlight
        && a.observationsLoaded == b.observationsLoaded
        && a.recordsRejected == b.recordsRejected
        && a.duplicatesSuperseded == b.duplicatesSuperseded;
  }

  /** Whether the first watched file's rows are in the warehouse (false before its schema). */
  private static boolean firstFileStored(WarehouseSpec wh) {
    try {
      return !WarehouseDump.rows(
              wh,
              "SELECT count(*) FROM observations WHERE source = 'drops' AND series_id = 'A.value'")
          .equals(List.of("0"));
    } catch (IllegalStateException notYet) {
      return false;
    }
  }

  private static <T> java.util.stream.Collector<T, ?, List<T>> toList() {
    return Collectors.toList();
  }
}

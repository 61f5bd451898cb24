package dev.tslake.warehouse;

import dev.tslake.model.Observation;
import dev.tslake.testing.WarehouseDump;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Load timings of the two DuckDB batch paths in one process: {@link DuckDbDialect.Load#VALUES}
 * (multi-row {@code INSERT ... VALUES ... ON CONFLICT}, the loader before) and {@link
 * DuckDbDialect.Load#APPENDER} (appender into a staging table, then one {@code INSERT ... SELECT
 * ... ON CONFLICT}). One {@link BatchWriter} loads generated observations into a fresh DuckDB file,
 * then the same rows again (a rerun, which writes nothing). Each path runs twice, alternating; the
 * second round is reported. Not a test:
 *
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *   -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   dev.tslake.warehouse.DuckDbLoadBench 500000 1000
 * </pre>
 */
public final class DuckDbLoadBench {
  private DuckDbLoadBench() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    List<Observation> data = UpsertBench.generate(rows, false);
    Path dir = Files.createTempDirectory("duckbench");
    System.out.printf(Locale.ROOT, "%d observations, batches of %d, into %s%n", rows, batch, dir);
    System.out.println("round path      first load rows/s   rerun rows/s");
    int n = 0;
    for (int round = 1; round <= 2; round++) {
      for (DuckDbDialect.Load load : DuckDbDialect.Load.values()) {
        Path file = dir.resolve("bench" + (n++) + ".duckdb");
        WarehouseSpec spec =
            new WarehouseSpec("jdbc:duckdb:" + file, null, null)
                .withDialect(DuckDbDialect.loading(load));
        try {
          WarehouseSchema.ensure(spec);
          double first = timed(spec, data, batch);
          double rerun = timed(spec, data, batch);
          long count = WarehouseDump.count(spec, "SELECT count(*) FROM observations");
          System.out.printf(
              Locale.ROOT,
              "%5d %-9s %18.0f %14.0f   (%d rows stored)%n",
              round,
              load,
              first,
              rerun,
              count);
        } finally {
          spec.release();
          Files.deleteIfExists(file);
          Files.deleteIfExists(Path.of(file + ".wal"));
        }
      }
    }
  }

  /** Rows per second of one load through one BatchWriter. */
  private static double timed(WarehouseSpec spec, List<Observation> data, int batch)
      throws Exception {
    long start = System.nanoTime();
    try (BatchWriter<Observation> w = new BatchWriter<>(spec, Tables.observations(), true, false)) {
      for (int from = 0; from < data.size(); from += batch) {
        w.write(data.subList(from, Math.min(data.size(), from + batch)));
      }
    }
    return data.size() / ((System.nanoTime() - start) / 1e9);
  }
}

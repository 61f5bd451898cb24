package dev.tslake.warehouse;

import dev.tslake.model.Observation;
import dev.tslake.testing.PostgresSupport;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Load timings of {@link UpsertBatches} on PostgreSQL: one {@link BatchWriter} (what one worker
 * thread of the load does) writes generated observations in batches, with MERGE, with INSERT ... ON
 * CONFLICT, and with the ON CONFLICT statement from before "only if changed", into an empty table,
 * then the same rows again, then all of them with a newer vintage. Also times the COPY into staging
 * alone, payload built whole or streamed in chunks. Not a test:
 *
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *   -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   dev.tslake.warehouse.UpsertBench 1000000 1000,5000,20000,50000
 * </pre>
 *
 * Args: rows, batch sizes, optional "shuffled" (rows in random order instead of key order). Uses
 * fresh schemas of {@link PostgresSupport#url()} and drops them.
 */
public final class UpsertBench {
  private static final long T0 = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();
  private static final long VINTAGE = Instant.parse("2024-06-01T00:00:00Z").toEpochMilli();

  private UpsertBench() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    List<Integer> batchSizes = new ArrayList<>();
    for (String s : (args.length > 1 ? args[1] : "1000,5000,20000,50000").split(",")) {
      batchSizes.add(Integer.parseInt(s.trim()));
    }
    boolean shuffled = args.length > 2 && args[2].equals("shuffled");
    List<Observation> data = generate(rows, shuffled);
    System.out.printf(
        Locale.ROOT,
        "%d observations, %s order, PostgreSQL at %s%n",
        rows,
        shuffled ? "random" : "key",
        PostgresSupport.url());

    List<Observation> newer = new ArrayList<>(data.size());
    for (Observation o : data) {
      newer.add(
          new Observation(
              o.source, o.seriesId, o.ts, o.value, o.vintage + 86_400_000L, o.origin, o.locator));
    }
    // warm-up: JIT, connection, catalog caches
    load(Mode.MERGE, data.subList(0, Math.min(rows, 100_000)), null, 5000, false);

    System.out.println();
    System.out.println("COPY into staging only (per batch: COPY, commit), best of 2");
    System.out.println("batch   whole-string rows/s  alloc MB | chunked rows/s  alloc MB");
    for (int batch : batchSizes) {
      double[] whole = {0, 0};
      double[] chunked = {0, 0};
      for (int rep = 0; rep < 2; rep++) {
        for (boolean streamed : rep == 0 ? List.of(false, true) : List.of(true, false)) {
          double[] r = copyOnly(data, batch, streamed);
          double[] best = streamed ? chunked : whole;
          best[0] = Math.max(best[0], r[0]);
          best[1] = r[1];
        }
      }
      System.out.printf(
          Locale.ROOT,
          "%6d  %19.0f %9.0f | %14.0f %9.0f%n",
          batch,
          whole[0],
          whole[1],
          chunked[0],
          chunked[1]);
    }

    System.out.println();
    System.out.println(
        "rows/s and WAL MB (cluster-wide) of: a load into the empty table; the same"
            + " rows again (and how many rows that rewrote); all rows again with a newer vintage");
    System.out.println(
        "statement            batch |   empty   WAL |   rerun   WAL rewritten |"
            + "   newer   WAL");
    for (int batch : batchSizes) {
      for (Mode mode : Mode.values()) {
        load(mode, data, newer, batch, true);
      }
    }
  }

  /** The statements compared; OLD_ON_CONFLICT is the one before MERGE and "only if changed". */
  enum Mode {
    MERGE,
    ON_CONFLICT,
    OLD_ON_CONFLICT;

    Table<Observation> table() {
      Table<Observation> table = Tables.observations();
      if (this != OLD_ON_CONFLICT) {
        return table;
      }
      return new Table<Observation>() {
        @Override
        public String name() {
          return table.name();
        }

        @Override
        public List<String> columns() {
          return table.columns();
        }

        @Override
        public List<String> keyColumns() {
          return table.keyColumns();
        }

        @Override
        public Object[] values(Observation row) {
          return table.values(row);
        }

        @Override
        public String matchCondition(String incoming) {
          return table.replaceWhen(incoming);
        }
      };
    }
  }

  static List<Observation> generate(int rows, boolean shuffled) {
    int series = Math.max(1, rows / 1000);
    List<Observation> out = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      int s = i / 1000;
      int t = i % 1000;
      out.add(
          new Observation(
              "bench",
              String.format(Locale.ROOT, "SERIES%05d", s % series),
              T0 + t * 86_400_000L,
              i % 50 == 0 ? null : i * 0.125,
              VINTAGE,
              "bench/file" + s + ".csv",
              "line " + (t + 2)));
    }
    if (shuffled) {
      Collections.shuffle(out, new Random(42));
    }
    return out;
  }

  /**
   * Loads into a fresh schema, the same rows again, then (if given) the newer vintage; prints a
   * result line if asked.
   */
  static void load(
      Mode mode, List<Observation> data, List<Observation> newer, int batch, boolean print)
      throws Exception {
    try (PostgresSupport.TestSchema schema = PostgresSupport.freshSchema("bench")) {
      WarehouseSpec spec =
          new WarehouseSpec(schema.url(), PostgresSupport.user(), PostgresSupport.password());
      WarehouseSchema.ensure(spec);
      try (Connection probe = schema.connect()) {
        probe.setAutoCommit(true);
        long wal0 = walLsn(probe);
        double empty = timeLoad(spec, mode, data, batch);
        long wal1 = walLsn(probe);
        long lastXid = newestXmin(probe, Long.MIN_VALUE);
        double rerun = timeLoad(spec, mode, data, batch);
        long wal2 = walLsn(probe);
        long rewritten = newestXmin(probe, lastXid);
        double changed = newer == null ? 0 : timeLoad(spec, mode, newer, batch);
        long wal3 = walLsn(probe);
        if (print) {
          System.out.printf(
              Locale.ROOT,
              "%-17s %8d | %7.0f %5.0f | %7.0f %5.0f %9d | %7.0f %5.0f%n",
              mode,
              batch,
              empty,
              (wal1 - wal0) / 1e6,
              rerun,
              (wal2 - wal1) / 1e6,
              rewritten,
              changed,
              (wal3 - wal2) / 1e6);
        }
      }
    }
  }

  private static double timeLoad(WarehouseSpec spec, Mode mode, List<Observation> data, int batch)
      throws Exception {
    long start = System.nanoTime();
    boolean merge = mode == Mode.MERGE;
    try (BatchWriter<Observation> w = new BatchWriter<>(spec, mode.table(), merge, false)) {
      if (w.usesMerge() != merge) {
        throw new IllegalStateException("expected MERGE " + merge);
      }
      for (int from = 0; from < data.size(); from += batch) {
        w.write(data.subList(from, Math.min(data.size(), from + batch)));
      }
    }
    return data.size() / ((System.nanoTime() - start) / 1e9);
  }

  private static long walLsn(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Without a bound: the newest xmin in the table. With one: how many rows have a newer xmin, i.e.
   * were rewritten since.
   */
  private static long newestXmin(Connection c, long after) throws SQLException {
    String sql =
        after == Long.MIN_VALUE
            ? "SELECT max(xmin::text::bigint) FROM observations"
            : "SELECT count(*) FROM observations WHERE xmin::text::bigint > " + after;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * COPY alone, batch by batch into a temporary table emptied at commit: rows/s and MB allocated by
   * this thread.
   */
  static double[] copyOnly(List<Observation> data, int batch, boolean chunked) throws Exception {
    Table<Observation> table = Tables.observations();
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (PostgresSupport.TestSchema schema = PostgresSupport.freshSchema("bench_copy")) {
      WarehouseSpec spec =
          new WarehouseSpec(schema.url(), PostgresSupport.user(), PostgresSupport.password());
      WarehouseSchema.ensure(spec);
      try (Connection c = spec.open()) {
        try (Statement st = c.createStatement()) {
          st.execute("CREATE TEMP TABLE stage (LIKE observations) ON COMMIT DELETE ROWS");
        }
        c.commit();
        String sql =
            "COPY stage ("
                + String.join(", ", table.columns().stream().map(Table::q).toList())
                + ") FROM STDIN (FORMAT csv)";
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        StringBuilder chunk = new StringBuilder(PostgresDialect.COPY_CHUNK + 4096);
        long alloc0 = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        long start = System.nanoTime();
        for (int from = 0; from < data.size(); from += batch) {
          List<Observation> part = data.subList(from, Math.min(data.size(), from + batch));
          if (chunked) {
            CopyIn in = copy.copyIn(sql);
            chunk.setLength(0);
            for (Observation o : part) {
              table.appendCopyRow(chunk, o);
              if (chunk.length() >= PostgresDialect.COPY_CHUNK) {
                byte[] b = chunk.toString().getBytes(StandardCharsets.UTF_8);
                in.writeToCopy(b, 0, b.length);
                chunk.setLength(0);
              }
            }
            byte[] b = chunk.toString().getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(b, 0, b.length);
            in.endCopy();
          } else {
            StringBuilder csv = new StringBuilder(part.size() * 160);
            for (Observation o : part) {
              table.appendCopyRow(csv, o);
            }
            copy.copyIn(sql, new StringReader(csv.toString()));
          }
          c.commit();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long alloc = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - alloc0;
        return new double[] {data.size() / seconds, alloc / 1e6};
      }
    }
  }
}

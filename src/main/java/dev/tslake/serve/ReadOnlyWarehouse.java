package dev.tslake.serve;

import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The warehouse, read-only. PostgreSQL: a few read-only connections kept between requests. DuckDB
 * allows one writing process per file, so the file is opened read-only for each request only and
 * closed after it: a job can take the file between requests. While a job holds it, requests get 503
 * saying so.
 */
final class ReadOnlyWarehouse implements AutoCloseable {
  /** Work done on one read-only connection. */
  interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private static final int POOL = 4;

  final WarehouseSpec spec;
  final boolean duckdb;
  private final @Nullable Path duckFile;
  private final BlockingQueue<Connection> idle = new ArrayBlockingQueue<>(POOL);

  ReadOnlyWarehouse(WarehouseSpec spec) {
    this.spec = spec;
    this.duckdb = spec.dialect.name().equals("duckdb");
    String path = duckdb ? spec.url.substring("jdbc:duckdb:".length()) : "";
    this.duckFile =
        duckdb && !path.isEmpty() && !path.startsWith(":memory:") ? Path.of(path) : null;
  }

  /** The warehouse for messages: URL without credentials. */
  String describe() {
    return spec.describe();
  }

  /**
   * DuckDB reads of this process, one at a time: DuckDB (1.4) attaching the same file for two
   * connects at once fails one of them ("Unique file handle conflict: Cannot attach ... already
   * attached"), which the dashboard's parallel requests hit (DashboardBrowserTest, CI run 21). Each
   * read opens, queries and closes in a few milliseconds, so a queue costs little.
   */
  private static final Object DUCKDB_READS = new Object();

  <T> T read(Work<T> work) {
    if (duckdb) {
      synchronized (DUCKDB_READS) {
        return readOnce(work);
      }
    }
    return readOnce(work);
  }

  private <T> T readOnce(Work<T> work) {
    Connection c = borrow();
    boolean reuse = false;
    try {
      T out = work.apply(c);
      c.rollback();
      reuse = !duckdb;
      return out;
    } catch (SQLException e) {
      throw new ApiException(
          503, "the warehouse " + describe() + " failed to answer: " + e.getMessage(), null);
    } finally {
      if (reuse && idle.offer(c)) {
        // kept for the next request
      } else {
        closeQuietly(c);
      }
    }
  }

  private Connection borrow() {
    if (duckdb) {
      return openDuckDb();
    }
    Connection c;
    while ((c = idle.poll()) != null) {
      try {
        if (c.isValid(2)) {
          return c;
        }
      } catch (SQLException e) {
        // broken: open another
      }
      closeQuietly(c);
    }
    try {
      c = spec.open();
      c.setReadOnly(true);
      return c;
    } catch (SQLException e) {
      throw new ApiException(
          503, "cannot connect to the warehouse " + describe() + ": " + e.getMessage(), null);
    }
  }

  private Connection openDuckDb() {
    if (duckFile != null && !Files.exists(duckFile)) {
      throw new ApiException(
          503,
          "no warehouse at "
              + duckFile
              + " yet: run the tslake job first (mvn -q compile exec:java), or point"
              + " --warehouseUrl at an existing warehouse",
          null);
    }
    Properties p = new Properties();
    p.setProperty("duckdb.read_only", "true");
    try {
      Connection c = DriverManager.getConnection(spec.url, p);
      c.setAutoCommit(false);
      return c;
    } catch (SQLException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("Could not set lock on file") || m.contains("Conflicting lock is held")) {
        throw new ApiException(
            503,
            "a tslake job is writing "
                + (duckFile == null ? spec.url : duckFile.toString())
                + "; the dashboard reads again when it finishes (DuckDB allows one writing"
                + " process; serve from PostgreSQL to watch while loading)",
            null);
      }
      throw new ApiException(
          503, "cannot open the warehouse " + describe() + " read-only: " + m, null);
    }
  }

  /** Whether {@code table} exists in the schema the connection reads. */
  static boolean tableExists(Connection c, String table) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT count(*) FROM information_schema.tables"
                + " WHERE table_name = ? AND table_schema = current_schema()")) {
      st.setString(1, table.toLowerCase(Locale.ROOT));
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getLong(1) > 0;
      }
    }
  }

  /** Whether {@code table} has {@code column}. */
  static boolean columnExists(Connection c, String table, String column) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = ?"
                + " AND column_name = ? AND table_schema = current_schema()")) {
      st.setString(1, table);
      st.setString(2, column);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getLong(1) > 0;
      }
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // nothing more to do
    }
  }

  @Override
  public void close() {
    Connection c;
    while ((c = idle.poll()) != null) {
      closeQuietly(c);
    }
  }
}

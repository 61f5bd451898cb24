package dev.tslake.warehouse;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Embedded DuckDB: a database file can be opened by only one process, so all writers in this JVM
 * share one database instance and write through duplicated connections, one at a time ({@link
 * #writeLock}).
 *
 * <p>A batch is appended with DuckDB's {@link DuckDBAppender} to a connection-temporary staging
 * table and written by one {@code INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE} with the
 * table's rule ({@link Table#upsertFromSql}). Kept because it measured faster than the multi-row
 * VALUES statements it replaced (about 4x on a first load, 19x on a rerun; {@link #INSTANCE}).
 */
public final class DuckDbDialect implements Dialect {
  /** How a batch reaches DuckDB. */
  public enum Load {
    /** Appender into a staging table, then one INSERT ... SELECT ... ON CONFLICT. */
    APPENDER,
    /** Multi-row {@code INSERT ... VALUES (...), (...) ON CONFLICT}, 500 rows a statement. */
    VALUES
  }

  /**
   * The dialect the URL picks: the appender, measured faster. DuckDbLoadBench, 500,000 observations
   * into a fresh file, batches of 1,000, same process (busy 2-core machine): appender 7,875 rows/s
   * first load, 19,084 rows/s rerun; VALUES statements 1,885 and 1,011 rows/s.
   */
  public static final DuckDbDialect INSTANCE = new DuckDbDialect(Load.APPENDER);

  /** Rows per multi-row VALUES statement ({@link Load#VALUES}). */
  static final int ROWS_PER_STATEMENT = 500;

  private static final Map<String, DuckDBConnection> INSTANCES = new HashMap<>();

  private final Load load;

  private DuckDbDialect(Load load) {
    this.load = load;
  }

  /** The dialect loading batches the given way (the benchmark compares them). */
  public static DuckDbDialect loading(Load load) {
    return load == INSTANCE.load ? INSTANCE : new DuckDbDialect(load);
  }

  public Load load() {
    return load;
  }

  @Override
  public String name() {
    return "duckdb";
  }

  /** DuckDB file paths are made absolute, so every worker thread opens the same database. */
  @Override
  public String normalizeUrl(String url) {
    String path = url.substring("jdbc:duckdb:".length());
    if (path.isEmpty() || path.startsWith(":memory:") || path.contains("?")) {
      return url;
    }
    return "jdbc:duckdb:" + Path.of(path).toAbsolutePath().normalize();
  }

  @Override
  public Connection open(
      String url, @Nullable String user, @Nullable String password, String described)
      throws SQLException {
    synchronized (INSTANCES) {
      DuckDBConnection base = INSTANCES.get(url);
      if (base == null || base.isClosed()) {
        try {
          // the driver itself, not DriverManager (see PostgresDialect.open: a second job on a
          // Flink TaskManager gets "No suitable driver" from DriverManager)
          base = (DuckDBConnection) new org.duckdb.DuckDBDriver().connect(url, new Properties());
          if (base == null) {
            throw new SQLException("not a DuckDB JDBC URL: " + url);
          }
        } catch (SQLException e) {
          throw isLockConflict(e) ? inUse(url, e) : e;
        }
        INSTANCES.put(url, base);
      }
      return base.duplicate();
    }
  }

  /** DuckDB's error when another process holds the file's lock. */
  static boolean isLockConflict(SQLException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("Could not set lock on file") || m.contains("Conflicting lock is held");
  }

  /** The lock error, saying what to do about it; not transient, so nothing retries it. */
  static SQLException inUse(String url, SQLException e) {
    return new SQLException(
        "warehouse "
            + url.substring("jdbc:duckdb:".length())
            + " is in use by another process (another tslake run or the tslake server holds it);"
            + " wait for it to finish or point --warehouseUrl elsewhere. If the tslake server"
            + " serves this file: stop the tslake server while the job runs (it opens the file"
            + " only while it answers a request), or use PostgreSQL to serve while loading."
            + " DuckDB said: "
            + e.getMessage(),
        "55006", // object_in_use
        e);
  }

  @Override
  public @Nullable Object writeLock(String url) {
    synchronized (INSTANCES) {
      return INSTANCES.get(url);
    }
  }

  /** Closes the shared embedded database of this URL, so another process may open the file. */
  @Override
  public void release(String url) {
    synchronized (INSTANCES) {
      DuckDBConnection base = INSTANCES.remove(url);
      if (base != null) {
        try {
          base.close();
        } catch (SQLException e) {
          // already closed or broken; nothing left to release
        }
      }
    }
  }

  /**
   * True: the launcher reads {@link StoredKeyRanges}, and a batch none of whose keys lies in its
   * series' stored range is appended straight into the table.
   */
  @Override
  public boolean wantsStoredKeyRanges() {
    return load == Load.APPENDER;
  }

  @Override
  public <T> Loader<T> loader(Connection connection, Table<T> table, boolean allowMerge) {
    return load == Load.APPENDER
        ? new AppenderLoader<>(connection, table)
        : new ValuesLoader<>(connection, table);
  }

  @Override
  public String toString() {
    return "DuckDbDialect{" + load + "}";
  }

  private Object readResolve() {
    return loading(load);
  }

  /**
   * Appender into a temporary staging table, then one upsert from it; or, for a batch none of whose
   * keys lies in its series' range stored at launch ({@link #storedAtLaunch}), the appender
   * straight into the table, as a plain bulk load does (measured: 84,000 observations into a fresh
   * file in batches of 5,000, 0.39 s against 0.60 s through staging). Within a batch run the dedup
   * writes each key once, so such a key can only be stored already if this batch committed before
   * (a retry): the append then fails on the primary key, is rolled back, and the batch goes through
   * staging, whose rule keeps the stored row.
   */
  static final class AppenderLoader<T> implements Loader<T> {
    private final Connection connection;
    private final Table<T> table;
    private final String staging;
    private final String upsert;
    private boolean stagingReady;
    private StoredKeyRanges.@Nullable Check<T> launchRanges;
    private long batches;
    private long rows;
    private long appendNanos;
    private long upsertNanos;
    private long directBatches;
    private long directRows;
    private long directNanos;
    private long directFallbacks;

    AppenderLoader(Connection connection, Table<T> table) {
      this.connection = connection;
      this.table = table;
      this.staging = "tslake_stage_" + table.name();
      this.upsert = table.upsertFromSql(staging);
    }

    @Override
    public void storedAtLaunch(StoredKeyRanges ranges) {
      launchRanges = ranges.checkOf(table);
    }

    @Override
    public long directBatches() {
      return directBatches;
    }

    /** Whether every key of the batch lies outside its series' range stored at launch. */
    private boolean outsideLaunchRanges(List<T> batch) {
      return launchRanges != null && !batch.isEmpty() && launchRanges.noneMayBeStored(batch);
    }

    @Override
    public long write(List<T> batch, boolean viaMerge) throws SQLException {
      if (outsideLaunchRanges(batch)) {
        long t0 = System.nanoTime();
        try {
          try (DuckDBAppender appender =
              connection
                  .unwrap(DuckDBConnection.class)
                  .createAppender(DuckDBConnection.DEFAULT_SCHEMA, table.name())) {
            appendAll(appender, batch);
            // DuckDB 1.4's appender loses the error of the rows it writes on close (a key already
            // stored, a key twice): the batch was then silently not loaded. flush() raises it.
            appender.flush();
          }
          connection.commit();
          directNanos += System.nanoTime() - t0;
          directBatches++;
          directRows += batch.size();
          return batch.size();
        } catch (SQLException e) {
          // a key already stored (a retry of a batch that committed): through staging instead;
          // anything else fails there again and is handled as any failed batch
          connection.rollback();
          directFallbacks++;
        }
      }
      return writeThroughStaging(batch);
    }

    private long writeThroughStaging(List<T> batch) throws SQLException {
      long changed;
      long t0 = System.nanoTime();
      long t1;
      try (Statement st = connection.createStatement()) {
        if (!stagingReady) {
          // same column types as the table, no constraints; lives as long as the connection
          st.execute(
              "CREATE TEMP TABLE IF NOT EXISTS "
                  + Table.q(staging)
                  + " AS SELECT * FROM "
                  + Table.q(table.name())
                  + " LIMIT 0");
          stagingReady = true;
        }
        st.execute("DELETE FROM " + Table.q(staging));
        try (DuckDBAppender appender =
            connection.unwrap(DuckDBConnection.class).createAppender("temp", "main", staging)) {
          appendAll(appender, batch);
          appender.flush();
        }
        t1 = System.nanoTime();
        changed = st.executeUpdate(upsert);
        st.execute("DELETE FROM " + Table.q(staging));
      }
      connection.commit();
      appendNanos += t1 - t0;
      upsertNanos += System.nanoTime() - t1;
      batches++;
      rows += batch.size();
      return changed;
    }

    private void appendAll(DuckDBAppender appender, List<T> batch) throws SQLException {
      for (T row : batch) {
        appender.beginRow();
        Object[] values = table.values(row);
        for (int i = 0; i < values.length; i++) {
          try {
            append(appender, values[i]);
          } catch (ArithmeticException e) {
            throw new SQLException(
                table.name() + "." + table.columns().get(i) + ": out of range: " + values[i], e);
          }
        }
        appender.endRow();
      }
    }

    @Override
    public String timings() {
      if (batches + directBatches == 0) {
        return "";
      }
      return String.format(
          java.util.Locale.ROOT,
          "%d batches straight into the table (%d rows, %.2f s; %d fell back to staging),"
              + " %d through staging (%d rows, appender %.2f s, upsert %.2f s)",
          directBatches,
          directRows,
          directNanos / 1e9,
          directFallbacks,
          batches,
          rows,
          appendNanos / 1e9,
          upsertNanos / 1e9);
    }

    private static void append(DuckDBAppender appender, @Nullable Object v) throws SQLException {
      if (v == null) {
        appender.appendNull();
      } else if (v instanceof Instant) {
        Instant i = (Instant) v;
        appender.appendEpochMicros(
            Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000));
      } else if (v instanceof Double) {
        appender.append(((Double) v).doubleValue());
      } else if (v instanceof Long) {
        appender.append(((Long) v).longValue());
      } else if (v instanceof Boolean) {
        appender.append(((Boolean) v).booleanValue());
      } else {
        appender.append((String) v);
      }
    }
  }

  /** The previous load: multi-row INSERT ... VALUES statements with bound parameters. */
  static final class ValuesLoader<T> implements Loader<T> {
    private final Connection connection;
    private final Table<T> table;
    private @Nullable String multiRowSql;

    ValuesLoader(Connection connection, Table<T> table) {
      this.connection = connection;
      this.table = table;
    }

    @Override
    public long write(List<T> batch, boolean viaMerge) throws SQLException {
      int width = table.columns().size();
      // PostgreSQL allows at most 32767 bind parameters per statement.
      int perStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT, 32767 / width));
      long changed = 0;
      for (int from = 0; from < batch.size(); from += perStatement) {
        int rows = Math.min(perStatement, batch.size() - from);
        try (PreparedStatement st =
            connection.prepareStatement(
                rows == perStatement ? fullSql(perStatement) : table.upsertSql(rows))) {
          for (int i = 0; i < rows; i++) {
            table.bind(st, i * width, batch.get(from + i));
          }
          changed += st.executeUpdate();
        }
      }
      connection.commit();
      return changed;
    }

    private String fullSql(int rows) {
      if (multiRowSql == null) {
        multiRowSql = table.upsertSql(rows);
      }
      return multiRowSql;
    }
  }
}

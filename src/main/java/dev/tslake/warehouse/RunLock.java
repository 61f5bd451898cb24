package dev.tslake.warehouse;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run at a time per warehouse: a run recomputes the windows it touches from what the warehouse
 * holds, which is only right if no other run loads into the same tables meanwhile. The launcher
 * holds this lock for the whole run; a second run waits for it (logging who holds it) up to a
 * maximum wait, then fails.
 *
 * <p>PostgreSQL: a session-level advisory lock ({@code pg_advisory_lock}) on a key derived from
 * "tslake run" and the warehouse's schema ({@code current_schema()}), held on a dedicated
 * connection whose {@code application_name} is {@code tslake run <runId>}; the server releases it
 * when that connection ends, so a crashed launcher never leaves it behind. Runs into other schemas
 * of the same database do not wait for each other.
 *
 * <p>DuckDB: the file can be open in one process only (a second one fails at once, see {@link
 * DuckDbDialect}); runs within this JVM wait on a lock per file.
 */
public final class RunLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
  private static final Map<String, ReentrantLock> LOCAL = new ConcurrentHashMap<>();
  private static final long POLL_MILLIS = 500;

  private final @Nullable Connection connection;
  private final @Nullable ReentrantLock local;
  private final String what;

  private RunLock(@Nullable Connection connection, @Nullable ReentrantLock local, String what) {
    this.connection = connection;
    this.local = local;
    this.what = what;
  }

  /**
   * Takes the run lock of {@code spec}'s warehouse for run {@code runId}, waiting up to {@code
   * maxWait}; throws {@link IllegalStateException} naming the holder when it is not free by then.
   */
  public static RunLock acquire(WarehouseSpec spec, String runId, Duration maxWait) {
    try {
      return spec.dialect instanceof PostgresDialect
          ? acquirePostgres(spec, runId, maxWait)
          : acquireLocal(spec, runId, maxWait);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot take the run lock of warehouse " + spec.describe() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the run lock", e);
    }
  }

  private static RunLock acquireLocal(WarehouseSpec spec, String runId, Duration maxWait)
      throws InterruptedException {
    ReentrantLock lock = LOCAL.computeIfAbsent(spec.url, u -> new ReentrantLock(true));
    if (!lock.tryLock()) {
      LOG.info(
          "run {} waits for another run of this process to finish with warehouse {}",
          runId,
          spec.describe());
      if (!lock.tryLock(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "run "
                + runId
                + ": another tslake run in this process still holds warehouse "
                + spec.describe()
                + " after "
                + maxWait.toSeconds()
                + " s (--warehouseRunLockWaitSeconds)");
      }
    }
    return new RunLock(null, lock, spec.describe());
  }

  private static RunLock acquirePostgres(WarehouseSpec spec, String runId, Duration maxWait)
      throws SQLException, InterruptedException {
    Connection c = spec.open();
    boolean ok = false;
    try {
      c.setAutoCommit(true);
      try (PreparedStatement st =
          c.prepareStatement("SELECT set_config('application_name', ?, false)")) {
        st.setString(1, applicationName(runId));
        st.execute();
      }
      long key = key(c);
      long deadline = System.nanoTime() + maxWait.toNanos();
      boolean logged = false;
      while (!tryLock(c, key)) {
        List<String> holders = holders(c, key);
        if (System.nanoTime() >= deadline) {
          throw new IllegalStateException(
              "run "
                  + runId
                  + ": warehouse "
                  + spec.describe()
                  + " is still held by "
                  + describe(holders)
                  + " after "
                  + maxWait.toSeconds()
                  + " s (--warehouseRunLockWaitSeconds); wait for it to finish");
        }
        if (!logged) {
          LOG.info(
              "run {} waits for {} to finish with warehouse {} (at most {} s)",
              runId,
              describe(holders),
              spec.describe(),
              maxWait.toSeconds());
          logged = true;
        }
        Thread.sleep(POLL_MILLIS);
      }
      ok = true;
      LOG.info("run {} holds the run lock of warehouse {}", runId, spec.describe());
      return new RunLock(c, null, spec.describe());
    } finally {
      if (!ok) {
        c.close();
      }
    }
  }

  /** The {@code application_name} of the lock's connection. */
  static String applicationName(String runId) {
    String name = "tslake run " + runId;
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  private static boolean tryLock(Connection c, long key) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      st.setLong(1, key);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** The lock key: "tslake run" and the schema the warehouse's tables live in. */
  static long key(Connection c) throws SQLException {
    String schema;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_database() || '.' || current_schema()")) {
      rs.next();
      schema = rs.getString(1);
    }
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256")
              .digest(("tslake run:" + schema).getBytes(StandardCharsets.UTF_8));
      long k = 0;
      for (int i = 0; i < 8; i++) {
        k = (k << 8) | (d[i] & 0xff);
      }
      return k;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Who holds the advisory lock {@code key}: application name, pid and since when. */
  static List<String> holders(Connection c, long key) throws SQLException {
    String sql =
        "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l"
            + " JOIN pg_stat_activity a ON a.pid = l.pid"
            + " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM"
            + " pg_database WHERE datname = current_database()) AND l.classid = ?::bigint::oid"
            + " AND l.objid = ?::bigint::oid AND l.objsubid = 1";
    List<String> out = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setLong(1, key >>> 32);
      st.setLong(2, key & 0xffffffffL);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(
              "'"
                  + rs.getString(1)
                  + "' (pid "
                  + rs.getInt(2)
                  + ", connected "
                  + rs.getTimestamp(3).toInstant()
                  + ")");
        }
      }
    }
    return out;
  }

  /** The holders of the run lock of {@code spec}'s warehouse (PostgreSQL; tests and messages). */
  public static List<String> holders(WarehouseSpec spec) throws SQLException {
    try (Connection c = spec.open()) {
      return holders(c, key(c));
    }
  }

  private static String describe(List<String> holders) {
    return holders.isEmpty() ? "another tslake run" : String.join(", ", holders);
  }

  @Override
  public void close() {
    if (local != null && local.isHeldByCurrentThread()) {
      local.unlock();
    }
    if (connection != null) {
      try {
        connection.close(); // ends the session: the server releases the advisory lock
      } catch (SQLException e) {
        LOG.warn("releasing the run lock of {}: {}", what, e.getMessage());
      }
    }
  }
}

package dev.tslake.warehouse;

import dev.tslake.retry.Attempts;
import dev.tslake.retry.RetryPolicy;
import dev.tslake.retry.TransientClassifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.util.Sleeper;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches of one table over one connection, without Beam ({@link UpsertBatches} runs one per
 * worker; tests and the load benchmarks drive it directly). How a batch reaches the database is the
 * {@link Dialect}'s business; this class decides what happens around it:
 *
 * <ul>
 *   <li>a batch with a key more than once is written row by row, in order, so the table's rule
 *       decides between the rows of one key as between runs (for observations: the newer vintage,
 *       and for the same vintage the later row). PostgreSQL refuses a MERGE or ON CONFLICT that
 *       affects a row twice, and DuckDB used to keep the first row of the key whatever its vintage;
 *   <li>a MERGE that met a concurrently inserted key is written again with ON CONFLICT;
 *   <li>a transient failure ({@link Dialect#transientErrors}) is retried under the {@link
 *       RetryPolicy}: roll back, sleep, then reconnect if the connection is gone (a failed
 *       reconnect is a failed attempt, retried in turn), and write the batch again;
 *   <li>any other failure is retried row by row to isolate the refused rows: with {@code
 *       isolateFailures} they come back as {@link UpsertBatches.KeyedFailure}s with the database's
 *       reason, otherwise the first one fails the write.
 * </ul>
 */
public final class BatchWriter<T> implements AutoCloseable {
  /**
   * The warehouse's default retries, long enough to ride out a database restart or failover: 12
   * attempts, waits of about 250 ms doubling up to 10 s each (jittered), about 60 s in all before
   * the write fails.
   */
  public static final RetryPolicy DEFAULT_RETRY =
      RetryPolicy.exponential(12, 250, 2).withMaxBackoffMillis(10_000);

  private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

  /** What the writer did, for metrics and tests; every method defaults to nothing. */
  public interface Listener {
    Listener NONE = new Listener() {};

    /** Rows the database accepted. */
    default void written(long rows) {}

    /** A row the database refused, isolated. */
    default void refused() {}

    /** A batch is about to be written again after a transient failure. */
    default void retrying(int failedAttempt, SQLException cause) {}

    /** A MERGE met a concurrently inserted key; the batch is written again with ON CONFLICT. */
    default void mergeFallback() {}

    /** A batch is written row by row (a key twice, or a row refused). */
    default void rowByRow() {}
  }

  /** Rows written by one {@link #write} and the rows refused. */
  public static final class Result<T> {
    public final long written;
    public final List<UpsertBatches.KeyedFailure<T>> failures;

    Result(long written, List<UpsertBatches.KeyedFailure<T>> failures) {
      this.written = written;
      this.failures = failures;
    }
  }

  private final WarehouseSpec spec;
  private final Table<T> table;
  private final boolean allowMerge;
  private final boolean isolateFailures;
  private final RetryPolicy retry;
  private final Sleeper sleeper;
  private final Listener listener;
  private final TransientClassifier<SQLException> transientErrors;
  private final String rowSql;
  private final int[] keyIndexes;
  private @Nullable Connection connection;
  private Dialect.@Nullable Loader<T> loader;
  private boolean suspect;
  private @Nullable StoredKeyRanges storedAtLaunch;

  /**
   * With the default retries and no listener. {@code isolateFailures}: a row the database refuses
   * becomes a {@link UpsertBatches.KeyedFailure}; otherwise it fails the write.
   */
  public BatchWriter(
      WarehouseSpec spec, Table<T> table, boolean allowMerge, boolean isolateFailures)
      throws SQLException {
    this(spec, table, allowMerge, isolateFailures, DEFAULT_RETRY, Sleeper.DEFAULT, Listener.NONE);
  }

  /**
   * Connects at once, so a warehouse that cannot be reached fails here; a transient connection
   * failure (a server restarting) is retried under {@code retry} first.
   */
  public BatchWriter(
      WarehouseSpec spec,
      Table<T> table,
      boolean allowMerge,
      boolean isolateFailures,
      RetryPolicy retry,
      Sleeper sleeper,
      Listener listener)
      throws SQLException {
    this.spec = spec;
    this.table = table;
    this.allowMerge = allowMerge;
    this.isolateFailures = isolateFailures;
    this.retry = retry;
    this.sleeper = sleeper;
    this.listener = listener;
    this.transientErrors = spec.dialect.transientErrors();
    this.rowSql = table.upsertSql();
    this.keyIndexes = table.keyColumns().stream().mapToInt(table.columns()::indexOf).toArray();
    connectWithRetries();
  }

  /** The first connection, retried under the policy while the failure is transient. */
  private void connectWithRetries() throws SQLException {
    Attempts attempts = retry.start(sleeper);
    while (true) {
      try {
        connect();
        return;
      } catch (SQLException e) {
        if (!transientErrors.isTransient(e) || attempts.isLast()) {
          throw e;
        }
        int failed = attempts.attempt();
        try {
          attempts.retryAfter(
              -1,
              wait ->
                  LOG.warn(
                      "{}: cannot connect to warehouse (attempt {}), retrying in {} ms: {}",
                      table.name(),
                      failed,
                      wait,
                      e.getMessage()));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** True when batches go through MERGE (PostgreSQL 15+, not disabled). */
  public boolean usesMerge() {
    return loader != null && loader.usesMerge();
  }

  /**
   * What the table held when the run was launched ({@link StoredKeyRanges}), for every connection
   * of this writer; this writer's loader may then skip the MERGE of a batch outside it.
   */
  public BatchWriter<T> storedAtLaunch(@Nullable StoredKeyRanges ranges) {
    storedAtLaunch = ranges;
    if (ranges != null && loader != null) {
      loader.storedAtLaunch(ranges);
    }
    return this;
  }

  /** Batches the current loader wrote straight into the table (tests). */
  long directBatches() {
    return loader == null ? 0 : loader.directBatches();
  }

  /** The current connection (tests). */
  Connection connection() {
    return connection;
  }

  private void connect() throws SQLException {
    connection = null;
    loader = null;
    Connection c = spec.open();
    connection = c;
    loader = spec.dialect.loader(c, table, allowMerge);
    if (storedAtLaunch != null) {
      loader.storedAtLaunch(storedAtLaunch);
    }
    suspect = false;
  }

  /** Before an attempt that follows a failure: a new connection if the old one is gone. */
  private void ensureConnected() throws SQLException {
    if (connection != null && !suspect) {
      return;
    }
    if (connection != null) {
      boolean gone;
      try {
        gone = connection.isClosed() || !connection.isValid(5);
      } catch (SQLException e) {
        gone = true;
      }
      if (!gone) {
        suspect = false;
        return;
      }
      closeQuietly();
    }
    connect();
  }

  public Result<T> write(List<T> batch) throws Exception {
    return write(batch, false);
  }

  /**
   * {@link #write} for a batch the caller knows holds each key once (a dedup step's winners): on a
   * database that refuses a batch with a key twice ({@link Dialect#refusesKeyTwice}) the check for
   * one is skipped. Were a key there twice after all, the load would be refused and the batch
   * written row by row, in order, as {@link #write} does.
   */
  public Result<T> writeDistinct(List<T> batch) throws Exception {
    return write(batch, true);
  }

  private Result<T> write(List<T> batch, boolean distinct) throws Exception {
    Object lock = spec.writeLock();
    if (lock == null) {
      return writeWithRetries(batch, distinct);
    }
    synchronized (lock) {
      return writeWithRetries(batch, distinct);
    }
  }

  private Result<T> writeWithRetries(List<T> batch, boolean distinct) throws Exception {
    if (!(distinct && spec.dialect.refusesKeyTwice()) && !distinctKeys(batch)) {
      // One statement may not affect a row twice: PostgreSQL refuses it, DuckDB keeps the
      // key's first row whatever its vintage. In order, the table's rule decides.
      LOG.info(
          "{}: a batch of {} has a key more than once; writing it row by row, in order",
          table.name(),
          batch.size());
      listener.rowByRow();
      ensureConnected();
      return writeRowByRow(batch);
    }
    boolean mergeAllowed = true;
    Attempts attempts = retry.start(sleeper);
    while (true) {
      boolean viaMerge = false;
      try {
        ensureConnected();
        viaMerge = mergeAllowed && loader.usesMerge();
        loader.write(batch, viaMerge);
        listener.written(batch.size());
        return new Result<>(batch.size(), List.of());
      } catch (SQLException e) {
        rollbackQuietly();
        if (viaMerge && loader.isMergeConflict(e)) {
          listener.mergeFallback();
          LOG.info(
              "{}: MERGE of a batch of {} met a concurrently inserted key ({}); writing"
                  + " the batch again with INSERT ... ON CONFLICT",
              table.name(),
              batch.size(),
              e.getMessage());
          mergeAllowed = false;
          continue;
        }
        if (transientErrors.isTransient(e)) {
          int failed = attempts.attempt();
          if (attempts.isLast()) {
            throw new IllegalStateException(
                "warehouse "
                    + spec.describe()
                    + ": writing "
                    + table.name()
                    + " failed "
                    + failed
                    + " times: "
                    + e.getMessage(),
                e);
          }
          listener.retrying(failed, e);
          suspect = true;
          attempts.retryAfter(
              -1,
              wait ->
                  LOG.warn(
                      "{}: transient failure writing a batch of {} (attempt {}), retrying in {}"
                          + " ms: {}",
                      table.name(),
                      batch.size(),
                      failed,
                      wait,
                      e.getMessage()));
          continue;
        }
        LOG.warn(
            "{}: batch of {} failed ({}); retrying row by row to isolate the bad rows",
            table.name(),
            batch.size(),
            e.getMessage());
        listener.rowByRow();
        return writeRowByRow(batch);
      }
    }
  }

  /** Whether no key occurs twice in the batch. */
  private boolean distinctKeys(List<T> batch) {
    Set<List<Object>> keys = new HashSet<>(batch.size() * 2);
    for (T row : batch) {
      Object[] values = table.values(row);
      Object[] key = new Object[keyIndexes.length];
      for (int k = 0; k < key.length; k++) {
        key[k] = values[keyIndexes[k]];
      }
      if (!keys.add(Arrays.asList(key))) {
        return false;
      }
    }
    return true;
  }

  private Result<T> writeRowByRow(List<T> batch) throws SQLException {
    long ok = 0;
    List<UpsertBatches.KeyedFailure<T>> failures = new ArrayList<>();
    for (T row : batch) {
      try (PreparedStatement st = connection.prepareStatement(rowSql)) {
        table.bind(st, row);
        st.executeUpdate();
        connection.commit();
        ok++;
      } catch (SQLException e) {
        rollbackQuietly();
        if (transientErrors.isTransient(e) || !isolateFailures) {
          throw new SQLException(
              table.name()
                  + ": row "
                  + row
                  + " refused by warehouse "
                  + spec.describe()
                  + ": "
                  + e.getMessage(),
              e.getSQLState(),
              e);
        }
        listener.refused();
        failures.add(
            new UpsertBatches.KeyedFailure<>(row, "warehouse refused the row: " + e.getMessage()));
      }
    }
    listener.written(ok);
    return new Result<>(ok, failures);
  }

  private void rollbackQuietly() {
    if (connection == null) {
      return;
    }
    try {
      connection.rollback();
    } catch (SQLException e) {
      LOG.debug("rollback failed: {}", e.getMessage());
    }
  }

  private void closeQuietly() {
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.debug("closing a broken connection: {}", e.getMessage());
    }
    connection = null;
    loader = null;
  }

  @Override
  public void close() {
    if (connection == null) {
      return;
    }
    if (loader != null && !loader.timings().isEmpty()) {
      LOG.info("{}: {}", table.name(), loader.timings());
    }
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.warn("closing warehouse connection: {}", e.getMessage());
    }
  }
}

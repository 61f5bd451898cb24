package dev.tslake.warehouse;

import dev.tslake.retry.TransientClassifier;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What differs between the warehouse databases: how to connect, how a batch is loaded, which errors
 * are worth retrying. One implementation per database, chosen from the JDBC URL ({@link #forUrl}):
 * {@link PostgresDialect} and {@link DuckDbDialect}.
 */
public interface Dialect extends Serializable {

  /** The dialect of a {@code jdbc:postgresql:} or {@code jdbc:duckdb:} URL. */
  static Dialect forUrl(String url) {
    String u = url.toLowerCase(Locale.ROOT);
    if (u.startsWith("jdbc:postgresql:")) {
      return PostgresDialect.INSTANCE;
    }
    if (u.startsWith("jdbc:duckdb:")) {
      return DuckDbDialect.INSTANCE;
    }
    throw new IllegalArgumentException(
        "warehouse URL "
            + WarehouseSpec.redact(url)
            + " is not supported: use"
            + " jdbc:postgresql://host:port/db or jdbc:duckdb:/path/to/file.duckdb");
  }

  /** A short name for logs: "postgresql", "duckdb". */
  String name();

  /** The URL every worker should use for the same database (e.g. an absolute file path). */
  default String normalizeUrl(String url) {
    return url;
  }

  /**
   * Opens a connection (auto-commit still on). {@code described}: the URL without credentials, for
   * error messages.
   */
  Connection open(String url, @Nullable String user, @Nullable String password, String described)
      throws SQLException;

  /** Object that serializes writes to one embedded database; null for a server database. */
  default @Nullable Object writeLock(String url) {
    return null;
  }

  /** Lets go of what this process holds of the database (an embedded file), if anything. */
  default void release(String url) {}

  /**
   * Whether a batch's load is refused when the batch holds a key twice, so a caller sure of its
   * keys may skip checking them ({@link BatchWriter#writeDistinct}). PostgreSQL's {@code COPY},
   * {@code MERGE} and {@code ON CONFLICT} refuse such a batch. DuckDB's batches are always checked:
   * its appender refuses such a batch only when flushed (DuckDB 1.4 lost the error on close, and
   * the batch with it, until the loader flushed first), and its staging upsert is not known to keep
   * the row-by-row rule.
   */
  default boolean refusesKeyTwice() {
    return false;
  }

  /** Which failures of a batch are worth retrying, in a new transaction. */
  default TransientClassifier<SQLException> transientErrors() {
    return TransientSqlErrors.INSTANCE;
  }

  /**
   * Whether the launcher should read {@link StoredKeyRanges} for the writers (PostgreSQL's direct
   * COPY path, unless disabled).
   */
  default boolean wantsStoredKeyRanges() {
    return false;
  }

  /** Loads batches of one table over {@code connection}, which it owns from now on. */
  <T> Loader<T> loader(Connection connection, Table<T> table, boolean allowMerge)
      throws SQLException;

  /** A table's batch loader on one connection: keeps the per-session state (staging table). */
  interface Loader<T> {
    /** Whether batches go through MERGE (PostgreSQL 15+, not disabled). */
    default boolean usesMerge() {
      return false;
    }

    /**
     * Writes a batch with distinct keys in one transaction and commits it; a stored row is only
     * rewritten when {@link Table#matchCondition} holds. {@code viaMerge}: with MERGE, when {@link
     * #usesMerge}. Returns the rows the database inserted or updated, as it reports them.
     */
    long write(List<T> batch, boolean viaMerge) throws SQLException;

    /**
     * What the table held at launch ({@code observations}' and {@code observation_vintages}' rows
     * are keyed by source, series_id, ts): a batch none of whose keys lies in a stored range may
     * skip the MERGE. Ignored by default.
     */
    default void storedAtLaunch(StoredKeyRanges ranges) {}

    /** Whether {@code e}, from a MERGE, means: write the batch again with ON CONFLICT. */
    default boolean isMergeConflict(SQLException e) {
      return false;
    }

    /** Batches written straight into the table, bypassing staging and MERGE (tests). */
    default long directBatches() {
      return 0;
    }

    /** Where this loader's time went, for the log when its writer closes; empty if nothing. */
    default String timings() {
      return "";
    }
  }
}

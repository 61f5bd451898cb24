package dev.tslake.warehouse;

import dev.tslake.model.Reject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batched, transactional upserts: rows are buffered per bundle and each batch is written in one
 * transaction. A batch that fails for a transient reason (connection lost, serialization conflict,
 * deadlock) is retried with backoff; one that fails for a row's sake is retried row by row to
 * isolate the bad row, which goes to the dead-letter output with the database's reason (or fails
 * the run, for tables that have no dead letter). Upserts make retried bundles harmless, and a
 * stored row is only rewritten when the incoming one changes it ({@link Table#matchCondition}), so
 * loading the same data again writes nothing. On PostgreSQL a batch is COPYed into a staging table
 * and merged from there ({@link BatchWriter}).
 *
 * <p>Outputs the number of rows written per batch ({@link #WRITTEN}) and the dead letters ({@link
 * #FAILED}); both are in the global window.
 */
public final class UpsertBatches<T> extends PTransform<PCollection<T>, PCollectionTuple> {
  public static final TupleTag<Long> WRITTEN = new TupleTag<Long>() {};
  public static final TupleTag<Reject> FAILED = new TupleTag<Reject>() {};

  private static final Logger LOG = LoggerFactory.getLogger(UpsertBatches.class);
  static final int MAX_ATTEMPTS = 4;
  static final int ROWS_PER_STATEMENT = 500;

  /** Characters of CSV sent per COPY message. */
  static final int COPY_CHUNK = 1 << 16;

  private final WarehouseSpec spec;
  private final Table<T> table;
  private final int batchSize;
  private final boolean allowMerge;
  private final @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter;

  private UpsertBatches(
      WarehouseSpec spec,
      Table<T> table,
      int batchSize,
      boolean allowMerge,
      @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter) {
    this.spec = spec;
    this.table = table;
    this.batchSize = batchSize;
    this.allowMerge = allowMerge;
    this.deadLetter = deadLetter;
  }

  public static <T> UpsertBatches<T> into(WarehouseSpec spec, Table<T> table) {
    return new UpsertBatches<>(spec, table, 1000, true, null);
  }

  public UpsertBatches<T> withBatchSize(int size) {
    return new UpsertBatches<>(spec, table, size, allowMerge, deadLetter);
  }

  /** Rows the database refuses become rejects instead of failing the run. */
  public UpsertBatches<T> withDeadLetter(SerializableFunction<KeyedFailure<T>, Reject> fn) {
    return new UpsertBatches<>(spec, table, batchSize, allowMerge, fn);
  }

  /** PostgreSQL 15+ too writes batches with INSERT ... ON CONFLICT instead of MERGE (tests). */
  UpsertBatches<T> withoutMerge() {
    return new UpsertBatches<>(spec, table, batchSize, false, deadLetter);
  }

  /** A row the database refused, and its reason. */
  public static final class KeyedFailure<T> {
    public final T row;
    public final String reason;

    KeyedFailure(T row, String reason) {
      this.row = row;
      this.reason = reason;
    }
  }

  @Override
  public PCollectionTuple expand(PCollection<T> rows) {
    PCollectionTuple out =
        rows.apply(
            "Upsert " + table.name(),
            ParDo.of(new UpsertFn<>(spec, table, batchSize, allowMerge, deadLetter))
                .withOutputTags(WRITTEN, TupleTagList.of(FAILED)));
    out.get(WRITTEN).setCoder(VarLongCoder.of());
    out.get(FAILED).setCoder(Reject.coder());
    return out;
  }

  static final class UpsertFn<T> extends DoFn<T, Long> {
    private final WarehouseSpec spec;
    private final Table<T> table;
    private final int batchSize;
    private final boolean allowMerge;
    private final @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter;
    private transient BatchWriter<T> writer;
    private transient List<T> buffer;

    UpsertFn(
        WarehouseSpec spec,
        Table<T> table,
        int batchSize,
        boolean allowMerge,
        @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter) {
      this.spec = spec;
      this.table = table;
      this.batchSize = batchSize;
      this.allowMerge = allowMerge;
      this.deadLetter = deadLetter;
    }

    @Setup
    public void setup() throws SQLException {
      writer = new BatchWriter<>(spec, table, allowMerge, deadLetter != null);
    }

    @StartBundle
    public void startBundle() {
      buffer = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element T row, MultiOutputReceiver out) throws Exception {
      buffer.add(row);
      if (buffer.size() >= batchSize) {
        Result<T> r = flush();
        out.get(WRITTEN).output(r.written);
        for (KeyedFailure<T> f : r.failures) {
          out.get(FAILED).output(deadLetter.apply(f));
        }
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) throws Exception {
      if (buffer.isEmpty()) {
        return;
      }
      Result<T> r = flush();
      ctx.output(WRITTEN, r.written, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      for (KeyedFailure<T> f : r.failures) {
        ctx.output(
            FAILED,
            deadLetter.apply(f),
            GlobalWindow.INSTANCE.maxTimestamp(),
            GlobalWindow.INSTANCE);
      }
    }

    @Teardown
    public void teardown() {
      if (writer != null) {
        writer.close();
      }
    }

    private Result<T> flush() throws Exception {
      List<T> batch = buffer;
      buffer = new ArrayList<>();
      return writer.write(batch);
    }
  }

  /**
   * Writes batches of one table over one connection: the database work of {@link UpsertFn}, without
   * Beam (tests and the load benchmark drive it directly).
   *
   * <p>PostgreSQL: each batch is COPYed into a session-temporary staging table, then written by one
   * statement, in one transaction. On PostgreSQL 15+ that statement is a {@code MERGE}, which
   * inserts new keys without {@code ON CONFLICT}'s speculative insertion and leaves unchanged rows
   * alone (not even locked); older servers get {@code INSERT ... SELECT ... ON CONFLICT}. MERGE
   * fails with a unique violation (23505) when another transaction inserts one of the batch's keys
   * meanwhile; the batch is then written again, in a new transaction, with the ON CONFLICT
   * statement.
   *
   * <p>A batch with a key more than once is written row by row, in order, on both databases, so the
   * table's rule decides between the rows of one key as between runs (for observations: the newer
   * vintage, and for the same vintage the later row). PostgreSQL refuses a MERGE or ON CONFLICT
   * that affects a row twice (21000; a MERGE inserting a key twice fails with 23505 instead), so
   * such batches went row by row before too; DuckDB used to keep the first row of the key silently,
   * whatever its vintage.
   */
  static final class BatchWriter<T> implements AutoCloseable {
    static final String UNIQUE_VIOLATION = "23505";

    private final WarehouseSpec spec;
    private final Table<T> table;
    private final boolean allowMerge;
    private final boolean isolateFailures;
    private final String rowSql;
    private final int[] keyIndexes;
    private final Counter written;
    private final Counter failedRows;
    private final Counter retries;
    private final Counter mergeConflicts;
    private final StringBuilder chunk = new StringBuilder(COPY_CHUNK + 4096);
    private Connection connection;
    private boolean merge;
    private boolean stagingReady;
    private @Nullable String multiRowSql;

    /** Batches written again with ON CONFLICT after MERGE met a concurrent insert (tests). */
    int mergeFallbacks;

    /** Batches written row by row (tests). */
    int rowByRowBatches;

    /**
     * {@code isolateFailures}: a row the database refuses becomes a {@link KeyedFailure}; otherwise
     * it fails the write.
     */
    BatchWriter(WarehouseSpec spec, Table<T> table, boolean allowMerge, boolean isolateFailures)
        throws SQLException {
      this.spec = spec;
      this.table = table;
      this.allowMerge = allowMerge;
      this.isolateFailures = isolateFailures;
      this.rowSql = table.upsertSql();
      this.keyIndexes = table.keyColumns().stream().mapToInt(table.columns()::indexOf).toArray();
      this.written = Metrics.counter(UpsertBatches.class, table.name() + "_written");
      this.failedRows = Metrics.counter(UpsertBatches.class, table.name() + "_failed");
      this.retries = Metrics.counter(UpsertBatches.class, table.name() + "_batch_retries");
      this.mergeConflicts =
          Metrics.counter(UpsertBatches.class, table.name() + "_merge_unique_violations");
      connect();
    }

    /** True when batches go through MERGE (PostgreSQL 15+, not disabled). */
    boolean usesMerge() {
      return merge;
    }

    Connection connection() {
      return connection;
    }

    private void connect() throws SQLException {
      connection = spec.open();
      stagingReady = false;
      merge =
          allowMerge
              && spec.dialect == WarehouseSpec.Dialect.POSTGRES
              && connection.getMetaData().getDatabaseMajorVersion() >= 15;
    }

    Result<T> write(List<T> batch) throws Exception {
      Object lock = spec.writeLock();
      if (lock == null) {
        return writeWithRetries(batch);
      }
      synchronized (lock) {
        return writeWithRetries(batch);
      }
    }

    private Result<T> writeWithRetries(List<T> batch) throws Exception {
      if (!distinctKeys(batch)) {
        // One statement may not affect a row twice: PostgreSQL refuses it, DuckDB keeps the
        // key's first row whatever its vintage. In order, the table's rule decides.
        LOG.info(
            "{}: a batch of {} has a key more than once; writing it row by row, in order",
            table.name(),
            batch.size());
        rowByRowBatches++;
        return writeRowByRow(batch);
      }
      boolean viaMerge = merge;
      int attempt = 1;
      while (true) {
        try {
          writeBatch(batch, viaMerge);
          written.inc(batch.size());
          return new Result<>(batch.size(), List.of());
        } catch (SQLException e) {
          rollbackQuietly();
          if (viaMerge && UNIQUE_VIOLATION.equals(e.getSQLState())) {
            // another transaction inserted one of the keys after MERGE looked for it
            mergeConflicts.inc();
            mergeFallbacks++;
            LOG.info(
                "{}: MERGE of a batch of {} met a concurrently inserted key ({}); writing"
                    + " the batch again with INSERT ... ON CONFLICT",
                table.name(),
                batch.size(),
                e.getMessage());
            viaMerge = false;
            continue;
          }
          if (isTransient(e) && attempt < MAX_ATTEMPTS) {
            retries.inc();
            long sleep = (long) (200 * Math.pow(4, attempt - 1) * (0.5 + Math.random()));
            LOG.warn(
                "{}: transient failure writing a batch of {} (attempt {}), retrying in {} ms: {}",
                table.name(),
                batch.size(),
                attempt,
                sleep,
                e.getMessage());
            reconnectIfClosed();
            Thread.sleep(sleep);
            attempt++;
            continue;
          }
          if (isTransient(e)) {
            throw new IllegalStateException(
                "warehouse "
                    + spec.describe()
                    + ": writing "
                    + table.name()
                    + " failed "
                    + attempt
                    + " times: "
                    + e.getMessage(),
                e);
          }
          LOG.warn(
              "{}: batch of {} failed ({}); retrying row by row to isolate the bad rows",
              table.name(),
              batch.size(),
              e.getMessage());
          rowByRowBatches++;
          return writeRowByRow(batch);
        }
      }
    }

    /**
     * The whole batch in one transaction. PostgreSQL: COPY into the staging table, then one MERGE
     * or INSERT ... SELECT ... ON CONFLICT (COPY parses rows several times faster than bound
     * INSERTs). DuckDB: multi-row INSERT ... VALUES statements.
     */
    private void writeBatch(List<T> batch, boolean viaMerge) throws SQLException {
      if (spec.dialect == WarehouseSpec.Dialect.POSTGRES) {
        copyBatch(batch, viaMerge);
        return;
      }
      int width = table.columns().size();
      // PostgreSQL allows at most 32767 bind parameters per statement.
      int perStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT, 32767 / width));
      for (int from = 0; from < batch.size(); from += perStatement) {
        int rows = Math.min(perStatement, batch.size() - from);
        try (PreparedStatement st =
            connection.prepareStatement(
                rows == perStatement ? fullSql(perStatement) : table.upsertSql(rows))) {
          for (int i = 0; i < rows; i++) {
            table.bind(st, i * width, batch.get(from + i));
          }
          st.executeUpdate();
        }
      }
      connection.commit();
    }

    private String stagingTable() {
      return "tslake_stage_" + table.name();
    }

    private void copyBatch(List<T> batch, boolean viaMerge) throws SQLException {
      String staging = stagingTable();
      if (!stagingReady) {
        try (Statement st = connection.createStatement()) {
          st.execute(
              "CREATE TEMP TABLE IF NOT EXISTS "
                  + Table.q(staging)
                  + " (LIKE "
                  + Table.q(table.name())
                  + ") ON COMMIT DELETE ROWS");
          if (merge) {
            // This session only runs these upserts. Without this, PostgreSQL joins a batch of a
            // few thousand rows or more by hashing the whole target table (565 ms instead of
            // 212 ms for 50,000 rows against 1M, and growing with the table) instead of
            // looking each staged key up in the primary key.
            st.execute("SET enable_hashjoin = off");
            st.execute("SET enable_mergejoin = off");
          }
        }
        connection.commit();
        stagingReady = true;
      }
      copyIn(staging, batch);
      try (Statement st = connection.createStatement()) {
        st.executeUpdate(viaMerge ? table.mergeFromSql(staging) : table.upsertFromSql(staging));
      }
      connection.commit();
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

    /**
     * Streams the batch as CSV into the staging table, about {@link #COPY_CHUNK} chars a message.
     */
    private void copyIn(String staging, List<T> batch) throws SQLException {
      String cols = table.columns().stream().map(Table::q).collect(Collectors.joining(", "));
      CopyIn copy =
          connection
              .unwrap(PGConnection.class)
              .getCopyAPI()
              .copyIn("COPY " + Table.q(staging) + " (" + cols + ") FROM STDIN (FORMAT csv)");
      try {
        chunk.setLength(0);
        for (T row : batch) {
          table.appendCopyRow(chunk, row);
          if (chunk.length() >= COPY_CHUNK) {
            send(copy);
          }
        }
        send(copy);
        copy.endCopy();
      } finally {
        if (copy.isActive()) {
          try {
            copy.cancelCopy();
          } catch (SQLException e) {
            LOG.debug("cancelling COPY failed: {}", e.getMessage());
          }
        }
      }
    }

    private void send(CopyIn copy) throws SQLException {
      if (chunk.length() == 0) {
        return;
      }
      byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
      copy.writeToCopy(bytes, 0, bytes.length);
      chunk.setLength(0);
    }

    private String fullSql(int rows) {
      if (multiRowSql == null) {
        multiRowSql = table.upsertSql(rows);
      }
      return multiRowSql;
    }

    private Result<T> writeRowByRow(List<T> batch) throws SQLException {
      long ok = 0;
      List<KeyedFailure<T>> failures = new ArrayList<>();
      for (T row : batch) {
        try (PreparedStatement st = connection.prepareStatement(rowSql)) {
          table.bind(st, row);
          st.executeUpdate();
          connection.commit();
          ok++;
        } catch (SQLException e) {
          rollbackQuietly();
          if (isTransient(e) || !isolateFailures) {
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
          failedRows.inc();
          failures.add(new KeyedFailure<>(row, "warehouse refused the row: " + e.getMessage()));
        }
      }
      written.inc(ok);
      return new Result<>(ok, failures);
    }

    private void rollbackQuietly() {
      try {
        connection.rollback();
      } catch (SQLException e) {
        LOG.debug("rollback failed: {}", e.getMessage());
      }
    }

    private void reconnectIfClosed() throws SQLException {
      boolean closed;
      try {
        closed = connection.isClosed() || !connection.isValid(5);
      } catch (SQLException e) {
        closed = true;
      }
      if (closed) {
        connect();
      }
    }

    @Override
    public void close() {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.warn("closing warehouse connection: {}", e.getMessage());
      }
    }
  }

  /** Connection errors, serialization failures, deadlocks, server shutdown: worth retrying. */
  static boolean isTransient(SQLException e) {
    String state = e.getSQLState();
    if (state == null) {
      return false;
    }
    return state.startsWith("08")
        || state.equals("40001")
        || state.equals("40P01")
        || state.startsWith("53")
        || state.equals("57P01")
        || state.equals("57P02")
        || state.equals("57P03");
  }

  static final class Result<T> {
    final long written;
    final List<KeyedFailure<T>> failures;

    Result(long written, List<KeyedFailure<T>> failures) {
      this.written = written;
      this.failures = failures;
    }
  }
}

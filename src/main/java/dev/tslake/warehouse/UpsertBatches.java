package dev.tslake.warehouse;

import dev.tslake.model.Reject;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.Statement;
import org.postgresql.PGConnection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batched, transactional upserts: rows are buffered per bundle and each batch is written in one
 * transaction. A batch that fails for a transient reason (connection lost, serialization
 * conflict, deadlock) is retried with backoff; one that fails for a row's sake is retried row by
 * row to isolate the bad row, which goes to the dead-letter output with the database's reason
 * (or fails the run, for tables that have no dead letter). Upserts make retried bundles harmless.
 *
 * <p>Outputs the number of rows written per batch ({@link #WRITTEN}) and the dead letters
 * ({@link #FAILED}); both are in the global window.
 */
public final class UpsertBatches<T> extends PTransform<PCollection<T>, PCollectionTuple> {
  public static final TupleTag<Long> WRITTEN = new TupleTag<Long>() {};
  public static final TupleTag<Reject> FAILED = new TupleTag<Reject>() {};

  private static final Logger LOG = LoggerFactory.getLogger(UpsertBatches.class);
  static final int MAX_ATTEMPTS = 4;
  static final int ROWS_PER_STATEMENT = 500;

  private final WarehouseSpec spec;
  private final Table<T> table;
  private final int batchSize;
  private final @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter;

  private UpsertBatches(WarehouseSpec spec, Table<T> table, int batchSize,
      @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter) {
    this.spec = spec;
    this.table = table;
    this.batchSize = batchSize;
    this.deadLetter = deadLetter;
  }

  public static <T> UpsertBatches<T> into(WarehouseSpec spec, Table<T> table) {
    return new UpsertBatches<>(spec, table, 1000, null);
  }

  public UpsertBatches<T> withBatchSize(int size) {
    return new UpsertBatches<>(spec, table, size, deadLetter);
  }

  /** Rows the database refuses become rejects instead of failing the run. */
  public UpsertBatches<T> withDeadLetter(SerializableFunction<KeyedFailure<T>, Reject> fn) {
    return new UpsertBatches<>(spec, table, batchSize, fn);
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
    PCollectionTuple out = rows.apply("Upsert " + table.name(),
        ParDo.of(new UpsertFn<>(spec, table, batchSize, deadLetter))
            .withOutputTags(WRITTEN, TupleTagList.of(FAILED)));
    out.get(WRITTEN).setCoder(VarLongCoder.of());
    out.get(FAILED).setCoder(Reject.Coder.of());
    return out;
  }

  static final class UpsertFn<T> extends DoFn<T, Long> {
    private final WarehouseSpec spec;
    private final Table<T> table;
    private final int batchSize;
    private final @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter;
    private final Counter written;
    private final Counter failedRows;
    private final Counter retries;
    private transient Connection connection;
    private transient String sql;
    private transient String multiRowSql;
    private transient boolean stagingReady;
    private transient List<T> buffer;

    UpsertFn(WarehouseSpec spec, Table<T> table, int batchSize,
        @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter) {
      this.spec = spec;
      this.table = table;
      this.batchSize = batchSize;
      this.deadLetter = deadLetter;
      this.written = Metrics.counter(UpsertBatches.class, table.name() + "_written");
      this.failedRows = Metrics.counter(UpsertBatches.class, table.name() + "_failed");
      this.retries = Metrics.counter(UpsertBatches.class, table.name() + "_batch_retries");
    }

    @Setup
    public void setup() throws SQLException {
      sql = table.upsertSql();
      connection = spec.open();
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
        ctx.output(FAILED, deadLetter.apply(f), GlobalWindow.INSTANCE.maxTimestamp(),
            GlobalWindow.INSTANCE);
      }
    }

    @Teardown
    public void teardown() {
      if (connection != null) {
        try {
          connection.close();
        } catch (SQLException e) {
          LOG.warn("closing warehouse connection: {}", e.getMessage());
        }
      }
    }

    private Result<T> flush() throws Exception {
      List<T> batch = buffer;
      buffer = new ArrayList<>();
      Object lock = spec.writeLock();
      if (lock == null) {
        return writeWithRetries(batch);
      }
      synchronized (lock) {
        return writeWithRetries(batch);
      }
    }

    private Result<T> writeWithRetries(List<T> batch) throws Exception {
      for (int attempt = 1; ; attempt++) {
        try {
          writeBatch(batch);
          written.inc(batch.size());
          return new Result<>(batch.size(), List.of());
        } catch (SQLException e) {
          rollbackQuietly();
          if (isTransient(e) && attempt < MAX_ATTEMPTS) {
            retries.inc();
            long sleep = (long) (200 * Math.pow(4, attempt - 1) * (0.5 + Math.random()));
            LOG.warn("{}: transient failure writing a batch of {} (attempt {}), retrying in {} ms: {}",
                table.name(), batch.size(), attempt, sleep, e.getMessage());
            reconnectIfClosed();
            Thread.sleep(sleep);
            continue;
          }
          if (isTransient(e)) {
            throw new IllegalStateException("warehouse " + spec.describe() + ": writing "
                + table.name() + " failed " + attempt + " times: " + e.getMessage(), e);
          }
          LOG.warn("{}: batch of {} failed ({}); retrying row by row to isolate the bad rows",
              table.name(), batch.size(), e.getMessage());
          return writeRowByRow(batch);
        }
      }
    }

    /**
     * The whole batch in one transaction. PostgreSQL: COPY into a session-temporary staging table,
     * then one INSERT ... SELECT ... ON CONFLICT (COPY parses rows several times faster than
     * bound INSERTs). DuckDB: multi-row INSERT ... VALUES statements.
     */
    private void writeBatch(List<T> batch) throws SQLException {
      if (spec.dialect == WarehouseSpec.Dialect.POSTGRES) {
        copyBatch(batch);
        return;
      }
      int width = table.columns().size();
      // PostgreSQL allows at most 32767 bind parameters per statement.
      int perStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT, 32767 / width));
      for (int from = 0; from < batch.size(); from += perStatement) {
        int rows = Math.min(perStatement, batch.size() - from);
        try (PreparedStatement st = connection.prepareStatement(
            rows == perStatement ? fullSql(perStatement) : table.upsertSql(rows))) {
          for (int i = 0; i < rows; i++) {
            table.bind(st, i * width, batch.get(from + i));
          }
          st.executeUpdate();
        }
      }
      connection.commit();
    }

    private void copyBatch(List<T> batch) throws SQLException {
      String staging = "tslake_stage_" + table.name();
      if (!stagingReady) {
        try (Statement st = connection.createStatement()) {
          st.execute("CREATE TEMP TABLE IF NOT EXISTS " + Table.q(staging) + " (LIKE "
              + Table.q(table.name()) + ") ON COMMIT DELETE ROWS");
        }
        connection.commit();
        stagingReady = true;
      }
      StringBuilder csv = new StringBuilder(batch.size() * 160);
      for (T row : batch) {
        table.appendCopyRow(csv, row);
      }
      String cols = String.join(", ", table.columns().stream().map(Table::q).toArray(String[]::new));
      try {
        connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + Table.q(staging)
            + " (" + cols + ") FROM STDIN (FORMAT csv)", new StringReader(csv.toString()));
      } catch (IOException e) {
        throw new SQLException("COPY into " + staging + " failed: " + e.getMessage(), "08006", e);
      }
      try (Statement st = connection.createStatement()) {
        st.executeUpdate(table.upsertFromSql(staging));
      }
      connection.commit();
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
        try (PreparedStatement st = connection.prepareStatement(sql)) {
          table.bind(st, row);
          st.executeUpdate();
          connection.commit();
          ok++;
        } catch (SQLException e) {
          rollbackQuietly();
          if (isTransient(e) || deadLetter == null) {
            throw new SQLException(table.name() + ": row " + row + " refused by warehouse "
                + spec.describe() + ": " + e.getMessage(), e.getSQLState(), e);
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
        connection = spec.open();
        stagingReady = false;
      }
    }

    /** Connection errors, serialization failures, deadlocks, server shutdown: worth retrying. */
    static boolean isTransient(SQLException e) {
      String state = e.getSQLState();
      if (state == null) {
        return false;
      }
      return state.startsWith("08") || state.equals("40001") || state.equals("40P01")
          || state.startsWith("53") || state.equals("57P01") || state.equals("57P02")
          || state.equals("57P03");
    }
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

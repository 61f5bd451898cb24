package dev.tslake.warehouse;

import dev.tslake.retry.Attempts;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.Sleeper;
import org.apache.beam.sdk.values.PCollection;

/**
 * Deletes the rows of a table whose keys the input rows carry (their other columns are ignored), in
 * one transaction per batch; deleting a key that is not stored does nothing, so reruns are
 * harmless. Transient failures are retried like {@link UpsertBatches}. Output: rows deleted per
 * batch.
 */
public final class DeleteRows<T> extends PTransform<PCollection<T>, PCollection<Long>> {
  private final WarehouseSpec spec;
  private final Table<T> table;
  private final int batchSize;

  private DeleteRows(WarehouseSpec spec, Table<T> table, int batchSize) {
    this.spec = spec;
    this.table = table;
    this.batchSize = batchSize;
  }

  public static <T> DeleteRows<T> from(WarehouseSpec spec, Table<T> table) {
    return new DeleteRows<>(spec, table, 1000);
  }

  public DeleteRows<T> withBatchSize(int size) {
    return new DeleteRows<>(spec, table, size);
  }

  /** {@code DELETE FROM t WHERE k1 = ? AND ...}, with the key's parameters in key order. */
  static String deleteSql(Table<?> table) {
    return "DELETE FROM "
        + Table.q(table.name())
        + " WHERE "
        + table.keyColumns().stream()
            .map(k -> Table.q(k) + " = ?")
            .collect(Collectors.joining(" AND "));
  }

  @Override
  public PCollection<Long> expand(PCollection<T> rows) {
    return rows.apply("Delete " + table.name(), ParDo.of(new DeleteFn<>(spec, table, batchSize)))
        .setCoder(VarLongCoder.of());
  }

  static final class DeleteFn<T> extends DoFn<T, Long> {
    private final WarehouseSpec spec;
    private final Table<T> table;
    private final int batchSize;
    private transient List<T> buffer;
    private transient int[] keyIndexes;

    DeleteFn(WarehouseSpec spec, Table<T> table, int batchSize) {
      this.spec = spec;
      this.table = table;
      this.batchSize = batchSize;
    }

    @Setup
    public void setup() {
      List<String> columns = table.columns();
      keyIndexes = table.keyColumns().stream().mapToInt(columns::indexOf).toArray();
    }

    @StartBundle
    public void startBundle() {
      buffer = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element T row, OutputReceiver<Long> out) throws Exception {
      buffer.add(row);
      if (buffer.size() >= batchSize) {
        out.output(flush());
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) throws Exception {
      if (!buffer.isEmpty()) {
        ctx.output(flush(), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
    }

    private long flush() throws Exception {
      List<T> batch = buffer;
      buffer = new ArrayList<>();
      Object lock = spec.writeLock();
      if (lock == null) {
        return deleteWithRetries(batch);
      }
      synchronized (lock) {
        return deleteWithRetries(batch);
      }
    }

    private long deleteWithRetries(List<T> batch) throws Exception {
      Attempts attempts = BatchWriter.DEFAULT_RETRY.start(Sleeper.DEFAULT);
      TransientSqlErrors transientErrors = TransientSqlErrors.INSTANCE;
      while (true) {
        try {
          return delete(batch);
        } catch (SQLException e) {
          if (!transientErrors.isTransient(e)) {
            throw e;
          }
          int failed = attempts.attempt();
          if (attempts.isLast()) {
            throw new IllegalStateException(
                "warehouse "
                    + spec.describe()
                    + ": deleting from "
                    + table.name()
                    + " failed "
                    + failed
                    + " times: "
                    + e.getMessage(),
                e);
          }
          attempts.retryAfter(-1, wait -> {});
        }
      }
    }

    private long delete(List<T> batch) throws SQLException {
      try (Connection c = spec.open();
          PreparedStatement st = c.prepareStatement(deleteSql(table))) {
        long deleted = 0;
        try {
          for (T row : batch) {
            Object[] values = table.values(row);
            Object[] key = new Object[keyIndexes.length];
            for (int k = 0; k < key.length; k++) {
              key[k] = values[keyIndexes[k]];
            }
            bindKey(st, key);
            deleted += st.executeUpdate();
          }
          c.commit();
        } catch (SQLException e) {
          c.rollback();
          throw e;
        }
        return deleted;
      }
    }

    private static void bindKey(PreparedStatement st, Object[] key) throws SQLException {
      for (int i = 0; i < key.length; i++) {
        Object v = key[i];
        if (v instanceof java.time.Instant) {
          st.setObject(
              i + 1,
              java.time.OffsetDateTime.ofInstant((java.time.Instant) v, java.time.ZoneOffset.UTC));
        } else {
          st.setObject(i + 1, v);
        }
      }
    }
  }
}

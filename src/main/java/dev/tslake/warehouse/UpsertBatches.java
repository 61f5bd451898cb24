package dev.tslake.warehouse;

import static java.util.Objects.requireNonNull;

import dev.tslake.model.Reject;
import dev.tslake.retry.RetryPolicy;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.Sleeper;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Batched, transactional upserts into one warehouse table: rows are buffered per bundle and each
 * batch is written in one transaction by a {@link BatchWriter} (one per worker). A batch that fails
 * for a transient reason (connection lost, serialization conflict, deadlock) is retried under the
 * {@link RetryPolicy}; one that fails for a row's sake is retried row by row to isolate the bad
 * row, which goes to the dead-letter output with the database's reason (or fails the run, for
 * tables that have no dead letter). Upserts make retried bundles harmless, and a stored row is only
 * rewritten when the incoming one changes it ({@link Table#matchCondition}), so loading the same
 * data again writes nothing. How a batch is loaded depends on the database ({@link Dialect}).
 *
 * <p>Outputs the number of rows written per batch ({@link #WRITTEN}) and the dead letters ({@link
 * #FAILED}); both are in the global window. Counters: {@code <table>_written}, {@code
 * <table>_failed}, {@code <table>_batch_retries}, {@code <table>_merge_unique_violations}.
 *
 * <p>An immutable builder, validated as it is built:
 *
 * <pre>{@code
 * PCollectionTuple out =
 *     observations.apply(
 *         UpsertBatches.into(new WarehouseSpec(url, user, password), Tables.observations())
 *             .withBatchSize(5_000)
 *             .withRetryPolicy(RetryPolicy.exponential(4, 200, 4))
 *             .withDeadLetter(f -> new Reject("warehouse", f.reason, toRecord(f.row))));
 * PCollection<Reject> refused = out.get(UpsertBatches.FAILED);
 * }</pre>
 */
public final class UpsertBatches<T> extends PTransform<PCollection<T>, PCollectionTuple> {
  public static final TupleTag<Long> WRITTEN = new TupleTag<Long>() {};
  public static final TupleTag<Reject> FAILED = new TupleTag<Reject>() {};

  static final int DEFAULT_BATCH_SIZE = 1000;

  private final WarehouseSpec spec;
  private final Table<T> table;
  private final int batchSize;
  private final boolean allowMerge;
  private final RetryPolicy retryPolicy;
  private final @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter;
  private final int regroup;
  private final boolean committed;
  private final @Nullable StoredKeyRanges storedAtLaunch;

  private UpsertBatches(
      WarehouseSpec spec,
      Table<T> table,
      int batchSize,
      boolean allowMerge,
      RetryPolicy retryPolicy,
      @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter,
      int regroup,
      boolean committed,
      @Nullable StoredKeyRanges storedAtLaunch) {
    this.spec = spec;
    this.table = table;
    this.batchSize = batchSize;
    this.allowMerge = allowMerge;
    this.retryPolicy = retryPolicy;
    this.deadLetter = deadLetter;
    this.regroup = regroup;
    this.committed = committed;
    this.storedAtLaunch = storedAtLaunch;
  }

  /** Upserts into {@code table} of the warehouse {@code spec}, 1,000 rows a batch. */
  public static <T> UpsertBatches<T> into(WarehouseSpec spec, Table<T> table) {
    requireNonNull(spec, "spec");
    requireNonNull(table, "table");
    return new UpsertBatches<>(
        spec, table, DEFAULT_BATCH_SIZE, true, BatchWriter.DEFAULT_RETRY, null, 0, false, null);
  }

  /** Rows per batch (and per transaction); must be positive. */
  public UpsertBatches<T> withBatchSize(int size) {
    if (size <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + size);
    }
    return new UpsertBatches<>(
        spec, table, size, allowMerge, retryPolicy, deadLetter, regroup, committed, storedAtLaunch);
  }

  /** Rows the database refuses become rejects instead of failing the run. */
  public UpsertBatches<T> withDeadLetter(SerializableFunction<KeyedFailure<T>, Reject> fn) {
    requireNonNull(fn, "dead letter function");
    return new UpsertBatches<>(
        spec, table, batchSize, allowMerge, retryPolicy, fn, regroup, committed, storedAtLaunch);
  }

  /**
   * How transient failures of a batch are retried; {@link BatchWriter#DEFAULT_RETRY} by default.
   */
  public UpsertBatches<T> withRetryPolicy(RetryPolicy policy) {
    requireNonNull(policy, "retry policy");
    return new UpsertBatches<>(
        spec, table, batchSize, allowMerge, policy, deadLetter, regroup, committed, storedAtLaunch);
  }

  /**
   * Gathers the rows into {@code groups} groups (a shuffle) before writing, or not at all ({@code
   * 0}, the default). For input that arrives in many tiny bundles: the DirectRunner makes one
   * bundle per key after a grouping, and batches never span bundles, so rows of a per-key
   * computation (rolling windows, resample chunks) would otherwise be written one small transaction
   * each. Runners that bundle across keys (Flink, Dataflow) do not need it.
   */
  public UpsertBatches<T> withRegrouping(int groups) {
    if (groups < 0) {
      throw new IllegalArgumentException("groups must be 0 (none) or positive, got " + groups);
    }
    return new UpsertBatches<>(
        spec,
        table,
        batchSize,
        allowMerge,
        retryPolicy,
        deadLetter,
        groups,
        committed,
        storedAtLaunch);
  }

  /** PostgreSQL 15+ too writes batches with INSERT ... ON CONFLICT instead of MERGE (tests). */
  /**
   * Also emits every row once its batch committed, under {@link #committed()} (failed rows
   * excluded): a step fed from it reads the warehouse with those rows in it. Emitted in the global
   * window, stamped with the end of the bundle's batch (bundles carry no event time here).
   */
  public UpsertBatches<T> withCommittedRows() {
    return new UpsertBatches<>(
        spec, table, batchSize, allowMerge, retryPolicy, deadLetter, regroup, true, storedAtLaunch);
  }

  /**
   * What {@code observations} held when the run was launched (a batch run's {@code observations}
   * and {@code observation_vintages}, the one-pass graph's {@code aggregates}): a batch outside it
   * goes straight into the table (PostgreSQL's {@code COPY}, DuckDB's appender), no probe, no
   * MERGE; a table keyed by series but not by {@code ts} only for series with no observation at
   * launch. Null: the loader decides per batch, as before.
   */
  public UpsertBatches<T> withStoredAtLaunch(@Nullable StoredKeyRanges ranges) {
    return new UpsertBatches<>(
        spec, table, batchSize, allowMerge, retryPolicy, deadLetter, regroup, committed, ranges);
  }

  /** The tag of the committed rows ({@link #withCommittedRows()}). */
  @SuppressWarnings("unchecked")
  public static <T> TupleTag<T> committed() {
    return (TupleTag<T>) COMMITTED;
  }

  private static final TupleTag<Object> COMMITTED = new TupleTag<>("UpsertBatches.committed");

  UpsertBatches<T> withoutMerge() {
    return new UpsertBatches<>(
        spec, table, batchSize, false, retryPolicy, deadLetter, regroup, committed, storedAtLaunch);
  }

  public int batchSize() {
    return batchSize;
  }

  public RetryPolicy retryPolicy() {
    return retryPolicy;
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
  public PCollectionTuple expand(PCollection<T> input) {
    PCollection<T> rows = input;
    if (regroup > 0) {
      int groups = regroup;
      rows =
          input
              .apply("Group " + table.name(), ParDo.of(new GroupKeyFn<T>(groups, batchSize)))
              .setCoder(KvCoder.of(VarIntCoder.of(), input.getCoder()))
              .apply("Regroup " + table.name(), GroupByKey.create())
              .apply("Ungroup " + table.name(), Values.create())
              .apply("Rows " + table.name(), Flatten.iterables())
              .setCoder(input.getCoder());
    }
    PCollectionTuple out =
        rows.apply(
            "Upsert " + table.name(),
            ParDo.of(new UpsertFn<>(this))
                .withOutputTags(
                    WRITTEN,
                    committed
                        ? TupleTagList.of(FAILED).and(UpsertBatches.<T>committed())
                        : TupleTagList.of(FAILED)));
    out.get(WRITTEN).setCoder(VarLongCoder.of());
    if (committed) {
      out.get(UpsertBatches.<T>committed()).setCoder(input.getCoder());
    }
    out.get(FAILED).setCoder(Reject.coder());
    return out;
  }

  /**
   * The group of each row: one random group per run of {@code chunk} consecutive rows of a bundle,
   * not one per row. A bundle's rows then land in one group (or one per batch), so a runner that
   * keeps each group's rows as state touches few groups per bundle: the DirectRunner copies
   * (encodes and decodes) a group's whole buffer every time another bundle adds to it, and with a
   * random group per row every bundle of more than a few rows touched every group.
   */
  static final class GroupKeyFn<T> extends DoFn<T, KV<Integer, T>> {
    private final int groups;
    private final int chunk;
    private transient int key;
    private transient int left;

    GroupKeyFn(int groups, int chunk) {
      this.groups = groups;
      this.chunk = chunk;
    }

    @StartBundle
    public void startBundle() {
      left = 0;
    }

    @ProcessElement
    public void process(@Element T row, OutputReceiver<KV<Integer, T>> out) {
      if (left == 0) {
        key = ThreadLocalRandom.current().nextInt(groups);
        left = chunk;
      }
      left--;
      out.output(KV.of(key, row));
    }
  }

  /**
   * The Beam counters {@code UpsertBatches} keeps of a table's writes, for another writing step.
   */
  public static BatchWriter.Listener metricsListener(String table) {
    return new MetricsListener(table);
  }

  /** Beam counters of one table's writes. */
  static final class MetricsListener implements BatchWriter.Listener {
    private final Counter written;
    private final Counter failedRows;
    private final Counter retries;
    private final Counter mergeConflicts;

    MetricsListener(String table) {
      this.written = Metrics.counter(UpsertBatches.class, table + "_written");
      this.failedRows = Metrics.counter(UpsertBatches.class, table + "_failed");
      this.retries = Metrics.counter(UpsertBatches.class, table + "_batch_retries");
      this.mergeConflicts =
          Metrics.counter(UpsertBatches.class, table + "_merge_unique_violations");
    }

    @Override
    public void written(long rows) {
      written.inc(rows);
    }

    @Override
    public void refused() {
      failedRows.inc();
    }

    @Override
    public void retrying(int failedAttempt, SQLException cause) {
      retries.inc();
    }

    @Override
    public void mergeFallback() {
      mergeConflicts.inc();
    }
  }

  static final class UpsertFn<T> extends DoFn<T, Long> {
    private final WarehouseSpec spec;
    private final Table<T> table;
    private final int batchSize;
    private final boolean allowMerge;
    private final RetryPolicy retryPolicy;
    private final @Nullable SerializableFunction<KeyedFailure<T>, Reject> deadLetter;
    private final Distribution batchMillis;
    private final boolean committed;
    private final @Nullable StoredKeyRanges storedAtLaunch;
    private transient BatchWriter<T> writer;
    private transient List<T> buffer;

    UpsertFn(UpsertBatches<T> t) {
      this.spec = t.spec;
      this.table = t.table;
      this.batchSize = t.batchSize;
      this.allowMerge = t.allowMerge;
      this.retryPolicy = t.retryPolicy;
      this.deadLetter = t.deadLetter;
      this.batchMillis = Metrics.distribution(UpsertBatches.class, table.name() + "_batch_ms");
      this.committed = t.committed;
      this.storedAtLaunch = t.storedAtLaunch;
    }

    @Setup
    public void setup() throws SQLException {
      writer =
          new BatchWriter<>(
              spec,
              table,
              allowMerge,
              deadLetter != null,
              retryPolicy,
              Sleeper.DEFAULT,
              new MetricsListener(table.name()));
      writer.storedAtLaunch(storedAtLaunch);
    }

    @StartBundle
    public void startBundle() {
      buffer = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element T row, MultiOutputReceiver out) throws Exception {
      buffer.add(row);
      if (buffer.size() >= batchSize) {
        List<T> batch = buffer;
        BatchWriter.Result<T> r = flush();
        out.get(WRITTEN).output(r.written);
        for (KeyedFailure<T> f : r.failures) {
          out.get(FAILED).output(deadLetter.apply(f));
        }
        if (committed) {
          for (T done : committedRows(batch, r)) {
            out.get(UpsertBatches.<T>committed()).output(done);
          }
        }
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext ctx) throws Exception {
      if (buffer.isEmpty()) {
        return;
      }
      List<T> batch = buffer;
      BatchWriter.Result<T> r = flush();
      ctx.output(WRITTEN, r.written, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      if (committed) {
        Instant now = Instant.now();
        for (T row : committedRows(batch, r)) {
          ctx.output(UpsertBatches.<T>committed(), row, now, GlobalWindow.INSTANCE);
        }
      }
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

    /** The rows of {@code batch} the warehouse took (all but the refused ones). */
    private static <T> List<T> committedRows(List<T> batch, BatchWriter.Result<T> r) {
      if (r.failures.isEmpty()) {
        return batch;
      }
      java.util.Set<T> refused =
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      for (KeyedFailure<T> f : r.failures) {
        refused.add(f.row);
      }
      List<T> out = new ArrayList<>(batch.size());
      for (T row : batch) {
        if (!refused.contains(row)) {
          out.add(row);
        }
      }
      return out;
    }

    private BatchWriter.Result<T> flush() throws Exception {
      List<T> batch = buffer;
      buffer = new ArrayList<>();
      long start = System.nanoTime();
      BatchWriter.Result<T> r = writer.write(batch);
      batchMillis.update((System.nanoTime() - start) / 1_000_000);
      return r;
    }
  }
}

package dev.tslake.warehouse;

import dev.tslake.retry.RetryPolicy;
import java.sql.SQLException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.beam.sdk.util.Sleeper;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A {@link BatchWriter} on a thread of its own, one batch ahead of its caller: {@link #submit}
 * hands a batch over and returns with the result of the batch before it, so the caller prepares the
 * next batch while the database loads this one. A load step's thread and its database backend
 * otherwise take turns: the backend waits while the step decodes, sorts and folds the next rows,
 * and the step waits while the backend inserts.
 *
 * <p>Everything else is the {@link BatchWriter}'s: retries, the launch snapshot, isolating a
 * refused row. Its listener's events (Beam counters, which count on the thread of the step that
 * owns them) are replayed on the caller's thread when it collects a result. A failed batch fails
 * the caller's next {@link #submit} or {@link #await} with the writer's exception. At most one
 * batch is in flight.
 *
 * <pre>{@code
 * try (PipelinedWriter<Observation> w =
 *     PipelinedWriter.open(spec, Tables.observations(), true, true, BatchWriter.DEFAULT_RETRY,
 *         storedAtLaunch, UpsertBatches.metricsListener("observations"))) {
 *   Result<Observation> before = w.submit(batch, true); // null for the first batch
 *   Result<Observation> last = w.await();
 * }
 * }</pre>
 */
public final class PipelinedWriter<T> implements AutoCloseable {
  /** Collects a writer's listener events on its thread, for {@link #replayInto} on another. */
  public static final class DeferredListener implements BatchWriter.Listener {
    private final Queue<Consumer<BatchWriter.Listener>> events = new ConcurrentLinkedQueue<>();

    @Override
    public void written(long rows) {
      events.add(l -> l.written(rows));
    }

    @Override
    public void refused() {
      events.add(BatchWriter.Listener::refused);
    }

    @Override
    public void retrying(int failedAttempt, SQLException cause) {
      events.add(l -> l.retrying(failedAttempt, cause));
    }

    @Override
    public void mergeFallback() {
      events.add(BatchWriter.Listener::mergeFallback);
    }

    @Override
    public void rowByRow() {
      events.add(BatchWriter.Listener::rowByRow);
    }

    /** Hands the events recorded so far to {@code target}, in order. */
    public void replayInto(BatchWriter.Listener target) {
      Consumer<BatchWriter.Listener> e;
      while ((e = events.poll()) != null) {
        e.accept(target);
      }
    }
  }

  private final BatchWriter<T> writer;
  private final DeferredListener deferred;
  private final BatchWriter.Listener listener;
  private final ExecutorService thread;
  private @Nullable Future<BatchWriter.Result<T>> pending;

  private PipelinedWriter(
      BatchWriter<T> writer,
      DeferredListener deferred,
      BatchWriter.Listener listener,
      String name) {
    this.writer = writer;
    this.deferred = deferred;
    this.listener = listener;
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Opens a {@link BatchWriter} of {@code table} whose listener events reach {@code listener} on
   * the caller's thread.
   */
  public static <T> PipelinedWriter<T> open(
      WarehouseSpec spec,
      Table<T> table,
      boolean allowMerge,
      boolean isolateFailures,
      RetryPolicy retry,
      @Nullable StoredKeyRanges storedAtLaunch,
      BatchWriter.Listener listener)
      throws SQLException {
    DeferredListener deferred = new DeferredListener();
    BatchWriter<T> writer =
        new BatchWriter<>(
            spec, table, allowMerge, isolateFailures, retry, Sleeper.DEFAULT, deferred);
    writer.storedAtLaunch(storedAtLaunch);
    return new PipelinedWriter<>(writer, deferred, listener, "tslake-load-" + table.name());
  }

  /**
   * Hands {@code batch} over (not to be changed afterwards) and returns the result of the batch
   * handed over before it, or null if there was none. {@code distinct}: the batch holds each key
   * once ({@link BatchWriter#writeDistinct}).
   */
  public BatchWriter.@Nullable Result<T> submit(List<T> batch, boolean distinct) throws Exception {
    BatchWriter.Result<T> before = await();
    pending = thread.submit(() -> distinct ? writer.writeDistinct(batch) : writer.write(batch));
    return before;
  }

  /** Waits for the batch in flight: its result, or null if none is. */
  public BatchWriter.@Nullable Result<T> await() throws Exception {
    Future<BatchWriter.Result<T>> f = pending;
    if (f == null) {
      return null;
    }
    pending = null;
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception) {
        throw (Exception) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw e;
    } finally {
      deferred.replayInto(listener);
    }
  }

  /** Waits for a batch in flight to end (its result dropped), then closes the connection. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(PostgresDialect.SOCKET_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      thread.shutdownNow();
      Thread.currentThread().interrupt();
    }
    writer.close();
  }
}

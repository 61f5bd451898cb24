package dev.tslake.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.Observation;
import dev.tslake.retry.RetryPolicy;
import dev.tslake.testing.WarehouseDump;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.util.Sleeper;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transient failures: the writer sleeps first and reconnects after (a server that is restarting
 * refuses connections), and a refused reconnect is one more failed attempt, retried in turn.
 */
class BatchWriterRetryTest {
  /** DuckDB underneath; opens and writes fail as told, and every step is recorded. */
  static final class FlakyDialect implements Dialect {
    final List<String> events = new ArrayList<>();
    int failOpens;
    int failWrites;
    boolean armed;

    @Override
    public String name() {
      return "flaky";
    }

    @Override
    public String normalizeUrl(String url) {
      return DuckDbDialect.INSTANCE.normalizeUrl(url);
    }

    @Override
    public Connection open(
        String url, @Nullable String user, @Nullable String password, String described)
        throws SQLException {
      events.add("open");
      if (armed && failOpens > 0) {
        failOpens--;
        events.add("refused");
        throw new SQLException("connection refused", "08001");
      }
      return DuckDbDialect.INSTANCE.open(url, user, password, described);
    }

    @Override
    public void release(String url) {
      DuckDbDialect.INSTANCE.release(url);
    }

    @Override
    public <T> Loader<T> loader(Connection connection, Table<T> table, boolean allowMerge)
        throws SQLException {
      Loader<T> real = DuckDbDialect.INSTANCE.loader(connection, table, allowMerge);
      return (batch, viaMerge) -> {
        events.add("write");
        if (armed && failWrites > 0) {
          failWrites--;
          connection.close();
          throw new SQLException("terminating connection due to administrator command", "57P01");
        }
        return real.write(batch, viaMerge);
      };
    }
  }

  private static List<Observation> rows() {
    long t0 = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
    List<Observation> out = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      out.add(new Observation("s", "S", t0 + i * 60_000L, i * 1.0, t0, "f.csv", "line " + i));
    }
    return out;
  }

  @Test
  void sleepsBeforeReconnectingAndRetriesARefusedReconnect(@TempDir Path dir) throws Exception {
    FlakyDialect flaky = new FlakyDialect();
    WarehouseSpec spec =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null).withDialect(flaky);
    WarehouseSchema.ensure(spec);
    UpsertBatchesPostgresTest.Counts counts = new UpsertBatchesPostgresTest.Counts();
    Sleeper sleeper = millis -> flaky.events.add("sleep");
    try (BatchWriter<Observation> w =
        new BatchWriter<>(
            spec,
            Tables.observations(),
            true,
            true,
            RetryPolicy.exponential(4, 1, 2),
            sleeper,
            counts)) {
      flaky.events.clear();
      flaky.armed = true;
      flaky.failWrites = 1;
      flaky.failOpens = 1;
      BatchWriter.Result<Observation> r = w.write(rows());
      assertEquals(25L, r.written);
      assertEquals(
          List.of("write", "sleep", "open", "refused", "sleep", "open", "write"), flaky.events);
      assertEquals(2, counts.retries, "the refused reconnect was a failed attempt");
    } finally {
      spec.release();
    }
    assertEquals(25L, WarehouseDump.count(spec, "SELECT count(*) FROM observations"));
    spec.release();
  }

  @Test
  void givesUpAfterMaxAttemptsCountingRefusedReconnects(@TempDir Path dir) throws Exception {
    FlakyDialect flaky = new FlakyDialect();
    WarehouseSpec spec =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null).withDialect(flaky);
    WarehouseSchema.ensure(spec);
    UpsertBatchesPostgresTest.Counts counts = new UpsertBatchesPostgresTest.Counts();
    List<Long> slept = new ArrayList<>();
    try (BatchWriter<Observation> w =
        new BatchWriter<>(
            spec,
            Tables.observations(),
            true,
            true,
            RetryPolicy.exponential(3, 5, 2),
            slept::add,
            counts)) {
      flaky.armed = true;
      flaky.failWrites = 1;
      flaky.failOpens = 10;
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.write(rows()));
      assertThat(e.getMessage(), containsString("failed 3 times"));
      assertEquals(2, slept.size());
      assertEquals(2, counts.retries);
      assertEquals(0, counts.rowByRowBatches);
    } finally {
      spec.release();
    }
  }

  @Test
  void classifiesSqlStates() {
    TransientSqlErrors t = TransientSqlErrors.INSTANCE;
    for (String state : List.of("08001", "08006", "40001", "40P01", "53300", "57P01", "57P03")) {
      assertTrue(t.isTransient(new SQLException("x", state)), state);
    }
    for (String state : List.of("23505", "22P05", "21000", "42P01")) {
      assertFalse(t.isTransient(new SQLException("x", state)), state);
    }
    assertFalse(t.isTransient(new SQLException("no state")));
  }

  @Test
  void theBuilderValidates(@TempDir Path dir) {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("b.duckdb"), null, null);
    assertThrows(
        IllegalArgumentException.class,
        () -> UpsertBatches.into(spec, Tables.observations()).withBatchSize(0));
    assertThrows(NullPointerException.class, () -> UpsertBatches.into(spec, null));
    assertThrows(NullPointerException.class, () -> UpsertBatches.into(null, Tables.series()));
    assertThrows(
        NullPointerException.class,
        () -> UpsertBatches.into(spec, Tables.series()).withRetryPolicy(null));
    UpsertBatches<Observation> u =
        UpsertBatches.into(spec, Tables.observations())
            .withBatchSize(7)
            .withRetryPolicy(RetryPolicy.exponential(2, 10, 2));
    assertEquals(7, u.batchSize());
    assertEquals(2, u.retryPolicy().maxAttempts());
  }
}

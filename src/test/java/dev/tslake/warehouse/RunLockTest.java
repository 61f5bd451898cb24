package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.testing.PostgresSupport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run at a time per warehouse: who waits, for how long, and what it says. */
class RunLockTest {

  @Test
  @Tag("integration")
  void postgresSecondRunWaitsAndNamesTheHolder() throws Exception {
    try (PostgresSupport.TestSchema schema = PostgresSupport.freshSchema("runlock");
        PostgresSupport.TestSchema other = PostgresSupport.freshSchema("runlock_other")) {
      WarehouseSpec spec =
          new WarehouseSpec(schema.url(), PostgresSupport.user(), PostgresSupport.password());
      WarehouseSpec elsewhere =
          new WarehouseSpec(other.url(), PostgresSupport.user(), PostgresSupport.password());
      try (RunLock first = RunLock.acquire(spec, "run-a", Duration.ofSeconds(5))) {
        List<String> holders = RunLock.holders(spec);
        assertEquals(1, holders.size(), holders.toString());
        assertTrue(holders.get(0).contains("tslake run run-a"), holders.toString());

        long t0 = System.nanoTime();
        IllegalStateException e =
            assertThrows(
                IllegalStateException.class,
                () -> RunLock.acquire(spec, "run-b", Duration.ofSeconds(1)));
        assertTrue(System.nanoTime() - t0 >= 900_000_000L, "waited the max wait");
        assertTrue(e.getMessage().contains("tslake run run-a"), e.getMessage());
        assertTrue(e.getMessage().contains("run-b"), e.getMessage());

        // another schema is another warehouse: no wait
        try (RunLock unrelated = RunLock.acquire(elsewhere, "run-c", Duration.ZERO)) {
          assertTrue(RunLock.holders(elsewhere).get(0).contains("run-c"));
        }
      }
      // released with the session: the next run takes it at once
      try (RunLock second = RunLock.acquire(spec, "run-b", Duration.ZERO)) {
        assertTrue(RunLock.holders(spec).get(0).contains("run-b"));
      }
      assertTrue(RunLock.holders(spec).isEmpty());
    }
  }

  @Test
  void duckDbRunsOfOneProcessTakeTurns(@TempDir Path dir) throws Exception {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try (RunLock first = RunLock.acquire(spec, "a", Duration.ofSeconds(1))) {
      java.util.concurrent.atomic.AtomicReference<Throwable> seen =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread other =
          new Thread(
              () -> {
                try (RunLock b = RunLock.acquire(spec, "b", Duration.ofMillis(200))) {
                  seen.set(new AssertionError("took a held lock"));
                } catch (Throwable t) {
                  seen.set(t);
                }
              });
      other.start();
      other.join();
      assertTrue(seen.get() instanceof IllegalStateException, String.valueOf(seen.get()));
    }
    try (RunLock again = RunLock.acquire(spec, "b", Duration.ZERO)) {
      // free again
    }
  }
}

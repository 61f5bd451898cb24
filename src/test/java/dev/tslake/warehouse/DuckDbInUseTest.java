package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DuckDB file held by another process (another tslake run, the server): opening it fails at once
 * with a message that says so and what to do, instead of DuckDB's bare lock error or a retry loop.
 */
class DuckDbInUseTest {

  @Test
  void secondProcessFailsAtOnceSayingWhoHoldsTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("held.duckdb");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process holder =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                HoldDuckDbFile.class.getName(),
                file.toString())
            .redirectError(new File(dir.toFile(), "holder.err"))
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("held", out.readLine(), "the holder process opened the file");

      // load DuckDB's native library first: on a busy machine that alone takes seconds
      DriverManager.getConnection("jdbc:duckdb:").close();
      WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + file, null, null);
      long t0 = System.nanoTime();
      SQLException e = assertThrows(SQLException.class, spec::open);
      assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "fails at once");
      String expected =
          "warehouse "
              + file.toAbsolutePath()
              + " is in use by another process (another tslake run or the tslake server holds"
              + " it); wait for it to finish or point --warehouseUrl elsewhere";
      assertTrue(e.getMessage().startsWith(expected), e.getMessage());

      IllegalStateException launch =
          assertThrows(IllegalStateException.class, () -> WarehouseSchema.ensure(spec));
      assertTrue(launch.getMessage().startsWith(expected), launch.getMessage());

      // a writer fails at once too: the lock error is not retried
      t0 = System.nanoTime();
      assertThrows(
          SQLException.class,
          () -> new BatchWriter<>(spec, Tables.observations(), true, false).close());
      assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "no retries");
    } finally {
      holder.getOutputStream().close();
      if (!holder.waitFor(30, TimeUnit.SECONDS)) {
        holder.destroyForcibly();
      }
    }
    // the holder is gone: the file opens
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + file, null, null);
    spec.open().close();
    spec.release();
  }
}

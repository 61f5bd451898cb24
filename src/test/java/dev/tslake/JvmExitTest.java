package dev.tslake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's JVM ends when the run is over, with the run's exit code, even while a library's
 * non-daemon thread lingers (Flink's shaded Netty keeps one for a second after the mini-cluster
 * shuts down; the JVM used to wait for it).
 */
class JvmExitTest {
  @TempDir Path dir;

  @Test
  void theJvmEndsWithTheRunWhileANonDaemonThreadLingers() throws Exception {
    Path config = LocalLauncherTest.bitstampHeadConfig(dir, 100);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
                java.toString(),
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                LingeringThreadMain.class.getName(),
                "--config=" + config,
                "--lake=" + dir.resolve("lake"),
                "--warehouseUrl=jdbc:duckdb:" + dir.resolve("w.duckdb"),
                "--runId=exit-test",
                "--ingestDate=2026-01-01")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.txt").toFile());
    Process p = pb.start();
    // the lingering thread sleeps ten minutes: without the exit the process would outlive this
    boolean ended = p.waitFor(120, TimeUnit.SECONDS);
    String out = Files.readString(dir.resolve("out.txt"));
    if (!ended) {
      p.destroyForcibly();
    }
    assertTrue(ended, "the JVM did not end with the run:\n" + out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("status: succeeded"), out);
    assertTrue(out.contains("accounting: records_read 100 = records_rejected 0"), out);
  }
}

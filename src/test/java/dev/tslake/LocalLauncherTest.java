package dev.tslake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runners/local/tslake.sh}: the job in a JVM of its own with class-data sharing. The first
 * run writes the archive, the next maps the job's classes from it, and both store the same.
 */
class LocalLauncherTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");

  @TempDir Path dir;

  private Path config() throws IOException {
    return bitstampHeadConfig(dir, 300);
  }

  /**
   * A config of one csv source: the first {@code rows} records of the real Bitstamp daily file,
   * written with it into {@code dir} (also {@link JvmExitTest}'s job).
   */
  static Path bitstampHeadConfig(Path dir, int rows) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    Path csv = dir.resolve("bitstamp.csv");
    Files.write(csv, lines.subList(0, 2 + rows), StandardCharsets.UTF_8);
    Path p = dir.resolve("bitstamp.json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1M\"],"
            + " \"files\": [\""
            + csv
            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
            + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\":"
            + " [\"close\"]}]}");
    return p;
  }

  /** Runs the launcher; returns its output. */
  private String launch(String name, Path config, String javaOpts) throws Exception {
    return launch(name, config, javaOpts, java.util.Map.of(), 0);
  }

  /** Runs the launcher with more environment; returns its output once it exits with {@code rc}. */
  private String launch(
      String name, Path config, String javaOpts, java.util.Map<String, String> env, int rc)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "runners/local/tslake.sh",
                "--config=" + config,
                "--lake=" + dir.resolve("lake-" + name),
                "--warehouseUrl=jdbc:duckdb:" + dir.resolve(name + ".duckdb"),
                "--runId=" + name,
                "--ingestDate=2026-01-01"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("TSLAKE_CDS_DIR", dir.resolve("cds").toString());
    pb.environment().put("TSLAKE_JAVA_OPTS", javaOpts);
    pb.environment().remove("TSLAKE_JIT_OPTS");
    pb.environment().putAll(env);
    Path out = dir.resolve(name + ".out");
    pb.redirectOutput(out.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the launcher did not end: " + name);
    String text = Files.readString(out);
    assertEquals(rc, p.exitValue(), text);
    return text;
  }

  private static List<String> summary(String output) {
    return output
        .lines()
        .filter(l -> l.matches("\\s+(records|observations|duplicates|aggregates|series).*"))
        .collect(Collectors.toList());
  }

  private List<Path> archives() throws IOException {
    Path cds = dir.resolve("cds");
    if (!Files.isDirectory(cds)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(cds)) {
      return s.filter(p -> p.toString().endsWith(".jsa")).collect(Collectors.toList());
    }
  }

  @Test
  void theFirstRunWritesTheArchiveAndTheNextMapsTheJobsClassesFromIt() throws Exception {
    Path config = config();
    String opts = "-Xmx512m -XX:+UseParallelGC -XX:TieredStopAtLevel=1";
    assertTrue(archives().isEmpty());

    String first = launch("first", config, opts);
    assertTrue(first.contains("status: succeeded"), first);
    assertTrue(first.contains("writes the class-data archive"), first);
    assertEquals(1, archives().size(), archives().toString());

    Path classLog = dir.resolve("classes.log");
    String second = launch("second", config, opts + " -Xlog:class+load=info:file=" + classLog);
    assertTrue(second.contains("status: succeeded"), second);
    assertFalse(second.contains("writes the class-data archive"), second);
    List<String> loaded = Files.readAllLines(classLog, StandardCharsets.UTF_8);
    assertTrue(
        loaded.stream().anyMatch(l -> l.contains(" dev.tslake.TsLake source: shared objects file")),
        "dev.tslake.TsLake was not mapped from the archive");
    long shared = loaded.stream().filter(l -> l.contains("source: shared objects file")).count();
    assertTrue(shared > loaded.size() / 2, shared + " of " + loaded.size() + " classes shared");

    assertFalse(summary(first).isEmpty(), first);
    assertEquals(summary(first), summary(second));
  }

  /**
   * Without {@code TSLAKE_JIT_OPTS} the launcher picks the JIT by the input's size: C1 alone for
   * local files up to {@code TSLAKE_C1_MAX_MB}, tiered compilation above it or when the size cannot
   * be told (a remote file); the job's JVM logs which one it got.
   */
  @Test
  void theJitFollowsTheInputsSize() throws Exception {
    Path config = config();
    String opts = "-Xmx512m -XX:+UseParallelGC";
    java.util.Map<String, String> noArchive = java.util.Map.of("TSLAKE_CDS", "0");

    String small = launch("small", config, opts, noArchive, 0);
    assertTrue(small.contains("tslake.sh: C1 alone (input files 0 MB, at most 256 MB)"), small);
    assertTrue(small.contains("JIT C1 alone"), small);
    assertTrue(small.contains("status: succeeded"), small);

    String large =
        launch(
            "large", config, opts, java.util.Map.of("TSLAKE_CDS", "0", "TSLAKE_C1_MAX_MB", "0"), 0);
    assertTrue(
        large.contains("tslake.sh: tiered JIT, C2 at 4x the thresholds (input files 0 MB)"), large);
    assertTrue(large.contains("JIT tiered (up to level 4)"), large);
    assertEquals(summary(small), summary(large));

    String forced =
        launch(
            "forced",
            config,
            opts,
            java.util.Map.of("TSLAKE_CDS", "0", "TSLAKE_JIT_OPTS", "-XX:-TieredCompilation"),
            0);
    assertFalse(forced.contains("tslake.sh: C1 alone"), forced);
    assertTrue(forced.contains("JIT C2 alone"), forced);

    Path remote = dir.resolve("remote.json");
    Files.writeString(
        remote,
        Files.readString(config)
            .replace(dir.resolve("bitstamp.csv").toString(), "s3://tslake-nowhere/bitstamp.csv"));
    String unknown = launch("unknown", remote, opts, noArchive, 1);
    assertTrue(
        unknown.contains(
            "tslake.sh: tiered JIT, C2 at 4x the thresholds (input files of a size"
                + " not known here, or a streaming run or replay)"),
        unknown);
  }
}

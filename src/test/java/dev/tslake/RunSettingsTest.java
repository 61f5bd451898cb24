package dev.tslake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.secret.SecretRef;
import dev.tslake.sources.live.ApiRequest;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunSettings} is derived from the options without touching anything outside the process (no
 * file system set-up, no SQL, no network); {@link Launch} does that, and fails with messages naming
 * what is wrong.
 */
class RunSettingsTest {
  private static final String FRED_ONLY =
      "{\"sources\":[{\"name\":\"fred\",\"type\":\"fred\",\"series\":[\"DGS2\"]}]}";

  private static TsLakeOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).withValidation().as(TsLakeOptions.class);
  }

  private static TsLakeOptions options(List<String> base, String... extra) {
    List<String> all = new ArrayList<>(base);
    all.addAll(Arrays.asList(extra));
    return options(all.toArray(new String[0]));
  }

  @Test
  void fromOptionsTouchesNeitherWarehouseNorLakeNorS3(@TempDir Path dir) throws IOException {
    Path config = Files.writeString(dir.resolve("fred.json"), FRED_ONLY);
    Path duck = dir.resolve("w.duckdb");
    Path lake = dir.resolve("no-such-lake");
    // a live source: the old settings read the warehouse here to plan incremental fetches
    TsLakeOptions local =
        options(
            "--config=" + config,
            "--lake=" + lake,
            "--warehouseUrl=jdbc:duckdb:" + duck,
            "--fredApiKey=k",
            "--ingestDate=2026-01-01");
    RunSettings s = RunSettings.from(local, Map.of());
    assertEquals(lake.toAbsolutePath() + "/", s.lakeRoot);
    assertEquals(List.of(), s.requests);
    assertFalse(Files.exists(duck), "warehouse file created by RunSettings.from");
    assertFalse(Files.exists(lake), "lake created by RunSettings.from");
    // the S3 options were not touched either
    assertEquals(
        DefaultS3ClientBuilderFactory.class, local.as(S3Options.class).getS3ClientFactoryClass());

    // nothing listens on port 1: unreachable PostgreSQL and S3
    TsLakeOptions remote =
        options(
            "--config=" + config,
            "--lake=s3://no-bucket/lake",
            "--s3Endpoint=http://127.0.0.1:1",
            "--s3PathStyle=true",
            "--s3AccessKey=a",
            "--s3SecretKey=secret-never-shown",
            "--warehouseUrl=jdbc:postgresql://127.0.0.1:1/nowhere",
            "--fredApiKey=k",
            "--httpMaxAttempts=1");
    RunSettings r = RunSettings.from(remote, Map.of());
    assertEquals("s3://no-bucket/lake/", r.lakeRoot);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Launch.prepare(remote, r));
    assertThat(e.getMessage(), containsString("S3 lake s3://no-bucket/lake"));
    assertThat(e.getMessage(), containsString("http://127.0.0.1:1"));
    assertFalse(e.getMessage().contains("secret-never-shown"));
  }

  @Test
  void launchFailsNamingTheWarehouseItCannotReach(@TempDir Path dir) {
    TsLakeOptions o =
        options(
            "--lake=" + dir.resolve("lake"),
            "--warehouseUrl=jdbc:postgresql://127.0.0.1:1/nowhere",
            "--warehouseUser=tslake",
            "--warehousePassword=pw-never-shown");
    RunSettings s = RunSettings.from(o, Map.of());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Launch.prepare(o, s));
    assertThat(e.getMessage(), containsString("127.0.0.1:1/nowhere"));
    assertFalse(e.getMessage().contains("pw-never-shown"));
  }

  @Test
  void launchOfAReplayFailsWhenTheLakeHasNothingToReplay(@TempDir Path dir) {
    TsLakeOptions o =
        options(
            "--lake=" + dir.resolve("empty-lake"),
            "--warehouseUrl=jdbc:duckdb:" + dir.resolve("w.duckdb"),
            "--replayFromLake=true");
    RunSettings s = RunSettings.from(o, Map.of());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Launch.prepare(o, s));
    assertThat(e.getMessage(), containsString("nothing to replay"));
    assertFalse(Files.exists(dir.resolve("w.duckdb")), "schema created before the checks");
  }

  @Test
  void launchPlansTheLiveRequestsAndCreatesTheSchema(@TempDir Path dir) throws IOException {
    Path config = Files.writeString(dir.resolve("fred.json"), FRED_ONLY);
    WarehouseSpec w = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      TsLakeOptions o =
          options(
              "--config=" + config,
              "--lake=" + dir.resolve("lake"),
              "--warehouseUrl=" + w.url,
              "--fredBaseUrl=http://127.0.0.1:1");
      RunSettings s = RunSettings.from(o, Map.of("FRED_API_KEY", "from-env"));
      assertEquals(SecretRef.env("FRED_API_KEY", "key"), s.api.fredApiKey);
      RunSettings launched = Launch.prepare(o, s);
      assertFalse(launched.requests.isEmpty());
      assertTrue(s.requests.isEmpty(), "the settings given to the launch changed");
      assertEquals(s.runId, launched.runId);
      assertEquals(s.startedAt, launched.startedAt);
      assertTrue(Files.exists(dir.resolve("w.duckdb")));
    } finally {
      w.release();
    }
  }

  @Test
  void aMissingApiKeyFailsTheLaunchNamingOptionAndVariable(@TempDir Path dir) throws IOException {
    Path config = Files.writeString(dir.resolve("fred.json"), FRED_ONLY);
    TsLakeOptions o =
        options(
            "--config=" + config,
            "--lake=" + dir.resolve("lake"),
            "--warehouseUrl=jdbc:duckdb:" + dir.resolve("w.duckdb"));
    RunSettings s = RunSettings.from(o, Map.of());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Launch.prepare(o, s));
    assertThat(e.getMessage(), containsString("--fredApiKey"));
    assertThat(e.getMessage(), containsString("FRED_API_KEY"));
    assertFalse(Files.exists(dir.resolve("w.duckdb")), "schema created before the checks");
  }

  @Test
  void validationErrorsNameTheOption(@TempDir Path dir) {
    List<String> base =
        List.of("--lake=" + dir.resolve("lake"), "--warehouseUrl=jdbc:duckdb:" + dir.resolve("w"));
    assertRejected("--ingestDate", options(base, "--ingestDate=2026-13-01"));
    assertRejected("--ingestDate", options(base, "--ingestDate=yesterday"));
    assertRejected(
        "--replayIngestDate",
        options(base, "--replayFromLake=true", "--replayIngestDate=2026/01/01"));
    assertRejected("--lake", options("--lake= ", "--warehouseUrl=jdbc:duckdb:" + dir.resolve("w")));
    assertRejected("--dedupShards", options(base, "--dedupShards=-1"));
    assertRejected("--dedupShards", options(base, "--dedupShards=65536"));
    assertRejected("--warehouseBatchSize", options(base, "--warehouseBatchSize=0"));
    assertRejected("--config", options(base, "--config="));
    // the edges are accepted
    assertEquals(0, RunSettings.from(options(base, "--dedupShards=0"), Map.of()).dedupShards);
    assertEquals(
        65535, RunSettings.from(options(base, "--dedupShards=65535"), Map.of()).dedupShards);
    // a replay date is only read (and checked) by a replay
    assertEquals(
        "junk", RunSettings.from(options(base, "--replayIngestDate=junk"), Map.of()).replayDate);
  }

  private static void assertRejected(String option, TsLakeOptions o) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RunSettings.from(o, Map.of()));
    assertThat(e.getMessage(), containsString(option));
  }

  @Test
  void secretsComeFromOptionsFirstThenTheSecretsFileThenTheEnvironment(@TempDir Path dir)
      throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("secrets.properties"),
            "censusApiKey=census-file\nwarehousePassword=pw-file\n");
    List<String> base =
        List.of(
            "--lake=" + dir.resolve("lake"),
            "--warehouseUrl=jdbc:postgresql://127.0.0.1:1/db",
            "--alphaVantageApiKey=av-option");
    Map<String, String> env =
        Map.of(
            "TSLAKE_WAREHOUSE_PASSWORD", "pw-env",
            "FRED_API_KEY", "fred-env",
            "ALPHAVANTAGE_API_KEY", "av-env",
            "CENSUS_API_KEY", "census-env");
    RunSettings s = RunSettings.from(options(base), env);
    assertEquals(SecretRef.env("FRED_API_KEY", "k"), s.api.fredApiKey);
    assertEquals("fred-env", s.api.fredApiKey.resolve(env::get));
    assertTrue(s.api.alphaVantageApiKey.isJvmLocal());
    assertEquals("av-option", s.api.alphaVantageApiKey.resolve());
    assertEquals(SecretRef.env("CENSUS_API_KEY", "k"), s.api.censusApiKey);
    assertEquals(SecretRef.env("TSLAKE_WAREHOUSE_PASSWORD", "k"), s.warehouse.passwordRef());

    RunSettings f = RunSettings.from(options(base, "--secretsFile=" + file), env);
    assertEquals(SecretRef.file(file.toString(), "censusApiKey", "k"), f.api.censusApiKey);
    assertEquals("census-file", f.api.censusApiKey.resolve());
    assertEquals("pw-file", f.warehouse.passwordRef().resolve());
    assertEquals(SecretRef.env("FRED_API_KEY", "k"), f.api.fredApiKey);

    RunSettings none = RunSettings.from(options(base), Map.of());
    assertNull(none.api.fredApiKey);
    assertNull(none.api.censusApiKey);
    assertNull(none.warehouse.passwordRef());
  }

  @Test
  void aSecretOnTheCommandLineIsRefusedForARunnerOutsideThisJvm(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RunSettings.from(
                    options(
                        "--runner=FlinkRunner",
                        "--flinkMaster=127.0.0.1:8081",
                        "--lake=" + dir.resolve("lake"),
                        "--warehouseUrl=jdbc:postgresql://127.0.0.1:1/db",
                        "--warehousePassword=pw-never-shown"),
                    Map.of()));
    assertThat(e.getMessage(), containsString("--warehousePassword"));
    assertThat(e.getMessage(), containsString("TSLAKE_WAREHOUSE_PASSWORD"));
    assertThat(e.getMessage(), containsString("--secretsFile"));
    assertFalse(e.getMessage().contains("pw-never-shown"));
    // Flink in local mode runs in this JVM: the option is fine
    RunSettings local =
        RunSettings.from(
            options(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--lake=" + dir.resolve("lake"),
                "--warehouseUrl=jdbc:postgresql://127.0.0.1:1/db",
                "--warehousePassword=pw"),
            Map.of());
    assertEquals("pw", local.warehouse.passwordRef().resolve());
  }

  @Test
  void copiesChangeOnlyWhatTheySay(@TempDir Path dir) {
    RunSettings s =
        RunSettings.builder()
            .config(PipelineConfig.load(Path.of("testdata/tslake.json")))
            .configName("testdata/tslake.json")
            .lake(dir.resolve("lake").toString())
            .warehouse(new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w"), null, null))
            .runId("r1")
            .ingestDate("2026-01-01")
            .startedAt(Instant.parse("2026-01-01T00:00:00Z"))
            .build();
    assertEquals(64, s.dedupShards);
    assertEquals(5000, s.batchSize);
    assertEquals("https://api.stlouisfed.org", s.api.fredBaseUrl);
    RunSettings zero = s.toBuilder().dedupShards(0).build();
    assertEquals(0, zero.dedupShards);
    assertEquals(64, s.dedupShards);
    assertEquals(s.lakeRoot, zero.lakeRoot);
    assertEquals(s.runId, zero.runId);
    assertEquals(s.startedAt, zero.startedAt);
    assertSame(s.config, zero.config);
    RunSettings withNone = s.withRequests(List.<ApiRequest>of());
    assertEquals(s.lakeRoot, withNone.lakeRoot);
    assertThrows(UnsupportedOperationException.class, () -> s.requests.add(null));
  }
}

package dev.tslake.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.RunSettings;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.secret.SecretRef;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run on the DirectRunner against PostgreSQL whose password is only in a secrets file ({@code
 * --secretsFile}): the workers read it from there when they connect.
 */
@Tag("integration")
class SecretsFileRunTest {
  private static final Path BITSTAMP =
      Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv");

  @TempDir Path dir;
  private String schemaUrl;

  @AfterEach
  void dropSchema() {
    if (schemaUrl != null) {
      PostgresSupport.dropSchema(schemaUrl);
    }
  }

  private TsLakeOptions options(String... extra) throws IOException {
    List<String> lines = Files.readAllLines(BITSTAMP, StandardCharsets.UTF_8);
    Path csv = Files.write(dir.resolve("bitstamp.csv"), lines.subList(0, 2 + 60));
    Path config =
        Files.writeString(
            dir.resolve("c.json"),
            "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\": [\"P1M\"],"
                + " \"files\": [\""
                + csv.toAbsolutePath()
                + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\", \"timestampFormat\":"
                + " \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\": \"symbol\", \"valueColumns\":"
                + " [\"close\"]}]}");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + dir.resolve("lake"),
                "--warehouseUrl=" + schemaUrl,
                "--warehouseUser=" + PostgresSupport.user(),
                "--runId=secrets-file",
                "--ingestDate=2025-01-01",
                "--dedupShards=4",
                "--enforceImmutability=false",
                "--enforceEncodability=false"));
    args.addAll(List.of(extra));
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(TsLakeOptions.class);
  }

  @Test
  void theDirectRunnerLoadsPostgresWithThePasswordOnlyInASecretsFile() throws IOException {
    schemaUrl = PostgresSupport.freshSchemaUrl("secretsfile");
    Path secrets =
        Files.writeString(
            dir.resolve("secrets.properties"),
            "# tslake secrets\nwarehousePassword=" + PostgresSupport.password() + "\n");
    TsLakeOptions options = options("--secretsFile=" + secrets);
    assertEquals(
        SecretRef.file(secrets.toString(), "warehousePassword", "p"),
        RunSettings.from(options).warehouse.passwordRef());
    RunRecord run = TsLake.run(options);
    assertTrue(run.balanced(), run.accountingMessage());
    assertEquals(60, run.observationsLoaded);
    WarehouseSpec spec =
        new WarehouseSpec(schemaUrl, PostgresSupport.user(), PostgresSupport.password());
    assertEquals(60, WarehouseDump.observations(spec).size());
  }

  @Test
  void aWrongPasswordInTheSecretsFileFailsTheLaunchWithoutShowingIt() throws IOException {
    schemaUrl = PostgresSupport.freshSchemaUrl("secretsfile");
    Path secrets =
        Files.writeString(dir.resolve("secrets.json"), "{\"warehousePassword\": \"wrongPW42x\"}");
    TsLakeOptions options = options("--secretsFile=" + secrets);
    RuntimeException e = assertThrows(RuntimeException.class, () -> TsLake.run(options));
    assertFalse(String.valueOf(e.getMessage()).contains("wrongPW42x"), e.getMessage());
  }
}

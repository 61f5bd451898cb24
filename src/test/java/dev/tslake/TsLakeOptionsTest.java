package dev.tslake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tslake.lake.LakeOptions;
import dev.tslake.sources.live.ApiSourceOptions;
import dev.tslake.warehouse.WarehouseOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** {@link TsLakeOptions} is the sum of one options interface per concern. */
class TsLakeOptionsTest {
  @Test
  void helpListsTheOptionsOfEveryConcern() {
    PipelineOptionsFactory.register(TsLakeOptions.class);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PipelineOptionsFactory.printHelp(
        new PrintStream(bytes, true, StandardCharsets.UTF_8), TsLakeOptions.class);
    String help = bytes.toString(StandardCharsets.UTF_8);
    for (Class<?> concern :
        List.of(
            RunOptions.class, LakeOptions.class, WarehouseOptions.class, ApiSourceOptions.class)) {
      assertThat(help, containsString(concern.getName()));
    }
    for (String option :
        List.of(
            "--config",
            "--runId",
            "--ingestDate",
            "--replayFromLake",
            "--replayIngestDate",
            "--dedupShards",
            "--lake",
            "--s3Endpoint",
            "--s3Region",
            "--s3PathStyle",
            "--s3AccessKey",
            "--s3SecretKey",
            "--warehouseUrl",
            "--warehouseUser",
            "--warehousePassword",
            "--warehouseBatchSize",
            "--fredBaseUrl",
            "--fredApiKey",
            "--alphaVantageApiKey",
            "--censusApiKey",
            "--edgarUserAgent",
            "--coindeskBaseUrl",
            "--failOnSourceError",
            "--fullRefetch",
            "--httpTimeoutMillis",
            "--httpMaxAttempts",
            "--httpBackoffMillis",
            // Beam's, through S3Options
            "--awsRegion",
            "--endpoint")) {
      assertThat(help, containsString(option + "="));
    }
  }

  @Test
  void everyDocumentedOptionStillParsesWithItsDefault() {
    TsLakeOptions o = PipelineOptionsFactory.fromArgs().withValidation().as(TsLakeOptions.class);
    assertEquals("testdata/tslake.json", o.getConfig());
    assertEquals("target/lake", o.getLake());
    assertEquals("jdbc:duckdb:target/tslake.duckdb", o.getWarehouseUrl());
    assertEquals(5000, o.getWarehouseBatchSize());
    assertEquals(8, o.getDedupShards()); // the DirectRunner's
    assertEquals(
        64,
        PipelineOptionsFactory.fromArgs("--runner=FlinkRunner")
            .as(TsLakeOptions.class)
            .getDedupShards());
    assertEquals(6, o.getHttpMaxAttempts());
    assertFalse(o.getS3PathStyle());
    TsLakeOptions set =
        PipelineOptionsFactory.fromArgs(
                "--config=c.yaml",
                "--lake=s3://b/p",
                "--s3Endpoint=http://h:9000",
                "--s3Region=eu-west-1",
                "--s3PathStyle=true",
                "--s3AccessKey=a",
                "--s3SecretKey=s",
                "--warehouseUrl=jdbc:postgresql://h/db",
                "--warehouseUser=u",
                "--warehousePassword=p",
                "--fredApiKey=f",
                "--edgarUserAgent=me me@example.com",
                "--replayFromLake=true",
                "--replayIngestDate=2026-01-01",
                "--dedupShards=0")
            .withValidation()
            .as(TsLakeOptions.class);
    assertEquals("c.yaml", set.getConfig());
    assertEquals("s3://b/p", set.as(LakeOptions.class).getLake());
    assertEquals("http://h:9000", set.getS3Endpoint());
    assertEquals("eu-west-1", set.getS3Region());
    assertEquals("u", set.as(WarehouseOptions.class).getWarehouseUser());
    assertEquals("f", set.as(ApiSourceOptions.class).getFredApiKey());
    assertEquals(0, set.as(RunOptions.class).getDedupShards());
  }
}

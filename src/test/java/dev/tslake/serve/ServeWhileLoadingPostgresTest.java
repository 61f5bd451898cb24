package dev.tslake.serve;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On PostgreSQL the server and a running job work at the same time: while a job loads Bitstamp
 * (observations, aggregates, rolling, checks), every API request is answered, and when the job ends
 * its run and series are served.
 */
@Tag("integration")
class ServeWhileLoadingPostgresTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private RunRecord run(String url, String runId, String sourceJson) throws Exception {
    Path config = Files.writeString(dir.resolve(runId + ".json"), sourceJson);
    return TsLake.run(
        PipelineOptionsFactory.fromArgs(
                "--config=" + config,
                "--lake=" + dir.resolve("lake"),
                "--warehouseUrl=" + url,
                "--warehouseUser=" + PostgresSupport.user(),
                "--warehousePassword=" + PostgresSupport.password(),
                "--runId=" + runId,
                "--enforceImmutability=false",
                "--enforceEncodability=false")
            .withValidation()
            .as(TsLakeOptions.class));
  }

  @Test
  void everyRequestIsAnsweredWhileAJobLoads() throws Exception {
    PostgresSupport.TestSchema schema = PostgresSupport.freshSchema("servewhile");
    try {
      String url = schema.url();
      RunRecord first =
          run(
              url,
              "first",
              "{\"sources\": [{\"name\": \"fred\", \"type\": \"fred\", \"windows\": [\"P1Y\"],"
                  + " \"files\": [\""
                  + Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json").toAbsolutePath()
                  + "\"]}]}");
      assertTrue(first.succeeded(), first.summary());
      try (Server.Running server =
          Server.start(
              ServeSettings.loopback(
                  new WarehouseSpec(url, PostgresSupport.user(), PostgresSupport.password())))) {
        HttpClient http = HttpClient.newHttpClient();
        CompletableFuture<RunRecord> job =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return run(
                        url,
                        "second",
                        "{\"sources\": [{\"name\": \"bitstamp\", \"type\": \"csv\", \"windows\":"
                            + " [\"P1W\", \"P1M\"], \"rolling\": [\"P7D\"], \"files\": [\""
                            + Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv")
                                .toAbsolutePath()
                            + "\"], \"skipLines\": 1, \"timestampColumn\": \"date\","
                            + " \"timestampFormat\": \"yyyy-MM-dd HH:mm:ss\", \"seriesColumn\":"
                            + " \"symbol\", \"valueColumns\": [\"open\", \"high\", \"low\","
                            + " \"close\"], \"checks\": [{\"type\": \"range\", \"min\": 0,"
                            + " \"severity\": \"error\"}]}]}");
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        List<String> refused = new ArrayList<>();
        int answered = 0;
        boolean sawRunning = false;
        while (!job.isDone()) {
          for (String path :
              List.of(
                  "api/series?limit=100",
                  "api/runs",
                  "api/series/fred/DGS2/observations?maxPoints=200",
                  "metrics")) {
            HttpResponse<String> r =
                http.send(
                    HttpRequest.newBuilder(URI.create(server.url() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              refused.add(path + " -> " + r.statusCode() + " " + r.body());
            } else {
              answered++;
              if (path.equals("api/runs")) {
                JsonNode top = JSON.readTree(r.body()).get("items").get(0);
                sawRunning |=
                    top.get("run_id").asText().equals("second")
                        && top.get("status").asText().equals("running");
              }
            }
          }
          Thread.sleep(50);
        }
        RunRecord second = job.get();
        assertTrue(second.succeeded(), second.summary());
        assertEquals(List.of(), refused, "requests refused while the job loaded");
        assertThat(answered, greaterThan(8));
        assertTrue(sawRunning, "the server showed the job as running while it loaded");
        JsonNode runs =
            JSON.readTree(
                http.send(
                        HttpRequest.newBuilder(URI.create(server.url() + "api/runs")).build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body());
        assertEquals("second", runs.get("items").get(0).get("run_id").asText());
        assertEquals("succeeded", runs.get("items").get(0).get("status").asText());
        String series =
            http.send(
                    HttpRequest.newBuilder(URI.create(server.url() + "api/series?source=bitstamp"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertEquals(4, JSON.readTree(series).get("items").size(), series);
      }
    } finally {
      schema.close();
    }
  }
}

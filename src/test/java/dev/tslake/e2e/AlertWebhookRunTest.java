package dev.tslake.e2e;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.WebhookReceiver;
import dev.tslake.warehouse.RunRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --alertWebhook}: exactly one POST for a run that fails, none for one that succeeds, and no
 * secret in it (the FRED key and the warehouse password given on the command line).
 */
@Tag("integration")
class AlertWebhookRunTest {
  private static final String KEY = "fredkey-0123456789abcdef0123456789ab";
  private static final String PASSWORD = "pw-never-in-an-alert";

  @TempDir Path dir;

  private RunRecord run(Path lake, String runId, String hook) throws Exception {
    Path config = dir.resolve("c.json");
    Files.writeString(
        config,
        "{\"sources\": [{\"name\": \"fred\", \"type\": \"fred\", \"windows\": [\"P1Y\"],"
            + " \"files\": [\""
            + Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json").toAbsolutePath()
            + "\"]}]}");
    return TsLake.run(
        PipelineOptionsFactory.fromArgs(
                "--config=" + config,
                "--lake=" + lake,
                "--warehouseUrl=jdbc:duckdb:" + dir.resolve("w.duckdb"),
                "--warehousePassword=" + PASSWORD,
                "--fredApiKey=" + KEY,
                "--runId=" + runId,
                "--alertWebhook=" + hook,
                "--enforceImmutability=false",
                "--enforceEncodability=false")
            .withValidation()
            .as(TsLakeOptions.class));
  }

  @Test
  void aFailedRunPostsOnceAndASucceededOneNever() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver()) {
      RunRecord ok = run(dir.resolve("lake"), "fine", hook.url());
      assertTrue(ok.succeeded(), ok.summary());
      assertEquals(List.of(), hook.requests(), "no alert for a run that succeeded");

      Path notADirectory = Files.writeString(dir.resolve("file"), "x");
      assertThrows(
          RuntimeException.class, () -> run(notADirectory.resolve("lake"), "broken", hook.url()));
      List<String> got = hook.requests();
      // exactly one alert (retries on 5xx are AlertWebhookTest's)
      assertEquals(1, got.size(), got.toString());
      String body = got.get(0).substring(got.get(0).indexOf('{'));
      JsonNode json = new ObjectMapper().readTree(body);
      assertEquals("broken", json.get("run_id").asText());
      assertEquals("failed", json.get("status").asText());
      assertThat(json.get("text").asText(), containsString("tslake run broken failed"));
      assertFalse(json.get("message").asText().isBlank(), "the reason it failed");
      assertThat(body, not(containsString(KEY)));
      assertThat(body, not(containsString(PASSWORD)));
    }
  }
}

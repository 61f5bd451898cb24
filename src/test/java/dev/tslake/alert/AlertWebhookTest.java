package dev.tslake.alert;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.retry.RetryPolicy;
import dev.tslake.testing.WebhookReceiver;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertWebhookTest {
  private static final RetryPolicy FAST = RetryPolicy.exponential(4, 10, 2.0);

  private static RunAlert alert() {
    return new RunAlert(
        "r1",
        "incomplete",
        "source 'fred': 2 series not fetched",
        "tslake.json",
        "DirectRunner",
        Instant.parse("2026-11-30T10:00:00Z"),
        Instant.parse("2026-11-30T10:01:00Z"),
        Map.of("records_read", 10L));
  }

  @Test
  void theBodyIsSlackCompatibleJsonWithTheFacts() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver()) {
      assertTrue(AlertWebhook.to(URI.create(hook.url())).withRetry(FAST).send(alert()));
      List<String> got = hook.requests();
      assertEquals(1, got.size());
      assertThat(got.get(0), containsString("POST /hook/T0KEN-in-the-path "));
      JsonNode json = new ObjectMapper().readTree(got.get(0).substring(got.get(0).indexOf('{')));
      assertEquals(
          "tslake run r1 incomplete: source 'fred': 2 series not fetched (config tslake.json)",
          json.get("text").asText());
      assertEquals("r1", json.get("run_id").asText());
      assertEquals("incomplete", json.get("status").asText());
      assertEquals(10, json.get("counts").get("records_read").asLong());
      assertEquals("2026-11-30T10:01:00Z", json.get("finished_at").asText());
    }
  }

  @Test
  void fiveHundredsAreRetriedAndFourHundredsAreNot() {
    try (WebhookReceiver hook = new WebhookReceiver().failing(2, 503)) {
      assertTrue(AlertWebhook.to(URI.create(hook.url())).withRetry(FAST).send(alert()));
      assertEquals(3, hook.requests().size());
    }
    try (WebhookReceiver hook = new WebhookReceiver().failing(9, 404)) {
      assertFalse(AlertWebhook.to(URI.create(hook.url())).withRetry(FAST).send(alert()));
      assertEquals(1, hook.requests().size());
    }
    try (WebhookReceiver hook = new WebhookReceiver().failing(9, 500)) {
      assertFalse(AlertWebhook.to(URI.create(hook.url())).withRetry(FAST).send(alert()));
      assertEquals(4, hook.requests().size(), "every attempt the policy allows");
    }
  }

  @Test
  void messagesNameTheHostNeverThePathWhichIsTheToken() {
    AlertWebhook hook =
        AlertWebhook.to(URI.create("https://hooks.example.com/services/T000/B000/XXXX"));
    assertEquals("https://hooks.example.com", hook.describe());
    assertThat(hook.describe(), not(containsString("XXXX")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> AlertWebhook.to(URI.create("ftp://x/secret")));
    assertThat(e.getMessage(), containsString("--alertWebhook"));
    assertThat(e.getMessage(), not(containsString("secret")));
  }
}

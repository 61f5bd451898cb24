package dev.tslake.alert;

import dev.tslake.retry.Attempts;
import dev.tslake.retry.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs a {@link RunAlert} as JSON to a webhook ({@code --alertWebhook}), retrying connection
 * failures, 429 and 5xx answers on the shared {@link RetryPolicy} (honouring {@code Retry-After}),
 * and giving up on other 4xx at once. It runs in the launching process only, after the run ended.
 *
 * <p>A webhook URL is a credential (a Slack incoming webhook's path is its token): messages name
 * the scheme and host only, never the path or query.
 *
 * <pre>{@code
 * AlertWebhook.to(URI.create("https://hooks.slack.com/services/T000/B000/XXXX"))
 *     .send(alert); // true when the receiver took it
 * }</pre>
 */
public final class AlertWebhook {
  private static final Logger LOG = LoggerFactory.getLogger(AlertWebhook.class);

  /** 5 attempts, 1 s doubling to at most 30 s: about a minute before giving up. */
  public static final RetryPolicy DEFAULT_RETRY =
      RetryPolicy.exponential(5, 1_000, 2.0).withMaxBackoffMillis(30_000);

  private final URI uri;
  private final RetryPolicy retry;
  private final Duration timeout;

  private AlertWebhook(URI uri, RetryPolicy retry, Duration timeout) {
    this.uri = uri;
    this.retry = retry;
    this.timeout = timeout;
  }

  /** A webhook at {@code uri} (http or https), with {@link #DEFAULT_RETRY} and a 10 s timeout. */
  public static AlertWebhook to(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "--alertWebhook must be an http(s) URL with a host, not '"
              + (uri.getScheme() == null ? "" : uri.getScheme() + ":")
              + "...'");
    }
    return new AlertWebhook(uri, DEFAULT_RETRY, Duration.ofSeconds(10));
  }

  public AlertWebhook withRetry(RetryPolicy retry) {
    return new AlertWebhook(uri, retry, timeout);
  }

  /** Where alerts go, for messages: scheme and host, never the path (the token). */
  public String describe() {
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
  }

  /**
   * Sends the alert; true when the receiver answered 2xx. Failures are logged (never the URL's
   * path) and reported by the return value, never thrown: an alert must not change a run's outcome.
   */
  public boolean send(RunAlert alert) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/json; charset=utf-8")
            .POST(HttpRequest.BodyPublishers.ofString(alert.toJson(), StandardCharsets.UTF_8))
            .build();
    Attempts attempts = retry.start();
    String last = "not sent";
    try {
      while (true) {
        long retryAfterMillis = -1;
        try {
          HttpResponse<Void> response =
              client.send(request, HttpResponse.BodyHandlers.discarding());
          int code = response.statusCode();
          if (code / 100 == 2) {
            LOG.info("alert for run {} ({}) sent to {}", alert.runId, alert.status, describe());
            return true;
          }
          last = "HTTP " + code;
          if (code != 429 && code / 100 != 5) {
            break;
          }
          retryAfterMillis =
              response
                  .headers()
                  .firstValue("Retry-After")
                  .map(AlertWebhook::retryAfterMillis)
                  .orElse(-1L);
        } catch (IOException e) {
          last = e.getClass().getSimpleName();
        }
        if (!attempts.retryAfter(retryAfterMillis)) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      last = "interrupted";
    }
    LOG.warn(
        "alert for run {} ({}) could not be sent to {} after {} attempt(s): {}",
        alert.runId,
        alert.status,
        describe(),
        attempts.attempt(),
        last);
    return false;
  }

  private static long retryAfterMillis(String value) {
    try {
      return Math.min(60_000, Math.max(0, Long.parseLong(value.trim())) * 1000);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}

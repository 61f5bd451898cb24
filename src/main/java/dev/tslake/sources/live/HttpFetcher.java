package dev.tslake.sources.live;

import dev.tslake.retry.Attempts;
import dev.tslake.retry.RetryPolicy;
import dev.tslake.retry.TransientClassifier;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.util.Sleeper;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GET with retries: 429, 5xx, connection errors and timeouts are retried under the shared {@link
 * RetryPolicy} (exponential backoff with jitter), honouring {@code Retry-After}; an API's "slow
 * down" answered with 200 (Alpha Vantage's {@code Note}) is retried the same way. Every attempt
 * goes through the source's {@link RateLimiter}. Whatever fails for good comes back as a {@link
 * Result} with the reason; nothing here throws for a bad response, and nothing here prints a
 * secret.
 */
public final class HttpFetcher {
  private static final Logger LOG = LoggerFactory.getLogger(HttpFetcher.class);
  private static final long MAX_BACKOFF_MILLIS = 60_000;
  private static final long MAX_RETRY_AFTER_MILLIS = 300_000;

  /** Worth asking again: no answer (status 0: timeout, connection failed), 429 and 5xx. */
  static final TransientClassifier<Integer> TRANSIENT_STATUS =
      status -> status == 0 || status == 429 || status >= 500;

  private final HttpClient client;
  private final ApiSettings settings;
  private final Sleeper sleeper;
  private final Secrets secrets;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  public HttpFetcher(HttpClient client, ApiSettings settings) {
    this(client, settings, Sleeper.DEFAULT);
  }

  /** With the given sleeper between attempts (tests). */
  HttpFetcher(HttpClient client, ApiSettings settings, Sleeper sleeper) {
    this.client = client;
    this.settings = settings;
    this.secrets = settings.secrets();
    this.sleeper = sleeper;
  }

  /**
   * Moves the counts so far into Beam counters. Call from the DoFn's own thread: Beam metrics
   * belong to the thread processing the element, and fetches run on a pool.
   */
  public void flushMetrics(Counter requestCounter, Counter retryCounter, Counter failureCounter) {
    requestCounter.inc(requests.getAndSet(0));
    retryCounter.inc(retries.getAndSet(0));
    failureCounter.inc(failures.getAndSet(0));
  }

  public static HttpClient newClient(ApiSettings settings) {
    return HttpClient.newBuilder()
        .connectTimeout(Duration.ofMillis(settings.timeoutMillis))
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  /** A final answer: a body to parse, or why there is none. */
  public static final class Result {
    public final @Nullable String body;
    public final int status;
    public final int attempts;
    public final @Nullable String failure;

    Result(@Nullable String body, int status, int attempts, @Nullable String failure) {
      this.body = body;
      this.status = status;
      this.attempts = attempts;
      this.failure = failure;
    }

    public boolean ok() {
      return failure == null;
    }
  }

  /**
   * Fetches {@code uri} (which may hold secrets; only its redacted form is ever shown). {@code
   * throttled} recognises a 200 answer that really means "slow down".
   */
  public Result get(
      URI uri, Map<String, String> headers, RateLimiter limiter, Predicate<String> throttled)
      throws InterruptedException {
    String shown = secrets.redact(uri.toString());
    String lastProblem = null;
    int lastStatus = 0;
    Attempts attempts = retryPolicy().start(sleeper);
    while (true) {
      int attempt = attempts.attempt();
      long retryAfter = -1;
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri)
              .GET()
              .timeout(Duration.ofMillis(settings.timeoutMillis))
              .header("Accept", "application/json, text/csv;q=0.9, */*;q=0.5");
      headers.forEach(request::header);
      limiter.acquire();
      HttpResponse<byte[]> response;
      try {
        requests.incrementAndGet();
        response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (HttpTimeoutException e) {
        lastProblem = "timed out after " + settings.timeoutMillis + " ms";
        lastStatus = 0;
        response = null;
      } catch (IOException e) {
        lastProblem =
            "connection failed: "
                + secrets.redact(String.valueOf(e.getMessage()))
                + " ("
                + e.getClass().getSimpleName()
                + ")";
        lastStatus = 0;
        response = null;
      } finally {
        limiter.release();
      }
      if (response != null) {
        int status = response.statusCode();
        String body = new String(response.body(), StandardCharsets.UTF_8);
        lastStatus = status;
        if (TRANSIENT_STATUS.isTransient(status)) {
          lastProblem = "HTTP " + status + excerpt(body);
          retryAfter = retryAfterMillis(response.headers().firstValue("Retry-After").orElse(null));
        } else if (status == 200 && throttled.test(body)) {
          lastProblem = "throttled by the API (HTTP 200)" + excerpt(body);
        } else if (status >= 200 && status < 300) {
          return new Result(body, status, attempt, null);
        } else {
          // 4xx other than 429: asking again will not help
          failures.incrementAndGet();
          return new Result(
              body, status, attempt, "HTTP " + status + " for " + shown + excerpt(body));
        }
      }
      if (attempts.isLast()) {
        break;
      }
      retries.incrementAndGet();
      String problem = lastProblem;
      boolean again =
          attempts.retryAfter(
              retryAfter,
              wait ->
                  LOG.warn(
                      "{}: {}; retry {} of {} in {} ms",
                      shown,
                      problem,
                      attempt,
                      attempts.maxAttempts() - 1,
                      wait));
      if (!again) {
        break;
      }
    }
    failures.incrementAndGet();
    return new Result(
        null,
        lastStatus,
        attempts.attempt(),
        "gave up after " + attempts.attempt() + " attempts for " + shown + ": " + lastProblem);
  }

  /**
   * The fetcher's retries: {@code --httpMaxAttempts} attempts, the first retry after about {@code
   * --httpBackoffMillis}, doubling, with jitter, capped at a minute.
   */
  RetryPolicy retryPolicy() {
    return RetryPolicy.exponential(Math.max(1, settings.maxAttempts), settings.backoffMillis, 2)
        .withMaxBackoffMillis(Math.max(settings.backoffMillis, MAX_BACKOFF_MILLIS));
  }

  /** Retry-After as seconds or an HTTP date; -1 if absent or unreadable. */
  static long retryAfterMillis(@Nullable String value) {
    if (value == null || value.isBlank()) {
      return -1;
    }
    try {
      return Math.min(MAX_RETRY_AFTER_MILLIS, Math.max(0, Long.parseLong(value.trim()) * 1000));
    } catch (NumberFormatException e) {
      try {
        long millis =
            ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant()
                    .toEpochMilli()
                - System.currentTimeMillis();
        return Math.min(MAX_RETRY_AFTER_MILLIS, Math.max(0, millis));
      } catch (RuntimeException ignored) {
        return -1;
      }
    }
  }

  private String excerpt(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    String oneLine = body.replaceAll("\\s+", " ").trim();
    return ": "
        + secrets.redact(oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine);
  }
}

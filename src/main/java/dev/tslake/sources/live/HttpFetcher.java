package dev.tslake.sources.live;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tslake.retry.Attempts;
import dev.tslake.retry.RetryPolicy;
import dev.tslake.retry.TransientClassifier;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
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

  /** Milliseconds from sending a request to its whole answer, until {@link #flushMetrics}. */
  private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();

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
  public void flushMetrics(
      Counter requestCounter,
      Counter retryCounter,
      Counter failureCounter,
      Distribution latencyMillis) {
    requestCounter.inc(requests.getAndSet(0));
    retryCounter.inc(retries.getAndSet(0));
    failureCounter.inc(failures.getAndSet(0));
    for (Long ms = latencies.poll(); ms != null; ms = latencies.poll()) {
      latencyMillis.update(ms);
    }
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
    return get(uri, headers, limiter, throttled, body -> null);
  }

  /**
   * Like {@link #get(URI, Map, RateLimiter, Predicate)}; {@code malformed} says what is wrong with
   * a 2xx body (or null if nothing is), and such an answer is retried like a 5xx.
   */
  public Result get(
      URI uri,
      Map<String, String> headers,
      RateLimiter limiter,
      Predicate<String> throttled,
      Function<String, String> malformed)
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
      HttpResponse<byte[]> response = null;
      CompletableFuture<HttpResponse<byte[]>> inFlight = null;
      try {
        requests.incrementAndGet();
        long sent = System.nanoTime();
        inFlight =
            client.sendAsync(request.build(), info -> new CappedBody(settings.maxResponseBytes));
        // one deadline for the whole answer: a body that trickles in cannot hold the run
        response = inFlight.get(settings.timeoutMillis, TimeUnit.MILLISECONDS);
        latencies.add((System.nanoTime() - sent) / 1_000_000);
      } catch (TimeoutException e) {
        inFlight.cancel(true);
        lastProblem = "no complete answer within " + settings.timeoutMillis + " ms (timed out)";
        lastStatus = 0;
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        TooLarge tooLarge = tooLarge(cause);
        if (tooLarge != null) {
          lastProblem = tooLarge.getMessage();
        } else if (cause instanceof HttpTimeoutException) {
          lastProblem = "timed out after " + settings.timeoutMillis + " ms";
        } else {
          lastProblem =
              "connection failed: "
                  + secrets.redact(String.valueOf(cause == null ? e : cause.getMessage()))
                  + " ("
                  + (cause == null ? e : cause).getClass().getSimpleName()
                  + ")";
        }
        lastStatus = 0;
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
        } else if (status >= 200 && status < 300 && malformed.apply(body) != null) {
          // a cut-off, HTML or empty body with status 200 is a failed answer, not data
          lastProblem = "malformed answer (HTTP " + status + "): " + malformed.apply(body);
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

  /** Why a body is not one well-formed JSON document, or null when it is. */
  public static @Nullable String notJson(String body) {
    if (body == null || body.isBlank()) {
      return "empty body";
    }
    try (JsonParser p = JSON.createParser(body)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT && first != JsonToken.START_ARRAY) {
        return "not a JSON document" + excerptOf(body);
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        return "trailing content after the JSON document";
      }
      return null;
    } catch (IOException e) {
      return (body.trim().startsWith("<")
              ? "HTML or XML instead of JSON"
              : "truncated or invalid JSON")
          + excerptOf(body);
    }
  }

  private static final JsonFactory JSON = new JsonFactory();

  private static String excerptOf(String body) {
    String oneLine = body.replaceAll("\\s+", " ").trim();
    return ": " + (oneLine.length() > 80 ? oneLine.substring(0, 80) + "..." : oneLine);
  }

  /** A body past the size cap. */
  static final class TooLarge extends IOException {
    TooLarge(long max) {
      super("response body larger than " + max + " bytes (--httpMaxResponseBytes)");
    }
  }

  private static @Nullable TooLarge tooLarge(@Nullable Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof TooLarge) {
        return (TooLarge) c;
      }
    }
    return null;
  }

  /** Collects a body up to {@code max} bytes; past that it cancels the stream and fails. */
  static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private Flow.Subscription subscription;
    private long size;

    CappedBody(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      this.subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        size += b.remaining();
        if (size > max) {
          subscription.cancel();
          result.completeExceptionally(new TooLarge(max));
          return;
        }
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        buffer.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(buffer.toByteArray());
    }
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

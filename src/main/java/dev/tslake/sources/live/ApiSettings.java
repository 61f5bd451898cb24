package dev.tslake.sources.live;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.secret.SecretRef;
import java.io.Serializable;
import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Endpoints, credentials and HTTP behaviour for the live sources, decided once at launch. The keys
 * are {@link SecretRef}s: where each key is (environment variable, secrets file, or a value held by
 * the launching JVM), never the key itself, so the settings serialized into the fetch DoFn hold no
 * secret; {@link #fredApiKey()} and the others read the value where the fetch runs.
 */
public final class ApiSettings implements Serializable {
  public final String fredBaseUrl;
  public final @Nullable SecretRef fredApiKey;
  public final String alphaVantageBaseUrl;
  public final @Nullable SecretRef alphaVantageApiKey;
  public final String censusBaseUrl;
  public final @Nullable SecretRef censusApiKey;
  public final String edgarBaseUrl;
  public final @Nullable String edgarUserAgent;
  public final String coindeskBaseUrl;
  public final int timeoutMillis;
  public final int maxAttempts;
  public final long backoffMillis;
  public final boolean failOnSourceError;
  private transient volatile @Nullable Secrets secrets;

  /** Default cap on one response body: 64 MiB. */
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 64L << 20;

  /** Largest response body accepted ({@code --httpMaxResponseBytes}). */
  public final long maxResponseBytes;

  public ApiSettings(
      String fredBaseUrl,
      @Nullable SecretRef fredApiKey,
      String alphaVantageBaseUrl,
      @Nullable SecretRef alphaVantageApiKey,
      String censusBaseUrl,
      @Nullable SecretRef censusApiKey,
      String edgarBaseUrl,
      @Nullable String edgarUserAgent,
      String coindeskBaseUrl,
      int timeoutMillis,
      int maxAttempts,
      long backoffMillis,
      boolean failOnSourceError) {
    this.fredBaseUrl = trimSlash(fredBaseUrl);
    this.fredApiKey = fredApiKey;
    this.alphaVantageBaseUrl = trimSlash(alphaVantageBaseUrl);
    this.alphaVantageApiKey = alphaVantageApiKey;
    this.censusBaseUrl = trimSlash(censusBaseUrl);
    this.censusApiKey = censusApiKey;
    this.edgarBaseUrl = trimSlash(edgarBaseUrl);
    this.edgarUserAgent = blankToNull(edgarUserAgent);
    this.coindeskBaseUrl = trimSlash(coindeskBaseUrl);
    this.timeoutMillis = timeoutMillis;
    this.maxAttempts = maxAttempts;
    this.backoffMillis = backoffMillis;
    this.failOnSourceError = failOnSourceError;
    this.maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
  }

  private ApiSettings(ApiSettings a, long maxResponseBytes) {
    this.fredBaseUrl = a.fredBaseUrl;
    this.fredApiKey = a.fredApiKey;
    this.alphaVantageBaseUrl = a.alphaVantageBaseUrl;
    this.alphaVantageApiKey = a.alphaVantageApiKey;
    this.censusBaseUrl = a.censusBaseUrl;
    this.censusApiKey = a.censusApiKey;
    this.edgarBaseUrl = a.edgarBaseUrl;
    this.edgarUserAgent = a.edgarUserAgent;
    this.coindeskBaseUrl = a.coindeskBaseUrl;
    this.timeoutMillis = a.timeoutMillis;
    this.maxAttempts = a.maxAttempts;
    this.backoffMillis = a.backoffMillis;
    this.failOnSourceError = a.failOnSourceError;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** These settings with another cap on response bodies (at least 1 byte). */
  public ApiSettings withMaxResponseBytes(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("--httpMaxResponseBytes must be at least 1, got " + bytes);
    }
    return new ApiSettings(this, bytes);
  }

  private static String trimSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** The FRED key, read from where it is (once per JVM copy of these settings); null: none. */
  public @Nullable String fredApiKey() {
    return fredApiKey == null ? null : secrets().value(fredApiKey);
  }

  public @Nullable String alphaVantageApiKey() {
    return alphaVantageApiKey == null ? null : secrets().value(alphaVantageApiKey);
  }

  public @Nullable String censusApiKey() {
    return censusApiKey == null ? null : secrets().value(censusApiKey);
  }

  /** The keys, read where this runs (a worker's setup), and what masks them in messages. */
  public Secrets secrets() {
    Secrets s = secrets;
    if (s == null) {
      s = new Secrets(Arrays.asList(fredApiKey, alphaVantageApiKey, censusApiKey));
      secrets = s;
    }
    return s;
  }

  /** Fails before the run starts when a live source lacks what its API requires. */
  public void checkCanFetch(SourceConfig source) {
    String where = "source '" + source.name + "'";
    if (source.type == SourceType.FRED && fredApiKey == null) {
      throw new IllegalArgumentException(
          where
              + " fetches from FRED, which needs an API key:"
              + " --fredApiKey or the FRED_API_KEY environment variable");
    }
    if (source.type == SourceType.ALPHAVANTAGE && alphaVantageApiKey == null) {
      throw new IllegalArgumentException(
          where
              + " fetches from Alpha Vantage, which needs an API"
              + " key: --alphaVantageApiKey or the ALPHAVANTAGE_API_KEY environment variable");
    }
    if (source.type == SourceType.EDGAR
        && (edgarUserAgent == null || !edgarUserAgent.contains("@"))) {
      throw new IllegalArgumentException(
          where
              + " fetches from SEC EDGAR, which requires a"
              + " User-Agent naming you and a contact e-mail (SEC fair access policy):"
              + " --edgarUserAgent=\"Your Company admin@example.com\"");
    }
  }
}

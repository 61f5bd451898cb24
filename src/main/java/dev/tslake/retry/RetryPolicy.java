package dev.tslake.retry;

import java.io.Serializable;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.FluentBackoff;
import org.apache.beam.sdk.util.Sleeper;
import org.joda.time.Duration;

/**
 * How often and how patiently to retry: at most {@link #maxAttempts()} attempts, with exponential
 * backoff and jitter from Beam's {@link FluentBackoff} between them (the n-th wait is uniform in
 * [d/2, 3d/2] for d = initial * exponent^(n-1), capped at the maximum backoff). Immutable and
 * serializable, so a transform can carry it to its workers. What is worth retrying is decided by
 * each user with its own {@link TransientClassifier}; the waiting is done by {@link Attempts}.
 *
 * <pre>{@code
 * Attempts attempts = policy.start();
 * while (true) {
 *   try {
 *     return work();
 *   } catch (IOException e) {
 *     if (!classifier.isTransient(e) || !attempts.retry()) {
 *       throw e;
 *     }
 *   }
 * }
 * }</pre>
 */
public final class RetryPolicy implements Serializable {
  private final int maxAttempts;
  private final long initialBackoffMillis;
  private final double exponent;
  private final long maxBackoffMillis;

  private RetryPolicy(
      int maxAttempts, long initialBackoffMillis, double exponent, long maxBackoffMillis) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (initialBackoffMillis < 0) {
      throw new IllegalArgumentException(
          "initial backoff must not be negative, got " + initialBackoffMillis);
    }
    if (exponent < 1) {
      throw new IllegalArgumentException("exponent must be at least 1, got " + exponent);
    }
    if (maxBackoffMillis < initialBackoffMillis) {
      throw new IllegalArgumentException(
          "max backoff " + maxBackoffMillis + " < initial backoff " + initialBackoffMillis);
    }
    this.maxAttempts = maxAttempts;
    this.initialBackoffMillis = initialBackoffMillis;
    this.exponent = exponent;
    this.maxBackoffMillis = maxBackoffMillis;
  }

  /**
   * {@code maxAttempts} attempts in all (so {@code maxAttempts - 1} retries), the first retry after
   * about {@code initialBackoffMillis}, each next one {@code exponent} times later, uncapped.
   */
  public static RetryPolicy exponential(
      int maxAttempts, long initialBackoffMillis, double exponent) {
    return new RetryPolicy(maxAttempts, initialBackoffMillis, exponent, Long.MAX_VALUE / 4);
  }

  /** The same policy with the (pre-jitter) wait capped at {@code millis}. */
  public RetryPolicy withMaxBackoffMillis(long millis) {
    return new RetryPolicy(maxAttempts, initialBackoffMillis, exponent, millis);
  }

  public RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(attempts, initialBackoffMillis, exponent, maxBackoffMillis);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public long initialBackoffMillis() {
    return initialBackoffMillis;
  }

  public double exponent() {
    return exponent;
  }

  public long maxBackoffMillis() {
    return maxBackoffMillis;
  }

  /** The Beam backoff behind this policy: {@code maxAttempts - 1} waits, then STOP. */
  public BackOff backOff() {
    if (initialBackoffMillis == 0) {
      return new NoWait(maxAttempts - 1);
    }
    return FluentBackoff.DEFAULT
        .withMaxRetries(maxAttempts - 1)
        .withInitialBackoff(Duration.millis(initialBackoffMillis))
        .withMaxBackoff(Duration.millis(maxBackoffMillis))
        .withExponent(exponent)
        .backoff();
  }

  /** A new series of attempts, sleeping with {@link Sleeper#DEFAULT}. */
  public Attempts start() {
    return start(Sleeper.DEFAULT);
  }

  /** A new series of attempts, sleeping with {@code sleeper} (tests pass one that records). */
  public Attempts start(Sleeper sleeper) {
    return new Attempts(this, backOff(), sleeper);
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts="
        + maxAttempts
        + ", initialBackoffMillis="
        + initialBackoffMillis
        + ", exponent="
        + exponent
        + ", maxBackoffMillis="
        + maxBackoffMillis
        + "}";
  }

  /** FluentBackoff wants a positive initial backoff; a zero one means "retry at once". */
  private static final class NoWait implements BackOff {
    private final int retries;
    private int done;

    NoWait(int retries) {
      this.retries = retries;
    }

    @Override
    public void reset() {
      done = 0;
    }

    @Override
    public long nextBackOffMillis() {
      if (done >= retries) {
        return STOP;
      }
      done++;
      return 0;
    }
  }
}

package dev.tslake.retry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.LongConsumer;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.BackOffUtils;
import org.apache.beam.sdk.util.Sleeper;

/**
 * One operation's attempts under a {@link RetryPolicy}: counts them, and between two of them sleeps
 * what the policy's backoff says, or what the other side asked for ({@code Retry-After}). Not
 * thread-safe: one per operation.
 */
public final class Attempts {
  private final RetryPolicy policy;
  private final BackOff backOff;
  private final Sleeper sleeper;
  private int attempt = 1;
  private long lastWaitMillis = -1;

  Attempts(RetryPolicy policy, BackOff backOff, Sleeper sleeper) {
    this.policy = policy;
    this.backOff = backOff;
    this.sleeper = sleeper;
  }

  /** The attempt under way, from 1. */
  public int attempt() {
    return attempt;
  }

  public int maxAttempts() {
    return policy.maxAttempts();
  }

  /** Whether the attempt under way is the last one the policy allows. */
  public boolean isLast() {
    return attempt >= policy.maxAttempts();
  }

  /** What the last {@link #retry} slept, in ms; -1 before any. */
  public long lastWaitMillis() {
    return lastWaitMillis;
  }

  /**
   * After a failed attempt: false when the policy allows no more; otherwise sleeps the backoff and
   * returns true, the next attempt being under way.
   */
  public boolean retry() throws InterruptedException {
    return retryAfter(-1);
  }

  /**
   * As {@link #retry()}, but sleeps {@code retryAfterMillis} instead of the backoff when it is not
   * negative (a server's {@code Retry-After}); the attempt counts all the same.
   */
  public boolean retryAfter(long retryAfterMillis) throws InterruptedException {
    return retryAfter(retryAfterMillis, millis -> {});
  }

  /**
   * As {@link #retryAfter(long)}, telling {@code beforeSleeping} how long it is about to sleep (to
   * log it).
   */
  public boolean retryAfter(long retryAfterMillis, LongConsumer beforeSleeping)
      throws InterruptedException {
    boolean more;
    try {
      if (retryAfterMillis >= 0) {
        more = backOff.nextBackOffMillis() != BackOff.STOP;
        if (more) {
          lastWaitMillis = retryAfterMillis;
          beforeSleeping.accept(retryAfterMillis);
          sleeper.sleep(retryAfterMillis);
        }
      } else {
        more =
            BackOffUtils.next(
                millis -> {
                  lastWaitMillis = millis;
                  beforeSleeping.accept(millis);
                  sleeper.sleep(millis);
                },
                backOff);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("backoff failed", e);
    }
    if (more) {
      attempt++;
    }
    return more;
  }
}

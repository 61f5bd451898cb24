package dev.tslake.sources.live;

import java.util.concurrent.Semaphore;

/**
 * At most {@code maxConcurrent} requests in flight and at most {@code perSecond} request starts per
 * second, evenly spaced. One instance serves all of a source's requests in a run (they are one
 * group in the graph), so the limits hold for the run, not per thread.
 */
public final class RateLimiter {
  private final Semaphore inFlight;
  private final long intervalNanos;
  private long nextStartNanos;

  public RateLimiter(double perSecond, int maxConcurrent) {
    if (!(perSecond > 0) || maxConcurrent < 1) {
      throw new IllegalArgumentException("rate must be positive and concurrency at least 1");
    }
    this.inFlight = new Semaphore(maxConcurrent, true);
    this.intervalNanos = (long) (1_000_000_000L / perSecond);
    this.nextStartNanos = System.nanoTime();
  }

  /** Blocks until a request may start; pair with {@link #release()}. */
  public void acquire() throws InterruptedException {
    inFlight.acquire();
    long wait;
    synchronized (this) {
      long now = System.nanoTime();
      long start = Math.max(now, nextStartNanos);
      nextStartNanos = start + intervalNanos;
      wait = start - now;
    }
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      } catch (InterruptedException e) {
        inFlight.release();
        throw e;
      }
    }
  }

  public void release() {
    inFlight.release();
  }
}

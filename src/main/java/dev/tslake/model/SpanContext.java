package dev.tslake.model;

import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A series' read-back span [lo, hi) of this run (epoch ms) and the nearest stored observations (any
 * value, missing included) outside it: {@code before} the last one with ts &lt; lo, {@code after}
 * the first one with ts &ge; hi, null when there is none. So the observations of (before, after)
 * are exactly what the run holds of [lo, hi): nothing lies between.
 */
public final class SpanContext implements Serializable {
  public final long lo;
  public final long hi;
  public final @Nullable Long before;
  public final @Nullable Long after;

  public SpanContext(long lo, long hi, @Nullable Long before, @Nullable Long after) {
    this.lo = lo;
    this.hi = hi;
    this.before = before;
    this.after = after;
  }

  @Override
  public String toString() {
    return "SpanContext[" + lo + ", " + hi + ") before=" + before + " after=" + after;
  }
}

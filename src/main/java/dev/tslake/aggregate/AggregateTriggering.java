package dev.tslake.aggregate;

import java.io.Serializable;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.joda.time.Duration;

/**
 * When the windowed aggregates of a streaming run fire: an on-time pane when the watermark passes
 * the window's end, early panes every {@link #earlyPeriod} of processing time after the first
 * element of a pane, and a late pane for every late element within {@link #allowedLateness}. Panes
 * accumulate, so each one carries the statistics of the whole window so far.
 */
public final class AggregateTriggering implements Serializable {
  private final Duration earlyPeriod;
  private final Duration allowedLateness;

  private AggregateTriggering(Duration earlyPeriod, Duration allowedLateness) {
    this.earlyPeriod = Objects.requireNonNull(earlyPeriod, "earlyPeriod");
    this.allowedLateness = Objects.requireNonNull(allowedLateness, "allowedLateness");
    if (earlyPeriod.getMillis() <= 0) {
      throw new IllegalArgumentException(
          "--earlyFiringPeriod must be a positive duration, got " + earlyPeriod);
    }
    if (allowedLateness.getMillis() < 0) {
      throw new IllegalArgumentException(
          "--allowedLateness must not be negative, got " + allowedLateness);
    }
  }

  /** Early panes every {@code earlyPeriod} (> 0), late panes within {@code allowedLateness}. */
  public static AggregateTriggering of(Duration earlyPeriod, Duration allowedLateness) {
    return new AggregateTriggering(earlyPeriod, allowedLateness);
  }

  /** From {@code --earlyFiringPeriod} and {@code --allowedLateness}, with a clear error if bad. */
  public static AggregateTriggering fromOptions(StreamingWindowOptions options) {
    return of(
        parse("earlyFiringPeriod", options.getEarlyFiringPeriod()),
        parse("allowedLateness", options.getAllowedLateness()));
  }

  /** An ISO-8601 duration such as {@code PT10S} or {@code P1D} (no months or years). */
  static Duration parse(String option, String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(
          "--" + option + " needs an ISO-8601 duration such as PT10S or PT1H");
    }
    try {
      return Duration.millis(java.time.Duration.parse(text.trim()).toMillis());
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "--"
              + option
              + "="
              + text
              + " is not an ISO-8601 duration such as PT10S, PT5M or PT1H (days at most: P1D)",
          e);
    }
  }

  public Duration earlyPeriod() {
    return earlyPeriod;
  }

  public Duration allowedLateness() {
    return allowedLateness;
  }

  /** Watermark, early firings on processing time, late firings on every late element. */
  public Trigger trigger() {
    return AfterWatermark.pastEndOfWindow()
        .withEarlyFirings(AfterProcessingTime.pastFirstElementInPane().plusDelayOf(earlyPeriod))
        .withLateFirings(AfterPane.elementCountAtLeast(1));
  }

  /** {@code window} with this trigger, accumulating fired panes, and the allowed lateness. */
  public <T> Window<T> applyTo(Window<T> window) {
    return window
        .triggering(trigger())
        .accumulatingFiredPanes()
        .withAllowedLateness(allowedLateness);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AggregateTriggering
        && ((AggregateTriggering) o).earlyPeriod.equals(earlyPeriod)
        && ((AggregateTriggering) o).allowedLateness.equals(allowedLateness);
  }

  @Override
  public int hashCode() {
    return Objects.hash(earlyPeriod, allowedLateness);
  }

  @Override
  public String toString() {
    return "AggregateTriggering(early every "
        + earlyPeriod
        + ", late within "
        + allowedLateness
        + ")";
  }
}

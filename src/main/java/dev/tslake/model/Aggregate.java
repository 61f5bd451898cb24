package dev.tslake.model;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Statistics of one series over one window. {@code n} counts non-missing values; min, max, mean,
 * first and last (by event time) are over those and null when {@code n == 0}.
 */
@DefaultSchema(JavaFieldSchema.class)
public final class Aggregate implements Serializable {
  public final String source;
  public final String seriesId;

  /** The configured window, e.g. {@code P1D} or {@code P1M}. */
  public final String window;

  public final long windowStart;
  public final long windowEnd;
  public final long n;
  public final long missing;
  public final @Nullable Double min;
  public final @Nullable Double max;
  public final @Nullable Double mean;
  public final @Nullable Double first;
  public final @Nullable Double last;

  /** Sample standard deviation of the window's values; null when n < 2. */
  public final @Nullable Double stddev;

  /** Without a standard deviation (null), as before {@code stddev} existed. */
  public Aggregate(
      String source,
      String seriesId,
      String window,
      long windowStart,
      long windowEnd,
      long n,
      long missing,
      @Nullable Double min,
      @Nullable Double max,
      @Nullable Double mean,
      @Nullable Double first,
      @Nullable Double last) {
    this(
        source,
        seriesId,
        window,
        windowStart,
        windowEnd,
        n,
        missing,
        min,
        max,
        mean,
        first,
        last,
        null);
  }

  @SchemaCreate
  public Aggregate(
      String source,
      String seriesId,
      String window,
      long windowStart,
      long windowEnd,
      long n,
      long missing,
      @Nullable Double min,
      @Nullable Double max,
      @Nullable Double mean,
      @Nullable Double first,
      @Nullable Double last,
      @Nullable Double stddev) {
    this.source = source;
    this.seriesId = seriesId;
    this.window = window;
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.n = n;
    this.missing = missing;
    this.min = min;
    this.max = max;
    this.mean = mean;
    this.first = first;
    this.last = last;
    this.stddev = stddev;
  }

  /** Beam's schema coder (low volume, one element per series and window: no hand-written coder). */
  public static SchemaCoder<Aggregate> coder() {
    return SchemaCoders.of(Aggregate.class);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Aggregate)) {
      return false;
    }
    Aggregate a = (Aggregate) o;
    return source.equals(a.source)
        && seriesId.equals(a.seriesId)
        && window.equals(a.window)
        && windowStart == a.windowStart
        && windowEnd == a.windowEnd
        && n == a.n
        && missing == a.missing
        && Objects.equals(min, a.min)
        && Objects.equals(max, a.max)
        && Objects.equals(mean, a.mean)
        && Objects.equals(first, a.first)
        && Objects.equals(last, a.last)
        && Objects.equals(stddev, a.stddev);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        source,
        seriesId,
        window,
        windowStart,
        windowEnd,
        n,
        missing,
        min,
        max,
        mean,
        first,
        last,
        stddev);
  }

  @Override
  public String toString() {
    return "Aggregate{"
        + source
        + "/"
        + seriesId
        + " "
        + window
        + " ["
        + Instant.ofEpochMilli(windowStart)
        + ", "
        + Instant.ofEpochMilli(windowEnd)
        + ") n="
        + n
        + " missing="
        + missing
        + " min="
        + min
        + " max="
        + max
        + " mean="
        + mean
        + " first="
        + first
        + " last="
        + last
        + " stddev="
        + stddev
        + "}";
  }
}

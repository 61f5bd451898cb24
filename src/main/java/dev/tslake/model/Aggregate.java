package dev.tslake.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
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

  /** The framed coder ({@link Coder}). */
  public static Coder coder() {
    return Coder.INSTANCE;
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

  /**
   * One framed record per aggregate ({@link Frame}), as {@link RollingStat.Coder}; the schema (its
   * {@code @DefaultSchema}) stays for Beam's schema transforms.
   */
  public static final class Coder extends CustomCoder<Aggregate> {
    private static final Coder INSTANCE = new Coder();

    private Coder() {}

    @Override
    public void encode(Aggregate x, OutputStream os) throws IOException {
      Frame f = Frame.writer();
      f.putString(x.source);
      f.putString(x.seriesId);
      f.putString(x.window);
      f.putLong(x.windowStart);
      f.putLong(x.windowEnd);
      f.putLong(x.n);
      f.putLong(x.missing);
      f.putNullableDouble(x.min);
      f.putNullableDouble(x.max);
      f.putNullableDouble(x.mean);
      f.putNullableDouble(x.first);
      f.putNullableDouble(x.last);
      f.putNullableDouble(x.stddev);
      f.writeTo(os);
    }

    @Override
    public Aggregate decode(InputStream is) throws IOException {
      Frame f = Frame.reader(is);
      String source = f.getString();
      String seriesId = f.getString();
      String window = f.getString();
      long windowStart = f.getLong();
      long windowEnd = f.getLong();
      long n = f.getLong();
      long missing = f.getLong();
      Double min = f.getNullableDouble();
      Double max = f.getNullableDouble();
      Double mean = f.getNullableDouble();
      Double first = f.getNullableDouble();
      Double last = f.getNullableDouble();
      Double stddev = f.getNullableDouble();
      f.end();
      return new Aggregate(
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
    public void verifyDeterministic() {}

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Coder;
    }

    @Override
    public int hashCode() {
      return Coder.class.hashCode();
    }

    private Object readResolve() {
      return INSTANCE;
    }
  }
}

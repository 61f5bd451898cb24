package dev.tslake.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Statistics of one series over one window. {@code n} counts non-missing values; min, max, mean,
 * first and last (by event time) are over those and null when {@code n == 0}.
 */
@DefaultCoder(Aggregate.Coder.class)
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
        && Objects.equals(last, a.last);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        source, seriesId, window, windowStart, windowEnd, n, missing, min, max, mean, first, last);
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
        + "}";
  }

  public static final class Coder extends CustomCoder<Aggregate> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Aggregate a, OutputStream os) throws IOException {
      DataOutputStream out = Codec.out(os);
      Codec.writeString(out, a.source);
      Codec.writeString(out, a.seriesId);
      Codec.writeString(out, a.window);
      out.writeLong(a.windowStart);
      out.writeLong(a.windowEnd);
      out.writeLong(a.n);
      out.writeLong(a.missing);
      Codec.writeNullableDouble(out, a.min);
      Codec.writeNullableDouble(out, a.max);
      Codec.writeNullableDouble(out, a.mean);
      Codec.writeNullableDouble(out, a.first);
      Codec.writeNullableDouble(out, a.last);
      out.flush();
    }

    @Override
    public Aggregate decode(InputStream is) throws IOException {
      DataInputStream in = Codec.in(is);
      return new Aggregate(
          Codec.readString(in),
          Codec.readString(in),
          Codec.readString(in),
          in.readLong(),
          in.readLong(),
          in.readLong(),
          in.readLong(),
          Codec.readNullableDouble(in),
          Codec.readNullableDouble(in),
          Codec.readNullableDouble(in),
          Codec.readNullableDouble(in),
          Codec.readNullableDouble(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}

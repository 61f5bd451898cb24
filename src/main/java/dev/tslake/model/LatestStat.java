package dev.tslake.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.coders.CustomCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A row of {@code latest}: statistics of one series' points in the trailing duration {@code (asOf -
 * trailing, asOf]} before its newest point {@code asOf}. {@code n} counts the points with a value;
 * the statistics are null when there is none.
 */
public final class LatestStat implements Serializable {
  public final String source;
  public final String seriesId;

  /** The trailing duration, ISO-8601 text (e.g. {@code PT1H}). */
  public final String trailing;

  /** The series' newest point, epoch ms. */
  public final long asOf;

  public final long n;
  public final @Nullable Double mean;
  public final @Nullable Double stddev;
  public final @Nullable Double min;
  public final @Nullable Double max;
  public final @Nullable Double first;
  public final @Nullable Double last;

  /** When the row was computed, epoch ms; strictly increasing per series. */
  public final long updatedAt;

  public LatestStat(
      String source,
      String seriesId,
      String trailing,
      long asOf,
      long n,
      @Nullable Double mean,
      @Nullable Double stddev,
      @Nullable Double min,
      @Nullable Double max,
      @Nullable Double first,
      @Nullable Double last,
      long updatedAt) {
    this.source = source;
    this.seriesId = seriesId;
    this.trailing = trailing;
    this.asOf = asOf;
    this.n = n;
    this.mean = mean;
    this.stddev = stddev;
    this.min = min;
    this.max = max;
    this.first = first;
    this.last = last;
    this.updatedAt = updatedAt;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof LatestStat)) {
      return false;
    }
    LatestStat x = (LatestStat) o;
    return source.equals(x.source)
        && seriesId.equals(x.seriesId)
        && trailing.equals(x.trailing)
        && asOf == x.asOf
        && n == x.n
        && Objects.equals(mean, x.mean)
        && Objects.equals(stddev, x.stddev)
        && Objects.equals(min, x.min)
        && Objects.equals(max, x.max)
        && Objects.equals(first, x.first)
        && Objects.equals(last, x.last)
        && updatedAt == x.updatedAt;
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, seriesId, asOf, n, mean, updatedAt);
  }

  @Override
  public String toString() {
    return "LatestStat{"
        + source
        + "/"
        + seriesId
        + " "
        + trailing
        + " as of "
        + java.time.Instant.ofEpochMilli(asOf)
        + ": n="
        + n
        + ", mean="
        + mean
        + ", stddev="
        + stddev
        + ", min="
        + min
        + ", max="
        + max
        + ", first="
        + first
        + ", last="
        + last
        + "}";
  }

  public static Coder coder() {
    return Coder.INSTANCE;
  }

  public static final class Coder extends CustomCoder<LatestStat> {
    private static final Coder INSTANCE = new Coder();

    @Override
    public void encode(LatestStat s, OutputStream os) throws IOException {
      Frame f = Frame.writer();
      f.putString(s.source);
      f.putString(s.seriesId);
      f.putString(s.trailing);
      f.putLong(s.asOf);
      f.putLong(s.n);
      f.putNullableDouble(s.mean);
      f.putNullableDouble(s.stddev);
      f.putNullableDouble(s.min);
      f.putNullableDouble(s.max);
      f.putNullableDouble(s.first);
      f.putNullableDouble(s.last);
      f.putLong(s.updatedAt);
      f.writeTo(os);
    }

    @Override
    public LatestStat decode(InputStream is) throws IOException {
      Frame f = Frame.reader(is);
      LatestStat s =
          new LatestStat(
              f.getString(),
              f.getString(),
              f.getString(),
              f.getLong(),
              f.getLong(),
              f.getNullableDouble(),
              f.getNullableDouble(),
              f.getNullableDouble(),
              f.getNullableDouble(),
              f.getNullableDouble(),
              f.getNullableDouble(),
              f.getLong());
      f.end();
      return s;
    }

    @Override
    public void verifyDeterministic() {}
  }
}

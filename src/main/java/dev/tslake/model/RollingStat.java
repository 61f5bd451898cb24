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
 * Moving statistics of one series at one observation: its values in the trailing window {@code (ts
 * - window, ts]}. {@code n} counts non-missing values; stddev is the sample standard deviation,
 * null when {@code n < 2}. A row with {@link #deleted} set stands for a row to remove: its
 * observation's value became missing.
 */
@DefaultSchema(JavaFieldSchema.class)
public final class RollingStat implements Serializable {
  public final String source;
  public final String seriesId;

  /** The configured trailing window, e.g. {@code P7D}. */
  public final String window;

  public final long ts;
  public final long n;
  public final @Nullable Double mean;
  public final @Nullable Double stddev;
  public final @Nullable Double min;
  public final @Nullable Double max;
  public final boolean deleted;

  @SchemaCreate
  public RollingStat(
      String source,
      String seriesId,
      String window,
      long ts,
      long n,
      @Nullable Double mean,
      @Nullable Double stddev,
      @Nullable Double min,
      @Nullable Double max,
      boolean deleted) {
    this.source = source;
    this.seriesId = seriesId;
    this.window = window;
    this.ts = ts;
    this.n = n;
    this.mean = mean;
    this.stddev = stddev;
    this.min = min;
    this.max = max;
    this.deleted = deleted;
  }

  /** The row of (source, series, window, ts) to delete. */
  public static RollingStat deletion(String source, String seriesId, String window, long ts) {
    return new RollingStat(source, seriesId, window, ts, 0, null, null, null, null, true);
  }

  /** The framed coder ({@link Coder}). */
  public static Coder coder() {
    return Coder.INSTANCE;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof RollingStat)) {
      return false;
    }
    RollingStat r = (RollingStat) o;
    return source.equals(r.source)
        && seriesId.equals(r.seriesId)
        && window.equals(r.window)
        && ts == r.ts
        && n == r.n
        && Objects.equals(mean, r.mean)
        && Objects.equals(stddev, r.stddev)
        && Objects.equals(min, r.min)
        && Objects.equals(max, r.max)
        && deleted == r.deleted;
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, seriesId, window, ts, n, mean, stddev, min, max, deleted);
  }

  @Override
  public String toString() {
    return "RollingStat{"
        + source
        + "/"
        + seriesId
        + " "
        + window
        + " @ "
        + Instant.ofEpochMilli(ts)
        + (deleted
            ? " deleted"
            : " n=" + n + " mean=" + mean + " stddev=" + stddev + " min=" + min + " max=" + max)
        + "}";
  }

  /**
   * One framed record per row ({@link Frame}). The DirectRunner copies (encodes and decodes) the
   * rows a regroup has gathered for a key every time another bundle adds to it; Beam's schema coder
   * took most of that time in the default job.
   */
  public static final class Coder extends CustomCoder<RollingStat> {
    private static final Coder INSTANCE = new Coder();

    private Coder() {}

    @Override
    public void encode(RollingStat x, OutputStream os) throws IOException {
      Frame f = Frame.writer();
      f.putString(x.source);
      f.putString(x.seriesId);
      f.putString(x.window);
      f.putLong(x.ts);
      f.putLong(x.n);
      f.putNullableDouble(x.mean);
      f.putNullableDouble(x.stddev);
      f.putNullableDouble(x.min);
      f.putNullableDouble(x.max);
      f.putBoolean(x.deleted);
      f.writeTo(os);
    }

    @Override
    public RollingStat decode(InputStream is) throws IOException {
      Frame f = Frame.reader(is);
      String source = f.getString();
      String seriesId = f.getString();
      String window = f.getString();
      long ts = f.getLong();
      long n = f.getLong();
      Double mean = f.getNullableDouble();
      Double stddev = f.getNullableDouble();
      Double min = f.getNullableDouble();
      Double max = f.getNullableDouble();
      boolean deleted = f.getBoolean();
      f.end();
      return new RollingStat(source, seriesId, window, ts, n, mean, stddev, min, max, deleted);
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

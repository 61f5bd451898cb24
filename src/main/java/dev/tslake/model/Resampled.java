package dev.tslake.model;

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
 * One cell of a series' regular grid (table {@code resampled}): the observed value that falls in
 * it, or a filled one ({@code filled}; null past maxGap or with fill none).
 */
@DefaultCoder(Resampled.Coder.class)
public final class Resampled implements Serializable {
  public final String source;
  public final String seriesId;

  /** The grid's cell size, as configured ({@code P1D}). */
  public final String every;

  /** Start of the cell, epoch milliseconds UTC. */
  public final long ts;

  public final @Nullable Double value;

  /** True when no observed value falls in the cell. */
  public final boolean filled;

  public Resampled(
      String source,
      String seriesId,
      String every,
      long ts,
      @Nullable Double value,
      boolean filled) {
    this.source = source;
    this.seriesId = seriesId;
    this.every = every;
    this.ts = ts;
    this.value = value;
    this.filled = filled;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Resampled)) {
      return false;
    }
    Resampled r = (Resampled) o;
    return source.equals(r.source)
        && seriesId.equals(r.seriesId)
        && every.equals(r.every)
        && ts == r.ts
        && Objects.equals(value, r.value)
        && filled == r.filled;
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, seriesId, every, ts, value, filled);
  }

  @Override
  public String toString() {
    return source
        + "/"
        + seriesId
        + " "
        + every
        + " @ "
        + Instant.ofEpochMilli(ts)
        + " = "
        + value
        + (filled ? " (filled)" : "");
  }

  public static final class Coder extends CustomCoder<Resampled> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Resampled r, OutputStream os) throws IOException {
      Frame f = Frame.writer();
      f.putString(r.source);
      f.putString(r.seriesId);
      f.putString(r.every);
      f.putLong(r.ts);
      f.putNullableDouble(r.value);
      f.putBoolean(r.filled);
      f.writeTo(os);
    }

    @Override
    public Resampled decode(InputStream is) throws IOException {
      Frame f = Frame.reader(is);
      Resampled r =
          new Resampled(
              f.getString(),
              f.getString(),
              f.getString(),
              f.getLong(),
              f.getNullableDouble(),
              f.getBoolean());
      f.end();
      return r;
    }

    @Override
    public void verifyDeterministic() {}
  }
}

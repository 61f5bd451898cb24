package dev.tslake.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Descriptive metadata of a series, as a source publishes it (FRED /fred/series) or config states
 * it.
 */
@DefaultCoder(SeriesInfo.Coder.class)
public final class SeriesInfo implements Serializable {
  public final String source;
  public final String seriesId;
  public final @Nullable String title;
  public final @Nullable String units;
  public final @Nullable String frequency;
  public final @Nullable String seasonalAdjustment;

  /** As published, e.g. {@code 2022-12-09 15:25:09-06}. */
  public final @Nullable String lastUpdated;

  public SeriesInfo(
      String source,
      String seriesId,
      @Nullable String title,
      @Nullable String units,
      @Nullable String frequency,
      @Nullable String seasonalAdjustment,
      @Nullable String lastUpdated) {
    this.source = source;
    this.seriesId = seriesId;
    this.title = title;
    this.units = units;
    this.frequency = frequency;
    this.seasonalAdjustment = seasonalAdjustment;
    this.lastUpdated = lastUpdated;
  }

  public String key() {
    return source + '\u0000' + seriesId;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof SeriesInfo)) {
      return false;
    }
    SeriesInfo x = (SeriesInfo) o;
    return source.equals(x.source)
        && seriesId.equals(x.seriesId)
        && Objects.equals(title, x.title)
        && Objects.equals(units, x.units)
        && Objects.equals(frequency, x.frequency)
        && Objects.equals(seasonalAdjustment, x.seasonalAdjustment)
        && Objects.equals(lastUpdated, x.lastUpdated);
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, seriesId, title, units, frequency, seasonalAdjustment, lastUpdated);
  }

  @Override
  public String toString() {
    return "SeriesInfo{"
        + source
        + "/"
        + seriesId
        + ", "
        + title
        + ", "
        + units
        + ", "
        + frequency
        + ", "
        + seasonalAdjustment
        + ", "
        + lastUpdated
        + "}";
  }

  public static final class Coder extends CustomCoder<SeriesInfo> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SeriesInfo s, OutputStream os) throws IOException {
      DataOutputStream out = Codec.out(os);
      Codec.writeString(out, s.source);
      Codec.writeString(out, s.seriesId);
      Codec.writeString(out, s.title);
      Codec.writeString(out, s.units);
      Codec.writeString(out, s.frequency);
      Codec.writeString(out, s.seasonalAdjustment);
      Codec.writeString(out, s.lastUpdated);
      out.flush();
    }

    @Override
    public SeriesInfo decode(InputStream is) throws IOException {
      DataInputStream in = Codec.in(is);
      return new SeriesInfo(
          Codec.readString(in),
          Codec.readString(in),
          Codec.readString(in),
          Codec.readString(in),
          Codec.readString(in),
          Codec.readString(in),
          Codec.readString(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}

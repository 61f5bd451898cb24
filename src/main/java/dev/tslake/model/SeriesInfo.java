package dev.tslake.model;

import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Descriptive metadata of a series, as a source publishes it (FRED /fred/series) or config states
 * it.
 */
@DefaultSchema(JavaFieldSchema.class)
public final class SeriesInfo implements Serializable {
  public final String source;
  public final String seriesId;
  public final @Nullable String title;
  public final @Nullable String units;
  public final @Nullable String frequency;
  public final @Nullable String seasonalAdjustment;

  /** As published, e.g. {@code 2022-12-09 15:25:09-06}. */
  public final @Nullable String lastUpdated;

  @SchemaCreate
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

  /** Beam's schema coder (low volume, one element per series: no hand-written coder). */
  public static SchemaCoder<SeriesInfo> coder() {
    return SchemaCoders.of(SeriesInfo.class);
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
}

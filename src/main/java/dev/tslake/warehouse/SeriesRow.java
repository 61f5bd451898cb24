package dev.tslake.warehouse;

import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/** A row of the {@code series} table: metadata where known, and the span of loaded observations. */
public final class SeriesRow implements Serializable {
  public final String source;
  public final String seriesId;
  public final @Nullable String title;
  public final @Nullable String units;
  public final @Nullable String frequency;
  public final @Nullable String seasonalAdjustment;
  public final @Nullable String lastUpdated;
  public final @Nullable Long firstTs;
  public final @Nullable Long lastTs;

  public SeriesRow(
      String source,
      String seriesId,
      @Nullable String title,
      @Nullable String units,
      @Nullable String frequency,
      @Nullable String seasonalAdjustment,
      @Nullable String lastUpdated,
      @Nullable Long firstTs,
      @Nullable Long lastTs) {
    this.source = source;
    this.seriesId = seriesId;
    this.title = title;
    this.units = units;
    this.frequency = frequency;
    this.seasonalAdjustment = seasonalAdjustment;
    this.lastUpdated = lastUpdated;
    this.firstTs = firstTs;
    this.lastTs = lastTs;
  }

  @Override
  public String toString() {
    return "SeriesRow{"
        + source
        + "/"
        + seriesId
        + ", "
        + title
        + ", "
        + firstTs
        + ".."
        + lastTs
        + "}";
  }
}

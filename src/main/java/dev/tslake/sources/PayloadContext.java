package dev.tslake.sources;

import dev.tslake.config.SourceConfig;
import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/** What a parser knows about a payload besides its bytes. */
public final class PayloadContext implements Serializable {
  public final SourceConfig source;

  /** File path or request URL (secrets removed); goes into every raw record's origin. */
  public final String origin;

  /** Series id stated by config for this payload, or derived from its file name; may be null. */
  public final @Nullable String seriesIdHint;

  /** Vintage stated by config for this payload (ISO date or instant), or null. */
  public final @Nullable String vintage;

  public PayloadContext(
      SourceConfig source, String origin, @Nullable String seriesIdHint, @Nullable String vintage) {
    this.source = source;
    this.origin = origin;
    this.seriesIdHint = seriesIdHint;
    this.vintage = vintage;
  }
}

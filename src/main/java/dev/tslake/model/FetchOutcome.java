package dev.tslake.model;

import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How one planned request of a live source ended (for FRED observations: every page of a series).
 * Either complete, with the newest observation date it brought ({@link #completeThrough}, null when
 * it brought none), or failed for good, with the URL (secrets removed) and the reason. {@code
 * RecordRun} turns these into the run's status ({@code incomplete} when any failed) and into {@code
 * fetch_state}, the point the next incremental fetch starts from.
 */
public final class FetchOutcome implements Serializable {
  public final String source;

  /** The series a FRED observations request fetched; null for requests without one. */
  public final @Nullable String seriesId;

  /** The request URL, secrets removed. */
  public final String url;

  public final boolean complete;

  /** yyyy-MM-dd of the newest observation fetched, when complete and non-empty. */
  public final @Nullable String completeThrough;

  /** Why it failed for good (secrets removed); null when complete. */
  public final @Nullable String failure;

  private FetchOutcome(
      String source,
      @Nullable String seriesId,
      String url,
      boolean complete,
      @Nullable String completeThrough,
      @Nullable String failure) {
    this.source = source;
    this.seriesId = seriesId;
    this.url = url;
    this.complete = complete;
    this.completeThrough = completeThrough;
    this.failure = failure;
  }

  public static FetchOutcome complete(
      String source, @Nullable String seriesId, String url, @Nullable String completeThrough) {
    return new FetchOutcome(source, seriesId, url, true, completeThrough, null);
  }

  public static FetchOutcome failed(
      String source, @Nullable String seriesId, String url, String failure) {
    return new FetchOutcome(source, seriesId, url, false, null, failure);
  }

  public static Coder<FetchOutcome> coder() {
    return SerializableCoder.of(FetchOutcome.class);
  }

  @Override
  public String toString() {
    return complete
        ? source + " " + url + " complete through " + completeThrough
        : source + " " + url + " failed: " + failure;
  }
}

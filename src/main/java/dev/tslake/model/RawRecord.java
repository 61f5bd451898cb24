package dev.tslake.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One candidate observation exactly as a payload parser found it: strings, not yet validated.
 *
 * <p>This is the unit the run accounts in: every raw record is either loaded as an observation,
 * superseded by a later vintage of the same (source, series, ts), or rejected with a reason. A
 * payload that could not be split into candidates at all (an API error body, truncated JSON, a CSV
 * row with too few fields) becomes one raw record with {@link #error} set, so it is rejected and
 * counted too.
 */
@DefaultCoder(RawRecord.Coder.class)
public final class RawRecord implements Serializable {
  /** Config name of the source that produced it. */
  public final String source;

  /** Where it came from: a file path or a request URL with secrets removed. */
  public final String origin;

  /** Position inside the origin, e.g. {@code line 12 close} or {@code observations[3]}. */
  public final String locator;

  public final @Nullable String seriesId;
  public final @Nullable String ts;
  public final @Nullable String value;

  /** ISO-8601 date or instant of the data release this value belongs to; empty when unknown. */
  public final @Nullable String vintage;

  /**
   * Set when the payload could not be split into observations; {@link #value} then holds an
   * excerpt.
   */
  public final @Nullable String error;

  public RawRecord(
      String source,
      String origin,
      String locator,
      @Nullable String seriesId,
      @Nullable String ts,
      @Nullable String value,
      @Nullable String vintage,
      @Nullable String error) {
    this.source = Objects.requireNonNull(source, "source");
    this.origin = Objects.requireNonNull(origin, "origin");
    this.locator = Objects.requireNonNull(locator, "locator");
    this.seriesId = seriesId;
    this.ts = ts;
    this.value = value;
    this.vintage = vintage;
    this.error = error;
  }

  public static RawRecord of(
      String source,
      String origin,
      String locator,
      String seriesId,
      String ts,
      String value,
      @Nullable String vintage) {
    return new RawRecord(source, origin, locator, seriesId, ts, value, vintage, null);
  }

  /** A payload that could not be split into observations; the excerpt is capped at 4 KiB. */
  public static RawRecord unparseable(
      String source,
      String origin,
      String locator,
      @Nullable String seriesId,
      String error,
      @Nullable String payload) {
    return new RawRecord(source, origin, locator, seriesId, null, excerpt(payload), null, error);
  }

  public static @Nullable String excerpt(@Nullable String payload) {
    if (payload == null) {
      return null;
    }
    return payload.length() <= 4096 ? payload : payload.substring(0, 4096) + "...[truncated]";
  }

  public static final String[] CSV_HEADER = {
    "source", "origin", "locator", "series_id", "ts", "value", "vintage", "error"
  };

  public String[] toCsvRow() {
    return new String[] {source, origin, locator, seriesId, ts, value, vintage, error};
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof RawRecord)) {
      return false;
    }
    RawRecord r = (RawRecord) o;
    return source.equals(r.source)
        && origin.equals(r.origin)
        && locator.equals(r.locator)
        && Objects.equals(seriesId, r.seriesId)
        && Objects.equals(ts, r.ts)
        && Objects.equals(value, r.value)
        && Objects.equals(vintage, r.vintage)
        && Objects.equals(error, r.error);
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, origin, locator, seriesId, ts, value, vintage, error);
  }

  @Override
  public String toString() {
    return "RawRecord{"
        + source
        + ", "
        + origin
        + " @ "
        + locator
        + ", series="
        + seriesId
        + ", ts="
        + ts
        + ", value="
        + value
        + ", vintage="
        + vintage
        + (error == null ? "" : ", error=" + error)
        + "}";
  }

  public static final class Coder extends CustomCoder<RawRecord> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(RawRecord r, OutputStream os) throws IOException {
      Frame f = Frame.writer();
      f.putString(r.source);
      f.putString(r.origin);
      f.putString(r.locator);
      f.putString(r.seriesId);
      f.putString(r.ts);
      f.putString(r.value);
      f.putString(r.vintage);
      f.putString(r.error);
      f.writeTo(os);
    }

    @Override
    public RawRecord decode(InputStream is) throws IOException {
      Frame f = Frame.reader(is);
      String source = f.getString();
      String origin = f.getString();
      String locator = f.getString();
      String seriesId = f.getString();
      String ts = f.getString();
      String value = f.getString();
      String vintage = f.getString();
      String error = f.getString();
      f.end();
      return new RawRecord(source, origin, locator, seriesId, ts, value, vintage, error);
    }

    @Override
    public void verifyDeterministic() {}
  }
}

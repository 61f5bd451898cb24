package dev.tslake.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.Pipeline;
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
 *
 * <p>A file reader asked for input markers ({@code ReadSources.withInputMarkers()}) also emits, in
 * the same stream, an {@linkplain #inputStart input-start} marker before an input's records and an
 * {@linkplain #inputEnd input-end} marker (with the input's record count) after them, so a step
 * fused right after the reader (the raw lake landing, {@code lake.LandRawFiles}) knows where each
 * input begins and ends. Markers are not records: the step that consumes them drops them.
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

  /** What this element is: a record, or a marker around an input's records. */
  public enum Kind {
    RECORD,
    INPUT_START,
    INPUT_END
  }

  /**
   * {@link Kind#RECORD} for every record; markers only come from {@link #inputStart}/{@link
   * #inputEnd}.
   */
  public final Kind kind;

  public RawRecord(
      String source,
      String origin,
      String locator,
      @Nullable String seriesId,
      @Nullable String ts,
      @Nullable String value,
      @Nullable String vintage,
      @Nullable String error) {
    this(Kind.RECORD, source, origin, locator, seriesId, ts, value, vintage, error);
  }

  private RawRecord(
      Kind kind,
      String source,
      String origin,
      String locator,
      @Nullable String seriesId,
      @Nullable String ts,
      @Nullable String value,
      @Nullable String vintage,
      @Nullable String error) {
    this.kind = Objects.requireNonNull(kind, "kind");
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

  /**
   * Marks the start of the records read from {@code inputPath} for {@code source}: the whole input
   * ({@code part} -1, {@code parts} 0) or range {@code part} of {@code parts}.
   */
  public static RawRecord inputStart(String source, String inputPath, int part, int parts) {
    return new RawRecord(
        Kind.INPUT_START, source, inputPath, part + "/" + parts, null, null, null, null, null);
  }

  /**
   * Marks the end of the records of an input that was read to its end: {@code records} records were
   * emitted since its {@link #inputStart}.
   */
  public static RawRecord inputEnd(
      String source, String inputPath, int part, int parts, long records) {
    return new RawRecord(
        Kind.INPUT_END,
        source,
        inputPath,
        part + "/" + parts,
        null,
        null,
        Long.toString(records),
        null,
        null);
  }

  public boolean isMarker() {
    return kind != Kind.RECORD;
  }

  /** Of a marker: the range of the input ({@code -1} for a whole input). */
  public int markerPart() {
    checkMarker();
    return Integer.parseInt(locator.substring(0, locator.indexOf('/')));
  }

  /** Of a marker: the number of ranges of the input ({@code 0} for a whole input). */
  public int markerParts() {
    checkMarker();
    return Integer.parseInt(locator.substring(locator.indexOf('/') + 1));
  }

  /** Of an input-end marker: the number of records emitted for the input. */
  public long markerRecords() {
    if (kind != Kind.INPUT_END) {
      throw new IllegalStateException("not an input-end marker: " + this);
    }
    return Long.parseLong(value);
  }

  private void checkMarker() {
    if (!isMarker()) {
      throw new IllegalStateException("not an input marker: " + this);
    }
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
    return kind == r.kind
        && source.equals(r.source)
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
    int h = Objects.hash(source, origin, locator, seriesId, ts, value, vintage, error);
    return kind == Kind.RECORD ? h : h * 31 + kind.ordinal();
  }

  @Override
  public String toString() {
    if (isMarker()) {
      return kind
          + "{"
          + source
          + ", "
          + origin
          + " #"
          + locator
          + (value == null ? "" : ", records=" + value)
          + "}";
    }
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

  // Hand-written and framed: coders were a third of a 10M-row Flink profile, raw records included.
  public static final class Coder extends CustomCoder<RawRecord> {
    private static final Coder INSTANCE = new Coder(null);
    private static final Kind[] KINDS = Kind.values();

    /**
     * Source and origin as text when {@code null} (the original format, and the coder of streaming
     * runs, whose state may outlive a graph); else ids of the strings it holds, text for the rest.
     */
    private final @Nullable KnownStrings known;

    private Coder(@Nullable KnownStrings known) {
      this.known = known;
    }

    /** Every string as text. */
    public static Coder of() {
      return INSTANCE;
    }

    /** Sources and origins in {@code known} as small ids (a batch run's, fixed at launch). */
    public static Coder withKnown(KnownStrings known) {
      return known.isEmpty() ? INSTANCE : new Coder(known);
    }

    /**
     * The coder {@code p}'s registry gives {@link RawRecord}: a batch run's, with its sources and
     * files ({@link KnownStrings#registerIn}), else {@link #of()}.
     */
    public static Coder in(Pipeline p) {
      return KnownStrings.registered(p, RawRecord.class, Coder.class, INSTANCE);
    }

    @Override
    public void encode(RawRecord r, OutputStream os) throws IOException {
      Frame f = Frame.writer();
      f.putVarInt(r.kind.ordinal());
      f.putKnown(r.source, known);
      f.putKnown(r.origin, known);
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
      int kind = f.getVarInt();
      String source = f.getKnown(known);
      String origin = f.getKnown(known);
      String locator = f.getString();
      String seriesId = f.getString();
      String ts = f.getString();
      String value = f.getString();
      String vintage = f.getString();
      String error = f.getString();
      f.end();
      if (kind < 0 || kind >= KINDS.length) {
        throw new IOException("unknown raw record kind " + kind);
      }
      return new RawRecord(
          KINDS[kind], source, origin, locator, seriesId, ts, value, vintage, error);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Coder && Objects.equals(known, ((Coder) o).known);
    }

    @Override
    public int hashCode() {
      return Objects.hashCode(known);
    }
  }
}

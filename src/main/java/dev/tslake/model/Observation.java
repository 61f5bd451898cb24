package dev.tslake.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A validated, cleaned observation: UTC timestamp, numeric value (null when the source says
 * missing).
 */
@DefaultCoder(Observation.Coder.class)
public final class Observation implements Serializable {
  /** Vintage of records whose source has no notion of release date: older than any real vintage. */
  public static final long UNKNOWN_VINTAGE = Long.MIN_VALUE;

  public final String source;
  public final String seriesId;

  /** Event time, epoch milliseconds UTC. */
  public final long ts;

  public final @Nullable Double value;

  /** Release time of this value, epoch milliseconds UTC, or {@link #UNKNOWN_VINTAGE}. */
  public final long vintage;

  public final String origin;
  public final String locator;

  /**
   * True for a row read back from the warehouse in this run (to decide against it and to recompute
   * the windows it lies in), not a record this run brought: it is never loaded again or counted.
   */
  public final boolean stored;

  public Observation(
      String source,
      String seriesId,
      long ts,
      @Nullable Double value,
      long vintage,
      String origin,
      String locator) {
    this(source, seriesId, ts, value, vintage, origin, locator, false);
  }

  public Observation(
      String source,
      String seriesId,
      long ts,
      @Nullable Double value,
      long vintage,
      String origin,
      String locator,
      boolean stored) {
    this.source = source;
    this.seriesId = seriesId;
    this.ts = ts;
    this.value = value;
    this.vintage = vintage;
    this.origin = origin;
    this.locator = locator;
    this.stored = stored;
  }

  /** This observation as read back from the warehouse. */
  public Observation asStored() {
    return stored
        ? this
        : new Observation(source, seriesId, ts, value, vintage, origin, locator, true);
  }

  /** This observation back in raw form (a row the warehouse refused, for the rejects). */
  public RawRecord asRawRecord() {
    return RawRecord.of(
        source,
        origin,
        locator,
        seriesId,
        tsInstant().toString(),
        value == null ? "" : Double.toString(value),
        hasVintage() ? Instant.ofEpochMilli(vintage).toString() : null);
  }

  public boolean hasVintage() {
    return vintage != UNKNOWN_VINTAGE;
  }

  public Instant tsInstant() {
    return Instant.ofEpochMilli(ts);
  }

  /** Key of the warehouse row: one observation per (source, series, ts). */
  public String key() {
    return source + '\u0000' + seriesId + '\u0000' + ts;
  }

  /**
   * Total order deciding which of two records for the same key wins: the later vintage, then (so
   * that reruns pick the same winner) the later origin, then the later position in it: locators
   * compare numbers as numbers, so {@code line 10} comes after {@code line 9} and a revision
   * further down a file wins.
   */
  public static int compareRecency(Observation a, Observation b) {
    int c = Long.compare(a.vintage, b.vintage);
    if (c != 0) {
      return c;
    }
    c = naturalCompare(a.origin, b.origin);
    if (c != 0) {
      return c;
    }
    return naturalCompare(a.locator, b.locator);
  }

  /** Compares strings with runs of ASCII digits taken as numbers. */
  static int naturalCompare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char x = a.charAt(i);
      char y = b.charAt(j);
      if (isDigit(x) && isDigit(y)) {
        int si = i;
        int sj = j;
        while (si < a.length() && a.charAt(si) == '0') {
          si++;
        }
        while (sj < b.length() && b.charAt(sj) == '0') {
          sj++;
        }
        int ei = si;
        int ej = sj;
        while (ei < a.length() && isDigit(a.charAt(ei))) {
          ei++;
        }
        while (ej < b.length() && isDigit(b.charAt(ej))) {
          ej++;
        }
        int c = Integer.compare(ei - si, ej - sj);
        if (c == 0) {
          c = a.substring(si, ei).compareTo(b.substring(sj, ej));
        }
        if (c == 0) {
          c = Integer.compare(ei - i, ej - j); // more leading zeros sorts later, stays total
        }
        if (c != 0) {
          return c;
        }
        i = ei;
        j = ej;
      } else {
        if (x != y) {
          return Character.compare(x, y);
        }
        i++;
        j++;
      }
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Observation)) {
      return false;
    }
    Observation x = (Observation) o;
    return source.equals(x.source)
        && seriesId.equals(x.seriesId)
        && ts == x.ts
        && Objects.equals(value, x.value)
        && vintage == x.vintage
        && origin.equals(x.origin)
        && locator.equals(x.locator)
        && stored == x.stored;
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, seriesId, ts, value, vintage, origin, locator, stored);
  }

  @Override
  public String toString() {
    return "Observation{"
        + source
        + "/"
        + seriesId
        + " @ "
        + Instant.ofEpochMilli(ts)
        + " = "
        + value
        + ", vintage="
        + (hasVintage() ? Instant.ofEpochMilli(vintage) : "unknown")
        + ", from "
        + origin
        + " "
        + locator
        + (stored ? ", stored" : "")
        + "}";
  }

  // Hand-written and framed: coders were a third of a 10M-row Flink profile, observations included.
  public static final class Coder extends CustomCoder<Observation> {
    private static final Coder INSTANCE = new Coder(null);

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
     * The coder {@code p}'s registry gives {@link Observation}: a batch run's, with its sources and
     * files ({@link KnownStrings#registerIn}), else {@link #of()}.
     */
    public static Coder in(Pipeline p) {
      return KnownStrings.registered(p, Observation.class, Coder.class, INSTANCE);
    }

    @Override
    public void encode(Observation o, OutputStream os) throws IOException {
      Frame f = Frame.writer();
      f.putKnown(o.source, known);
      f.putString(o.seriesId);
      f.putLong(o.ts);
      f.putNullableDouble(o.value);
      f.putLong(o.vintage);
      f.putKnown(o.origin, known);
      f.putString(o.locator);
      f.putBoolean(o.stored);
      f.writeTo(os);
    }

    @Override
    public Observation decode(InputStream is) throws IOException {
      Frame f = Frame.reader(is);
      String source = f.getKnown(known);
      String seriesId = f.getString();
      long ts = f.getLong();
      Double value = f.getNullableDouble();
      long vintage = f.getLong();
      String origin = f.getKnown(known);
      String locator = f.getString();
      boolean stored = f.getBoolean();
      f.end();
      return new Observation(source, seriesId, ts, value, vintage, origin, locator, stored);
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

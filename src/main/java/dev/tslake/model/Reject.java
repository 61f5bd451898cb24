package dev.tslake.model;

import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DelegateCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/** A dead letter: the original raw record, where it came from, and why it was not loaded. */
public final class Reject implements Serializable {
  /** The stage that rejected it: {@code parse}, {@code validate} or {@code warehouse}. */
  public final String stage;

  public final String reason;
  public final RawRecord record;

  public Reject(String stage, String reason, RawRecord record) {
    this.stage = stage;
    this.reason = reason;
    this.record = record;
  }

  public String source() {
    return record.source;
  }

  public static final String[] CSV_HEADER = {
    "source", "origin", "locator", "series_id", "ts", "value", "vintage", "stage", "reason"
  };

  public String[] toCsvRow() {
    String[] r = record.toCsvRow();
    return new String[] {r[0], r[1], r[2], r[3], r[4], r[5], r[6], stage, reason};
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Reject)) {
      return false;
    }
    Reject x = (Reject) o;
    return stage.equals(x.stage) && reason.equals(x.reason) && record.equals(x.record);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stage, reason, record);
  }

  @Override
  public String toString() {
    return "Reject{" + stage + ": " + reason + " <- " + record + "}";
  }

  private static final NullableCoder<String> TEXT = NullableCoder.of(StringUtf8Coder.of());

  private static final Coder<Reject> CODER =
      DelegateCoder.of(
          KvCoder.of(KvCoder.of(TEXT, TEXT), RawRecord.Coder.of()),
          r -> KV.of(KV.of(r.stage, r.reason), r.record),
          kv -> new Reject(kv.getKey().getKey(), kv.getKey().getValue(), kv.getValue()),
          TypeDescriptor.of(Reject.class));

  /**
   * Beam's coders composed (low volume, no hand-written coder): stage and reason as nullable UTF-8
   * strings, then the record with its own coder.
   */
  public static Coder<Reject> coder() {
    return CODER;
  }
}

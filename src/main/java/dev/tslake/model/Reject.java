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

/** A dead letter: the original raw record, where it came from, and why it was not loaded. */
@DefaultCoder(Reject.Coder.class)
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

  public static final class Coder extends CustomCoder<Reject> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Reject r, OutputStream os) throws IOException {
      DataOutputStream out = Codec.out(os);
      Codec.writeString(out, r.stage);
      Codec.writeString(out, r.reason);
      out.flush();
      RawRecord.Coder.of().encode(r.record, out);
    }

    @Override
    public Reject decode(InputStream is) throws IOException {
      DataInputStream in = Codec.in(is);
      String stage = Codec.readString(in);
      String reason = Codec.readString(in);
      return new Reject(stage, reason, RawRecord.Coder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}

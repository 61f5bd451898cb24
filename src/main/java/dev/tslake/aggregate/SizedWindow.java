package dev.tslake.aggregate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * A window {@code [start, end)} of one window size (its normalized text, such as {@code PT1H}): the
 * windows {@link SourceWindows} assigns. The size is part of the window, so the windows of two
 * sizes with the same bounds (say {@code P1D} and {@code PT24H}) stay apart.
 */
public final class SizedWindow extends BoundedWindow {
  private final String size;
  private final long start;
  private final long end;

  public SizedWindow(String size, long start, long end) {
    this.size = Objects.requireNonNull(size, "size");
    this.start = start;
    this.end = end;
  }

  public String size() {
    return size;
  }

  public long start() {
    return start;
  }

  public long end() {
    return end;
  }

  /** The last instant in the window, as {@code IntervalWindow}'s. */
  @Override
  public Instant maxTimestamp() {
    return new Instant(end - 1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SizedWindow
        && ((SizedWindow) o).start == start
        && ((SizedWindow) o).end == end
        && ((SizedWindow) o).size.equals(size);
  }

  @Override
  public int hashCode() {
    return Objects.hash(size, start, end);
  }

  @Override
  public String toString() {
    return size + "[" + new Instant(start) + ".." + new Instant(end) + ")";
  }

  public static final Coder<SizedWindow> CODER = new SizedWindowCoder();

  /** Size as UTF-8, then start and end in epoch millis. */
  static final class SizedWindowCoder extends CustomCoder<SizedWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(SizedWindow w, OutputStream os) throws IOException {
      StringUtf8Coder.of().encode(w.size, os);
      DataOutputStream out = new DataOutputStream(os);
      out.writeLong(w.start);
      out.writeLong(w.end);
      out.flush();
    }

    @Override
    public SizedWindow decode(InputStream is) throws IOException {
      String size = StringUtf8Coder.of().decode(is);
      DataInputStream in = new DataInputStream(is);
      long start = in.readLong();
      return new SizedWindow(size, start, in.readLong());
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}

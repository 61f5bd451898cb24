package dev.tslake.model;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.beam.sdk.util.VarInt;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A record encoded as one length-prefixed frame: fields go into a byte array and reach the stream
 * in a single write, and are read back from one array filled by one read loop. Runners hand coders
 * streams whose every call is a chain of virtual calls (Flink's view wrappers), so field-by-field
 * writes through a {@code DataOutputStream} cost more than the fields themselves on the hot path
 * (raw records and observations cross the runner's channels several times each).
 */
final class Frame {
  private byte[] buf;
  private int pos;
  private int limit;

  private Frame(byte[] buf) {
    this.buf = buf;
  }

  /** Room for the length before a record's fields: a 32-bit varint takes at most 5 bytes. */
  private static final int HEAD = 5;

  /** Starts encoding a record; its fields go after {@link #HEAD} bytes kept for the length. */
  static Frame writer() {
    Frame f = new Frame(new byte[128]);
    f.pos = HEAD;
    return f;
  }

  /**
   * Writes the record: varint length, then the bytes, in one call (the length goes into the room
   * kept before the fields: a second call per record for a byte or two of length took about as long
   * as the record's own bytes in a JFR profile of a 1M-row Flink run).
   */
  void writeTo(OutputStream os) throws IOException {
    int end = pos;
    int len = end - HEAD;
    int at = HEAD - VarInt.getLength(len);
    pos = at;
    putVarInt(len); // ends at HEAD: the room is never outgrown (ensure(5) holds at pos < HEAD)
    pos = end;
    os.write(buf, at, end - at);
  }

  /** Reads one record's frame from the stream; fields are then read in the order written. */
  static Frame reader(InputStream is) throws IOException {
    int len = 0;
    for (int shift = 0; ; shift += 7) {
      if (shift >= 32) {
        throw new IOException("malformed frame length");
      }
      int b = is.read();
      if (b < 0) {
        throw new EOFException("end of stream before a frame");
      }
      len |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    Frame f = new Frame(new byte[len]);
    int read = 0;
    while (read < len) {
      int r = is.read(f.buf, read, len - read);
      if (r < 0) {
        throw new EOFException("frame cut short: " + read + " of " + len + " bytes");
      }
      read += r;
    }
    f.limit = len;
    return f;
  }

  private void ensure(int extra) {
    if (pos + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(pos + extra, buf.length * 2));
    }
  }

  void putVarInt(int v) {
    ensure(5);
    while ((v & ~0x7F) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
  }

  void putLong(long v) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buf[pos++] = (byte) (v >>> shift);
    }
  }

  void putBoolean(boolean b) {
    ensure(1);
    buf[pos++] = (byte) (b ? 1 : 0);
  }

  boolean getBoolean() throws IOException {
    need(1);
    return buf[pos++] != 0;
  }

  void putNullableDouble(@Nullable Double d) {
    ensure(9);
    buf[pos++] = (byte) (d == null ? 0 : 1);
    if (d != null) {
      putLong(Double.doubleToRawLongBits(d));
    }
  }

  /** Null as 0, else UTF-8 length + 1, then the bytes. */
  void putString(@Nullable String s) {
    if (s == null) {
      putVarInt(0);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8); // a copy of the array for ASCII text
    putVarInt(bytes.length + 1);
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, pos, bytes.length);
    pos += bytes.length;
  }

  /**
   * A string of a coder with a dictionary: null as 0, a known string as its id * 2 + 1, anything
   * else as (UTF-8 length + 1) * 2, then the bytes. Without a dictionary, {@link #putString}'s
   * format (a streaming run's coders: their state may outlive the graph).
   */
  void putKnown(@Nullable String s, @Nullable KnownStrings known) {
    if (known == null) {
      putString(s);
      return;
    }
    if (s == null) {
      putVarInt(0);
      return;
    }
    int id = known.idOf(s);
    if (id >= 0) {
      putVarInt((id << 1) | 1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    putVarInt((bytes.length + 1) << 1);
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, pos, bytes.length);
    pos += bytes.length;
  }

  /**
   * Reads what {@link #putKnown} wrote with the same dictionary (or none); a known string is the
   * dictionary's own instance.
   */
  @Nullable String getKnown(@Nullable KnownStrings known) throws IOException {
    if (known == null) {
      return getString();
    }
    int v = getVarInt();
    if (v == 0) {
      return null;
    }
    if ((v & 1) != 0) {
      return known.get(v >>> 1);
    }
    int n = (v >>> 1) - 1;
    need(n);
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  private void need(int n) throws IOException {
    if (pos + n > limit) {
      throw new IOException(
          "frame too short: needs " + n + " more bytes at " + pos + " of " + limit);
    }
  }

  int getVarInt() throws IOException {
    int result = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      need(1);
      int b = buf[pos++] & 0xFF;
      result |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IOException("malformed varint");
  }

  long getLong() throws IOException {
    need(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (buf[pos++] & 0xFF);
    }
    return v;
  }

  @Nullable Double getNullableDouble() throws IOException {
    need(1);
    return buf[pos++] == 0 ? null : Double.longBitsToDouble(getLong());
  }

  @Nullable String getString() throws IOException {
    int len = getVarInt();
    if (len == 0) {
      return null;
    }
    int n = len - 1;
    need(n);
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  /** Fails if a decoder left bytes unread: the coder and the data disagree. */
  void end() throws IOException {
    if (pos != limit) {
      throw new IOException("frame has " + (limit - pos) + " unread bytes");
    }
  }
}

package dev.tslake.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Small helpers for the hand-written coders: nullable strings and doubles, written compactly. */
final class Codec {
  private Codec() {}

  static DataOutputStream out(OutputStream os) {
    return os instanceof DataOutputStream ? (DataOutputStream) os : new DataOutputStream(os);
  }

  static DataInputStream in(InputStream is) {
    return is instanceof DataInputStream ? (DataInputStream) is : new DataInputStream(is);
  }

  static void writeString(DataOutputStream out, @Nullable String s) throws IOException {
    if (s == null) {
      writeVarInt(out, 0);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    writeVarInt(out, bytes.length + 1);
    out.write(bytes);
  }

  static @Nullable String readString(DataInputStream in) throws IOException {
    int len = readVarInt(in);
    if (len == 0) {
      return null;
    }
    byte[] bytes = new byte[len - 1];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static void writeNullableDouble(DataOutputStream out, @Nullable Double d) throws IOException {
    out.writeBoolean(d != null);
    if (d != null) {
      out.writeDouble(d);
    }
  }

  static @Nullable Double readNullableDouble(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readDouble() : null;
  }

  static void writeVarInt(DataOutputStream out, int v) throws IOException {
    while ((v & ~0x7F) != 0) {
      out.writeByte((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.writeByte(v);
  }

  static int readVarInt(DataInputStream in) throws IOException {
    int result = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      int b = in.readUnsignedByte();
      result |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IOException("malformed varint");
  }
}

package dev.tslake.sources;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import org.apache.beam.sdk.io.FileSystems;

/**
 * The lines a byte range [start, end) of a file owns, as bytes: the lines whose first byte lies in
 * the range (TextIO's convention). A range that starts inside a line (the byte before {@code start}
 * is not {@code '\n'}) leaves that line to the range before; the last line owned is read to its
 * {@code '\n'} (or the end of the file), past {@code end} if need be. So the ranges of a file, side
 * by side, give every byte of it once. Lines are cut at {@code '\n'} only, which never occurs
 * inside a UTF-8 multi-byte character ({@code \r\n} stays within one line).
 */
final class LineRange extends InputStream {
  private final InputStream in;
  private final long end;
  private final byte[] buf = new byte[1 << 16];
  private int bufPos;
  private int bufLen;

  /** File offset of the next byte to deliver. */
  private long pos;

  private boolean atLineStart = true;
  private boolean done;

  private LineRange(InputStream in, long start, long end) throws IOException {
    this.in = in;
    this.end = end;
    this.pos = start;
    if (start > 0) {
      this.pos = start - 1;
      int c = readRaw();
      if (c < 0) {
        done = true;
      } else if (c != '\n') {
        // skip the rest of the line started before the range
        while ((c = readRaw()) >= 0 && c != '\n') {
          // skip
        }
        if (c < 0) {
          done = true;
        }
      }
    }
  }

  /** The lines of {@code [start, end)} of a Beam resource (local path, {@code s3://}...). */
  static LineRange open(String path, long start, long end) throws IOException {
    long from = Math.max(0, start - 1);
    ReadableByteChannel channel = FileSystems.open(FileSystems.matchNewResource(path, false));
    try {
      InputStream in;
      if (from > 0 && channel instanceof SeekableByteChannel) {
        ((SeekableByteChannel) channel).position(from);
        in = Channels.newInputStream(channel);
      } else {
        in = Channels.newInputStream(channel);
        try {
          in.skipNBytes(from);
        } catch (EOFException e) {
          // shorter than expected (changed since listed): the range owns nothing
        }
      }
      return new LineRange(in, start, end);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** The lines of {@code [start, end)} of a stream positioned at file offset 0. */
  static LineRange of(InputStream fileFromStart, long start, long end) throws IOException {
    fileFromStart.skipNBytes(Math.max(0, start - 1));
    return new LineRange(fileFromStart, start, end);
  }

  private int readRaw() throws IOException {
    if (bufPos == bufLen && !fill()) {
      return -1;
    }
    pos++;
    return buf[bufPos++] & 0xFF;
  }

  private boolean fill() throws IOException {
    int n;
    do {
      n = in.read(buf, 0, buf.length);
    } while (n == 0);
    if (n < 0) {
      return false;
    }
    bufPos = 0;
    bufLen = n;
    return true;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (done || (atLineStart && pos >= end)) {
      done = true;
      return -1;
    }
    if (bufPos == bufLen && !fill()) {
      done = true;
      return -1;
    }
    int n = 0;
    while (n < len && bufPos < bufLen) {
      byte c = buf[bufPos++];
      b[off + n++] = c;
      pos++;
      atLineStart = c == '\n';
      if (atLineStart && pos >= end) {
        done = true;
        break;
      }
    }
    return n;
  }

  /**
   * Line breaks in the rest of this range counted as {@link CsvRows} numbers lines: each {@code
   * \n}, {@code \r\n} and lone {@code \r} is one. A last line without a break is not counted.
   */
  long countLineBreaks() throws IOException {
    byte[] b = new byte[1 << 16];
    long count = 0;
    boolean afterCr = false;
    int n;
    while ((n = read(b, 0, b.length)) >= 0) {
      for (int i = 0; i < n; i++) {
        byte c = b[i];
        if (c == '\r') {
          count++;
        } else if (c == '\n' && !afterCr) {
          count++;
        }
        afterCr = c == '\r';
      }
    }
    return count;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}

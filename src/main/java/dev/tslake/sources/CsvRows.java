package dev.tslake.sources;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Streams the rows of a CSV payload with the 1-based physical line number each row starts on.
 *
 * <p>Line numbers count every line break of the file ({@code \n}, {@code \r\n} or a lone {@code
 * \r}), the skipped banner lines and blank lines included, so {@code line N} in a locator is what
 * an editor shows. Commons CSV is run with {@code ignoreEmptyLines(false)} on purpose: the parser's
 * line counter is read before each record, and a record can only be said to start on the next line
 * if the parser does not swallow blank lines on the way; blank rows are skipped here instead.
 * Nothing is buffered beyond the current row.
 */
final class CsvRows {
  /** A non-blank row. */
  static final class Row {
    final long line;
    final CSVRecord record;
    private final CSVFormat format;

    Row(long line, CSVRecord record, CSVFormat format) {
      this.line = line;
      this.record = record;
      this.format = format;
    }

    int size() {
      return record.size();
    }

    String get(int i) {
      return record.get(i);
    }

    List<String> values() {
      return record.toList();
    }

    /** The row as CSV text again (quoted where needed), for the excerpt of a rejected row. */
    String text() {
      char d = format.getDelimiterString().charAt(0);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < record.size(); i++) {
        if (i > 0) {
          sb.append(d);
        }
        String v = record.get(i);
        if (v.indexOf(d) >= 0
            || v.indexOf('"') >= 0
            || v.indexOf('\n') >= 0
            || v.indexOf('\r') >= 0) {
          sb.append('"').append(v.replace("\"", "\"\"")).append('"');
        } else {
          sb.append(v);
        }
      }
      return sb.toString();
    }
  }

  /** The payload's CSV syntax is broken (e.g. an unterminated quote); the rest is unreadable. */
  static final class MalformedCsv extends Exception {
    final long line;

    MalformedCsv(long line, String message) {
      super(message);
      this.line = line;
    }
  }

  private final CSVFormat format;
  private final long lineOffset;
  private final @Nullable CSVParser parser;
  private final @Nullable Iterator<CSVRecord> it;
  private final long linesSkipped;

  /**
   * @param skipLines physical lines to drop before the first row (e.g. a banner)
   */
  CsvRows(Reader payload, char delimiter, int skipLines) throws IOException {
    this(payload, delimiter, skipLines, 0, true);
  }

  /**
   * Rows of a payload that is the tail of a file, from its line {@code lineBase + 1} on (a line
   * range, see {@link LineRange}): line numbers are the file's.
   *
   * @param stripBom whether a byte order mark at the start is dropped (only at a file's start)
   */
  CsvRows(Reader payload, char delimiter, long skipLines, long lineBase, boolean stripBom)
      throws IOException {
    this.format =
        CSVFormat.DEFAULT
            .builder()
            .setDelimiter(delimiter)
            .setIgnoreEmptyLines(false)
            .setIgnoreSurroundingSpaces(false)
            .setTrim(false)
            .build();
    BufferedReader in =
        payload instanceof BufferedReader
            ? (BufferedReader) payload
            : new BufferedReader(payload, 1 << 16);
    if (stripBom) {
      in.mark(1);
      if (in.read() != '\uFEFF') {
        in.reset();
      }
    }
    long skipped = 0;
    boolean eof = false;
    // readLine ends a line at \n, \r or \r\n, the same breaks the CSV parser counts.
    while (skipped < skipLines && !eof) {
      if (in.readLine() == null) {
        eof = true;
      } else {
        skipped++;
      }
    }
    this.linesSkipped = skipped;
    this.lineOffset = lineBase + skipped;
    if (eof) {
      this.parser = null;
      this.it = null;
    } else {
      this.parser = format.parse(in);
      this.it = parser.iterator();
    }
  }

  /** Lines dropped by skipLines (fewer than asked when the file is shorter). */
  long linesSkipped() {
    return linesSkipped;
  }

  /** Physical lines read so far (after the last row returned). */
  long linesRead() {
    return parser == null ? lineOffset : lineOffset + parser.getCurrentLineNumber();
  }

  /** The next non-blank row, or null at the end. */
  @Nullable Row next() throws IOException, MalformedCsv {
    if (it == null || parser == null) {
      return null;
    }
    while (true) {
      long start = lineOffset + parser.getCurrentLineNumber() + 1;
      CSVRecord rec;
      try {
        if (!it.hasNext()) {
          return null;
        }
        rec = it.next();
      } catch (UncheckedIOException e) {
        IOException cause = e.getCause();
        if (cause instanceof CSVException
            || (cause != null
                && String.valueOf(cause.getMessage()).contains("invalid parse sequence"))) {
          throw new MalformedCsv(start, cause.getMessage());
        }
        throw cause != null ? cause : new IOException(e);
      }
      if (isBlank(rec)) {
        continue;
      }
      return new Row(start, rec, format);
    }
  }

  private static boolean isBlank(CSVRecord rec) {
    return rec.size() == 1 && rec.get(0).trim().isEmpty();
  }
}

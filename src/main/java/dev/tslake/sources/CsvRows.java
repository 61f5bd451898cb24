package dev.tslake.sources;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Streams the rows of a CSV payload, one row per physical line, with the 1-based line number.
 *
 * <p>Line numbers count every line break of the file ({@code \n}, {@code \r\n} or a lone {@code
 * \r}), the skipped banner lines and blank lines included, so {@code line N} in a locator is what
 * an editor shows. The contract is Spark's {@code multiLine=false} (the one line ranges, {@link
 * LineRange}, rely on): no line breaks inside quoted fields. A line that is not valid CSV on its
 * own (a stray or unclosed quote, text after a closing quote) is reported as {@link MalformedCsv}
 * for that line alone; the next call reads on from the following line, so bad input costs its own
 * row, never the rows after it. Fields follow RFC 4180 as Commons CSV's {@code DEFAULT} format
 * reads them: a field starting with a quote is quoted ({@code ""} inside is one quote, blanks
 * between the closing quote and the delimiter are dropped), a quote inside an unquoted field is an
 * ordinary character. Blank lines are skipped. Nothing is buffered beyond the current line.
 */
final class CsvRows {
  /** A non-blank row. */
  static final class Row {
    final long line;
    private final List<String> fields;
    private final char delimiter;

    Row(long line, List<String> fields, char delimiter) {
      this.line = line;
      this.fields = fields;
      this.delimiter = delimiter;
    }

    int size() {
      return fields.size();
    }

    String get(int i) {
      return fields.get(i);
    }

    List<String> values() {
      return Collections.unmodifiableList(fields);
    }

    /** The row as CSV text again (quoted where needed), for the excerpt of a rejected row. */
    String text() {
      char d = delimiter;
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          sb.append(d);
        }
        String v = fields.get(i);
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

  /** One line is not valid CSV (e.g. an unclosed quote); the lines after it can still be read. */
  static final class MalformedCsv extends Exception {
    final long line;

    /** The line as read, for the excerpt of the rejected record. */
    final String text;

    MalformedCsv(long line, String message, String text) {
      super(message);
      this.line = line;
      this.text = text;
    }
  }

  private final char delimiter;
  private final BufferedReader in;
  private final long lineOffset;
  private final long linesSkipped;
  private long linesRead;

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
    this.delimiter = delimiter;
    this.in =
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
    // readLine ends a line at \n, \r or \r\n, the breaks LineRange counts.
    while (skipped < skipLines && in.readLine() != null) {
      skipped++;
    }
    this.linesSkipped = skipped;
    this.lineOffset = lineBase + skipped;
  }

  /** Lines dropped by skipLines (fewer than asked when the file is shorter). */
  long linesSkipped() {
    return linesSkipped;
  }

  /** Physical lines read so far (after the last row returned). */
  long linesRead() {
    return lineOffset + linesRead;
  }

  /**
   * The next non-blank row, or null at the end.
   *
   * @throws MalformedCsv for a line that is not valid CSV; the next call goes on after it
   */
  @Nullable Row next() throws IOException, MalformedCsv {
    while (true) {
      String text = in.readLine();
      if (text == null) {
        return null;
      }
      linesRead++;
      long line = lineOffset + linesRead;
      List<String> fields = split(text, delimiter, line);
      if (fields.size() == 1 && fields.get(0).trim().isEmpty()) {
        continue; // a blank line (or one empty quoted field)
      }
      return new Row(line, fields, delimiter);
    }
  }

  /** The fields of one line; see the class comment for the rules. */
  static List<String> split(String text, char d, long line) throws MalformedCsv {
    List<String> fields = new ArrayList<>();
    int n = text.length();
    int i = 0;
    while (true) {
      if (i < n && text.charAt(i) == '"') {
        int open = i;
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) {
            throw new MalformedCsv(
                line,
                "the quoted field starting at column "
                    + (open + 1)
                    + " has no closing quote on this line (a field cannot span lines)",
                text);
          }
          char c = text.charAt(i);
          if (c == '"') {
            if (i + 1 < n && text.charAt(i + 1) == '"') {
              sb.append('"');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          sb.append(c);
          i++;
        }
        while (i < n && text.charAt(i) != d && Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        fields.add(sb.toString());
        if (i >= n) {
          return fields;
        }
        if (text.charAt(i) != d) {
          throw new MalformedCsv(
              line,
              "unexpected '"
                  + JsonPayload.printable(text.charAt(i))
                  + "' at column "
                  + (i + 1)
                  + " after the closing quote of the field starting at column "
                  + (open + 1)
                  + " (a quote inside a quoted field is written twice)",
              text);
        }
        i++;
      } else {
        int end = text.indexOf(d, i);
        if (end < 0) {
          fields.add(text.substring(i));
          return fields;
        }
        fields.add(text.substring(i, end));
        i = end + 1;
      }
    }
  }
}

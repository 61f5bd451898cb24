package dev.tslake.sources;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.PushbackReader;
import java.io.Reader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads a whole JSON payload into a small ordered tree, or says precisely why it cannot.
 *
 * <p>Unlike Jackson's {@code JsonNode} tree, this one keeps every member of an object in order,
 * duplicate keys included (an Alpha Vantage body with a date twice must not silently lose one), and
 * keeps the exact text of numbers ({@code 51165.4784} stays {@code 51165.4784}, never a reformatted
 * double). The payload is read completely before anything is returned, so a truncated body yields
 * no partial output: JSON APIs answer all or nothing.
 */
final class JsonPayload {
  /** Characters of the payload kept for the excerpt of an unparseable record. */
  static final int EXCERPT_CHARS = 4097;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .build();

  private JsonPayload() {}

  /** A JSON value. */
  abstract static class Node {
    /** Compact JSON text of this value (numbers and strings as written). */
    final String json() {
      StringWriter w = new StringWriter();
      try (JsonGenerator g = FACTORY.createGenerator(w)) {
        write(g);
      } catch (IOException e) {
        throw new IllegalStateException(e); // a StringWriter does not fail
      }
      return w.toString();
    }

    abstract void write(JsonGenerator g) throws IOException;

    /** What a record should carry as raw text: a string's content, a number's text, else JSON. */
    @Nullable String rawText() {
      return json();
    }

    abstract String kind();
  }

  /** An object; members in document order, duplicates kept. */
  static final class Obj extends Node {
    final List<String> keys = new ArrayList<>();
    final List<Node> values = new ArrayList<>();

    /** First member with this key, or null. */
    @Nullable Node get(String key) {
      int i = keys.indexOf(key);
      return i < 0 ? null : values.get(i);
    }

    boolean has(String key) {
      return keys.contains(key);
    }

    /** {@link Node#rawText()} of the first member with this key, or null when absent. */
    @Nullable String text(String key) {
      Node n = get(key);
      return n == null ? null : n.rawText();
    }

    int size() {
      return keys.size();
    }

    @Override
    void write(JsonGenerator g) throws IOException {
      g.writeStartObject();
      for (int i = 0; i < keys.size(); i++) {
        g.writeFieldName(keys.get(i));
        values.get(i).write(g);
      }
      g.writeEndObject();
    }

    @Override
    String kind() {
      return "an object";
    }
  }

  static final class Arr extends Node {
    final List<Node> items = new ArrayList<>();

    @Override
    void write(JsonGenerator g) throws IOException {
      g.writeStartArray();
      for (Node n : items) {
        n.write(g);
      }
      g.writeEndArray();
    }

    @Override
    String kind() {
      return "an array";
    }
  }

  /** A string, number, boolean or null; {@link #text} is the string's content or the literal. */
  static final class Scalar extends Node {
    final JsonToken token;
    final String text;

    Scalar(JsonToken token, String text) {
      this.token = token;
      this.text = text;
    }

    boolean isNull() {
      return token == JsonToken.VALUE_NULL;
    }

    @Override
    @Nullable String rawText() {
      return isNull() ? null : text;
    }

    @Override
    void write(JsonGenerator g) throws IOException {
      switch (token) {
        case VALUE_STRING:
          g.writeString(text);
          break;
        case VALUE_NUMBER_INT:
        case VALUE_NUMBER_FLOAT:
          g.writeNumber(text);
          break;
        default:
          g.writeRawValue(text);
      }
    }

    @Override
    String kind() {
      switch (token) {
        case VALUE_STRING:
          return "a string";
        case VALUE_NUMBER_INT:
        case VALUE_NUMBER_FLOAT:
          return "a number";
        case VALUE_NULL:
          return "null";
        default:
          return "a boolean";
      }
    }
  }

  /** Either a parsed root, or the reason the payload is not usable JSON plus its head. */
  static final class Result {
    final @Nullable Node root;
    final @Nullable String error;

    /** Start of the payload as read (up to {@link #EXCERPT_CHARS}), for unparseable records. */
    final String excerpt;

    private Result(@Nullable Node root, @Nullable String error, String excerpt) {
      this.root = root;
      this.error = error;
      this.excerpt = excerpt;
    }
  }

  /**
   * Reads the whole payload. Bad data (empty, not JSON, malformed, truncated, trailing garbage) is
   * a {@link Result} with an error; only a failing reader throws.
   */
  static Result read(Reader payload) throws IOException {
    HeadCapture head = new HeadCapture(payload, EXCERPT_CHARS);
    PushbackReader in = new PushbackReader(head, 1);
    int c;
    do {
      c = in.read();
    } while (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\uFEFF');
    if (c < 0) {
      return new Result(
          null,
          head.length() == 0 ? "empty payload" : "empty payload (only whitespace)",
          head.text());
    }
    if (c == '<') {
      return new Result(null, "not JSON: starts with '<' (an HTML or XML page?)", drain(head, in));
    }
    if ("{[\"-0123456789tfn".indexOf(c) < 0) {
      return new Result(null, "not JSON: starts with '" + printable(c) + "'", drain(head, in));
    }
    in.unread(c);
    try (JsonParser p = FACTORY.createParser(in)) {
      Node root = readValue(p, p.nextToken());
      JsonToken extra;
      try {
        extra = p.nextToken();
      } catch (JsonProcessingException e) {
        extra = JsonToken.NOT_AVAILABLE;
      }
      if (extra != null) {
        JsonLocation loc = p.currentTokenLocation();
        return new Result(
            null,
            "malformed JSON at line "
                + loc.getLineNr()
                + " column "
                + loc.getColumnNr()
                + ": unexpected content after the end of the top-level value"
                + " (several JSON documents concatenated?)",
            drain(head, in));
      }
      return new Result(root, null, head.text());
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String msg = cleanMessage(e.getOriginalMessage());
      // Jackson locates an unexpected character just after it; name the character's own column.
      int column = loc == null ? -1 : loc.getColumnNr();
      if (msg.startsWith("Unexpected character") && column > 1) {
        column--;
      }
      String where = loc == null ? "" : " at line " + loc.getLineNr() + " column " + column;
      String what = msg.startsWith("Unexpected end-of-input") ? "truncated JSON" : "malformed JSON";
      return new Result(null, what + where + ": " + msg, drain(head, in));
    }
  }

  private static Node readValue(JsonParser p, @Nullable JsonToken t) throws IOException {
    if (t == null) {
      throw new IllegalStateException("no token"); // read() checked the payload is not empty
    }
    switch (t) {
      case START_OBJECT:
        {
          Obj o = new Obj();
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            o.keys.add(p.currentName());
            o.values.add(readValue(p, p.nextToken()));
          }
          return o;
        }
      case START_ARRAY:
        {
          Arr a = new Arr();
          JsonToken v;
          while ((v = p.nextToken()) != JsonToken.END_ARRAY) {
            a.items.add(readValue(p, v));
          }
          return a;
        }
      default:
        return new Scalar(t, p.getText());
    }
  }

  /** Jackson messages name the (redacted) source and the whole location; keep what helps. */
  private static String cleanMessage(@Nullable String msg) {
    if (msg == null) {
      return "unreadable JSON";
    }
    String m = msg.replaceAll("\\[Source: [^;\\]]*; ", "[").replace("\n", " ").trim();
    return m.length() <= 300 ? m : m.substring(0, 300) + "...";
  }

  /** Reads on so the excerpt holds the whole head even when parsing stopped early. */
  private static String drain(HeadCapture head, Reader in) throws IOException {
    char[] buf = new char[1024];
    while (head.length() < EXCERPT_CHARS && in.read(buf) >= 0) {
      // keep filling the head
    }
    return head.text();
  }

  /** The text with control characters escaped and cut to 80 characters, for messages. */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 80; i++) {
      sb.append(printable(s.charAt(i)));
    }
    return s.length() <= 80 ? sb.toString() : sb + "...";
  }

  static String printable(int c) {
    return c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : String.valueOf((char) c);
  }

  /** Passes characters through, keeping the first {@code limit} of them. */
  private static final class HeadCapture extends Reader {
    private final Reader in;
    private final StringBuilder head = new StringBuilder();
    private final int limit;

    HeadCapture(Reader in, int limit) {
      this.in = in;
      this.limit = limit;
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
      int n = in.read(cbuf, off, len);
      if (n > 0 && head.length() < limit) {
        head.append(cbuf, off, Math.min(n, limit - head.length()));
      }
      return n;
    }

    int length() {
      return head.length();
    }

    String text() {
      return head.toString();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}

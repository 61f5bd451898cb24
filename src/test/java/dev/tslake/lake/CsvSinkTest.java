package dev.tslake.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

/** The lake's CSV writer prints exactly what Commons CSV's RFC 4180 printer prints. */
class CsvSinkTest {
  private static final String ALPHABET = "ab,\"\r\n #!\t€é0 '\u0000\u001f$";

  private static String viaCommons(String[] header, List<String[]> rows) throws Exception {
    StringWriter out = new StringWriter();
    CSVPrinter p = new CSVPrinter(out, CSVFormat.RFC4180.builder().setHeader(header).build());
    for (String[] row : rows) {
      p.printRecord((Object[]) row);
    }
    p.flush();
    return out.toString();
  }

  /** A row of 1-5 fields, each null one time in six, else up to {@code maxLen - 1} of chars. */
  private static String[] randomRow(Random r, String chars, int maxLen) {
    String[] row = new String[1 + r.nextInt(5)];
    for (int j = 0; j < row.length; j++) {
      if (r.nextInt(6) == 0) {
        continue; // null
      }
      StringBuilder b = new StringBuilder();
      int len = r.nextInt(maxLen);
      for (int q = 0; q < len; q++) {
        b.append(chars.charAt(r.nextInt(chars.length())));
      }
      row[j] = b.toString();
    }
    return row;
  }

  @Test
  void writesTheSameBytesAsCommonsCsvForRandomFields() throws Exception {
    Random r = new Random(5);
    for (int round = 0; round < 200; round++) {
      List<String[]> rows = new ArrayList<>();
      for (int k = 0; k < 500; k++) {
        rows.add(randomRow(r, ALPHABET, 6));
      }
      String[] header = {"source", " spaced", "#hash", "quote\"d"};
      StringBuilder mine = new StringBuilder();
      CsvSink.appendRecord(mine, header);
      for (String[] row : rows) {
        CsvSink.appendRecord(mine, row);
      }
      assertEquals(viaCommons(header, rows), mine.toString());
    }
  }

  @Test
  void aSinkWritesTheSameBytesAsCommonsCsvAcrossItsBuffer() throws Exception {
    Random r = new Random(9);
    String wide = ALPHABET + "éü€東"; // (a lone half of a surrogate pair is not text)
    List<String[]> rows = new ArrayList<>();
    for (int k = 0; k < 20_000; k++) {
      rows.add(randomRow(r, r.nextInt(10) == 0 ? wide : ALPHABET, 12));
    }
    rows.add(new String[] {"x".repeat(70_000), "é".repeat(40_000)});
    rows.add(new String[] {"after", "the long one", "😀 four bytes"});
    String[] header = {"source", "value"};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CsvSink<String[]> sink = new CsvSink<>(header, row -> row);
    sink.open(Channels.newChannel(bytes));
    for (String[] row : rows) {
      sink.write(row);
    }
    sink.flush();
    assertTrue(bytes.size() > 3 * (1 << 16), "only " + bytes.size() + " bytes");
    assertEquals(viaCommons(header, rows), bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aSinkWritesItsHeaderAndRowsThatCommonsCsvReadsBack() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CsvSink<String[]> sink = new CsvSink<>(new String[] {"a", "b", "c"}, row -> row);
    sink.open(Channels.newChannel(bytes));
    List<String[]> rows =
        List.of(
            new String[] {"", "x,y", "say \"hi\""},
            new String[] {"two\nlines", null, " lead"},
            new String[] {"ünïcødé €", "#", "trail "});
    for (String[] row : rows) {
      sink.write(row);
    }
    sink.flush();
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(viaCommons(new String[] {"a", "b", "c"}, rows), text);
    List<CSVRecord> back =
        CSVParser.parse(text, CSVFormat.RFC4180.builder().setHeader().build()).getRecords();
    assertEquals(3, back.size());
    assertEquals("x,y", back.get(0).get("b"));
    assertEquals("say \"hi\"", back.get(0).get("c"));
    assertEquals("two\nlines", back.get(1).get("a"));
    assertEquals("", back.get(1).get("b"));
    assertEquals(" lead", back.get(1).get("c"));
    assertEquals("trail ", back.get(2).get("c"));
  }
}

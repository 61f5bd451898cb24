package dev.tslake.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/** The framed coders of the hot path: round trips in every context, and loud on bad bytes. */
class FramedCodersTest {
  static final List<Observation> OBSERVATIONS =
      List.of(
          new Observation(
              "bench",
              "S00001",
              1_704_067_200_000L,
              766.7085,
              Observation.UNKNOWN_VINTAGE,
              "/data/observations.csv",
              "line 2"),
          new Observation(
              "fred",
              "DGS10",
              -315_619_200_000L,
              null,
              1_700_000_000_000L,
              "https://api.stlouisfed.org/fred/series/observations?series_id=DGS10&api_key=***",
              "observations[0]"),
          new Observation("crypto", "BTC-€ ünïcode 比特币", 0L, -0.0, Long.MAX_VALUE, "", ""),
          new Observation("s", "x".repeat(5000), Long.MIN_VALUE + 1, Double.NaN, 1L, "o", "l"),
          // read back from the warehouse: the flag survives the coder
          new Observation("fred", "PAYEMS", 0L, 155.0, 2L, "run-1.json", "o[0]", true));

  static final List<RawRecord> RAWS =
      List.of(
          RawRecord.of(
              "bench",
              "/data/observations.csv",
              "line 2",
              "S00001",
              "2024-01-01T00:00:00Z",
              "766.7085",
              null),
          RawRecord.unparseable(
              "av",
              "https://www.alphavantage.co/query?apikey=***",
              "body",
              null,
              "Alpha Vantage says: Thank you for using Alpha Vantage!",
              "{\"Note\": \"…\"}"),
          new RawRecord("s", "o", "l", "", "", "", "", ""));

  @Test
  void observationsRoundTrip() throws Exception {
    for (Observation o : OBSERVATIONS) {
      CoderProperties.coderDecodeEncodeEqual(Observation.Coder.of(), o);
    }
    // framed records back to back, inside other coders
    CoderProperties.coderDecodeEncodeEqual(ListCoder.of(Observation.Coder.of()), OBSERVATIONS);
    CoderProperties.coderDecodeEncodeEqual(
        KvCoder.of(Observation.Coder.of(), StringUtf8Coder.of()),
        KV.of(OBSERVATIONS.get(1), "after"));
  }

  @Test
  void rawRecordsRoundTrip() throws Exception {
    for (RawRecord r : RAWS) {
      CoderProperties.coderDecodeEncodeEqual(RawRecord.Coder.of(), r);
    }
    CoderProperties.coderDecodeEncodeEqual(ListCoder.of(RawRecord.Coder.of()), RAWS);
  }

  /**
   * A frame's length is a varint written in front of its bytes: records whose encoding crosses the
   * one-, two- and three-byte lengths, back to back in one stream, each read back whole.
   */
  @Test
  void framesOfEveryLengthClassReadBackToBack() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Observation> written = new java.util.ArrayList<>();
    for (int chars : new int[] {0, 90, 100, 110, 120, 16_300, 16_370, 16_400, 70_000, 2_100_000}) {
      Observation o = new Observation("s", "x".repeat(chars), 1L, 2.0, 3L, "o", "l");
      int before = out.size();
      Observation.Coder.of().encode(o, out);
      byte[] all = out.toByteArray();
      // the length prefix says exactly how many bytes follow it
      int len = 0;
      int shift = 0;
      int at = before;
      while (true) {
        int b = all[at++] & 0xFF;
        len |= (b & 0x7F) << shift;
        shift += 7;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      assertEquals(all.length - at, len, chars + " chars");
      written.add(o);
    }
    java.io.InputStream in = new ByteArrayInputStream(out.toByteArray());
    for (Observation o : written) {
      assertEquals(o, Observation.Coder.of().decode(in));
    }
    assertEquals(-1, in.read());
  }

  @Test
  void truncatedOrPaddedFramesFail() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Observation.Coder.of().encode(OBSERVATIONS.get(0), out);
    byte[] bytes = out.toByteArray();
    assertThrows(
        IOException.class,
        () ->
            Observation.Coder.of()
                .decode(new ByteArrayInputStream(Arrays.copyOf(bytes, bytes.length - 3))));
    assertThrows(
        IOException.class,
        () -> Observation.Coder.of().decode(new ByteArrayInputStream(new byte[0])));
    // an observation frame read as a raw record: the fields do not line up
    assertThrows(
        IOException.class, () -> RawRecord.Coder.of().decode(new ByteArrayInputStream(bytes)));
  }
}

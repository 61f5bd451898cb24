package dev.tslake.transform;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NumberParserTest {
  @Test
  void plainNumbersAsSourcesWriteThem() {
    assertEquals(155472.0, NumberParser.parse("155472"));
    assertEquals(512800.0, NumberParser.parse("512800.0"));
    assertEquals(0.88, NumberParser.parse(".88"));
    assertEquals(-0.5, NumberParser.parse("-.5"));
    assertEquals(2.6299999999999999, NumberParser.parse(" 2.6299999999999999 "));
    assertEquals(1.0e-3, NumberParser.parse("1e-3"));
  }

  @Test
  void thousandsSeparators() {
    assertEquals(51358.3598, NumberParser.parse("51,358.3598"));
    assertEquals(1234567.0, NumberParser.parse("1,234,567"));
  }

  @Test
  void missingMarkers() {
    for (String m : new String[] {".", "", "  ", "NULL", "null", "NaN", "nan", "N/A"}) {
      assertNull(NumberParser.parse(m), m);
    }
  }

  @Test
  void ambiguousSeparatorsAreRejected() {
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> NumberParser.parse("1,23")).getMessage(),
        containsString("ambiguous"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> NumberParser.parse("1.234,56"))
            .getMessage(),
        containsString("ambiguous"));
    assertThrows(IllegalArgumentException.class, () -> NumberParser.parse("12,5"));
  }

  @Test
  void nonNumbersAreRejected() {
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> NumberParser.parse("$5")).getMessage(),
        containsString("not a number"));
    assertThrows(IllegalArgumentException.class, () -> NumberParser.parse("abc"));
    assertThrows(IllegalArgumentException.class, () -> NumberParser.parse("1e999"));
    assertThrows(IllegalArgumentException.class, () -> NumberParser.parse("Infinity"));
  }

  /** The hand-written scan accepts exactly what the PLAIN regex accepts. */
  @Test
  void thePlainScanAgreesWithItsRegex() {
    String alphabet = "0123456789+-.eE ,x\u0663";
    java.util.Random random = new java.util.Random(12);
    java.util.List<String> cases =
        new java.util.ArrayList<>(
            java.util.List.of(
                "",
                "1",
                "-1",
                "+1",
                ".5",
                "5.",
                ".",
                "-.",
                "1e5",
                "1E-5",
                "1e",
                "1e+",
                "e5",
                "1.2.3",
                "--1",
                "1,000",
                "12345.6789",
                "-0.0001",
                "\u0663",
                "1\u0663",
                "1 ",
                " 1",
                "0x10",
                "1d",
                "Infinity",
                "NaN"));
    for (int k = 0; k < 200_000; k++) {
      StringBuilder b = new StringBuilder();
      int len = random.nextInt(9);
      for (int j = 0; j < len; j++) {
        b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      cases.add(b.toString());
    }
    int plain = 0;
    for (String c : cases) {
      boolean expected = NumberParser.PLAIN.matcher(c).matches();
      assertEquals(expected, NumberParser.isPlain(c), "'" + c + "'");
      plain += expected ? 1 : 0;
    }
    assertEquals(true, plain > 1000, "few plain numbers among the cases: " + plain);
  }
}

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
}

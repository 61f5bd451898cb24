package dev.tslake.transform;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tslake.config.TimestampParser;
import dev.tslake.model.RawRecord;
import org.junit.jupiter.api.Test;

class SeriesIdValidationTest {
  private static Validated validate(String seriesId) {
    return ValidateAndClean.validate(
        RawRecord.of("fred", "f.json", "observations[0]", seriesId, "2024-01-01", "1.5", null),
        TimestampParser.of("iso", "UTC"));
  }

  @Test
  void spacesAndTabsAroundAnIdAreTrimmed() {
    assertEquals("PAYEMS", validate(" \tPAYEMS ").observation().seriesId);
  }

  @Test
  void controlCharactersAreRejectedWhereverTheyAre() {
    for (String id :
        new String[] {"\u0007PAYEMS", "PAYEMS\u0000", "PAY\nEMS", "\u007FPAYEMS", "PAYEMS\r"}) {
      Validated r = validate(id);
      assertFalse(r.isValid(), id);
      assertThat(r.reject().reason, containsString("control character"));
    }
  }
}

package dev.tslake.transform;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.config.TimestampParser;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import org.junit.jupiter.api.Test;

class SeriesIdValidationTest {
  private static Object validate(String seriesId) {
    return ValidateAndClean.validate(
        RawRecord.of("fred", "f.json", "observations[0]", seriesId, "2024-01-01", "1.5", null),
        TimestampParser.of("iso", "UTC"));
  }

  @Test
  void spacesAndTabsAroundAnIdAreTrimmed() {
    assertEquals("PAYEMS", ((Observation) validate(" \tPAYEMS ")).seriesId);
  }

  @Test
  void controlCharactersAreRejectedWhereverTheyAre() {
    for (String id :
        new String[] {"\u0007PAYEMS", "PAYEMS\u0000", "PAY\nEMS", "\u007FPAYEMS", "PAYEMS\r"}) {
      Object r = validate(id);
      assertThat(id, r, instanceOf(Reject.class));
      assertThat(((Reject) r).reason, containsString("control character"));
    }
  }
}

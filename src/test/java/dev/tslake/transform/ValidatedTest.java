package dev.tslake.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.TimestampParser;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import org.junit.jupiter.api.Test;

/** The typed result of {@link ValidateAndClean#validate}: one of the two, asked for explicitly. */
class ValidatedTest {
  static final TimestampParser ISO = TimestampParser.of("iso", "UTC");

  static RawRecord raw(String ts, String value) {
    return RawRecord.of("fred", "f.json", "observations[0]", "DGS10", ts, value, null);
  }

  @Test
  void aValidRecordIsAnObservationAndNotAReject() {
    Validated v = ValidateAndClean.validate(raw("2024-01-01", "4.25"), ISO);
    assertTrue(v.isValid());
    Observation o = v.observation();
    assertEquals("DGS10", o.seriesId);
    assertEquals(4.25, o.value);
    assertEquals(Observation.UNKNOWN_VINTAGE, o.vintage);
    assertThrows(IllegalStateException.class, v::reject);
  }

  @Test
  void aMissingValueIsStillValid() {
    Validated v = ValidateAndClean.validate(raw("2024-01-01", "."), ISO);
    assertTrue(v.isValid());
    assertNull(v.observation().value);
  }

  @Test
  void anInvalidRecordIsARejectWithStageReasonAndTheOriginal() {
    RawRecord r = raw("2024-02-30", "4.25");
    Validated v = ValidateAndClean.validate(r, ISO);
    assertFalse(v.isValid());
    Reject reject = v.reject();
    assertEquals("validate", reject.stage);
    assertSame(r, reject.record);
    assertThrows(IllegalStateException.class, v::observation);
  }

  @Test
  void unparseablePayloadsAndFailedRequestsKeepTheirStage() {
    RawRecord body = RawRecord.unparseable("av", "u", "body", null, "bad json", "{");
    RawRecord request = RawRecord.unparseable("av", "u", "request", null, "HTTP 503", null);
    assertEquals("parse", ValidateAndClean.validate(body, ISO).reject().stage);
    assertEquals("bad json", ValidateAndClean.validate(body, ISO).reject().reason);
    assertEquals("fetch", ValidateAndClean.validate(request, ISO).reject().stage);
    Reject unknown = ValidateAndClean.validate(raw("2024-01-01", "1"), null).reject();
    assertEquals("record of unknown source 'fred'", unknown.reason);
  }
}

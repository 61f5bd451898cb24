package dev.tslake.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RunRecordTest {
  private static RunRecord run(long read, long rejected, long loaded, long superseded) {
    return new RunRecord(
        "r",
        Instant.EPOCH,
        Instant.EPOCH,
        "DirectRunner",
        "c.json",
        read,
        rejected,
        loaded,
        superseded,
        0,
        0);
  }

  @Test
  void balancedWhenEveryRecordIsAccountedFor() {
    RunRecord ok = run(100, 2, 90, 8);
    assertTrue(ok.balanced());
    assertThat(ok.summary(), containsString("records_read 100 = records_rejected 2"));
  }

  @Test
  void unbalancedSaysHowManyAreMissing() {
    RunRecord lost = run(100, 2, 90, 5);
    assertFalse(lost.balanced());
    assertThat(lost.accountingMessage(), containsString("3 records unaccounted for"));
  }

  @Test
  void recordsInFlightBalanceAnUpdateButDoNotSettleARun() {
    RunRecord update =
        new RunRecord("r", Instant.EPOCH, null, "DirectRunner", "c.json", 100, 2, 80, 8, 0, 0, 10);
    assertTrue(update.balanced());
    assertFalse(update.settled());
    assertThat(update.accountingMessage(), containsString("+ records_in_flight 10"));
    assertThat(update.summary(), containsString("records in flight               10"));
    assertTrue(run(100, 2, 90, 8).settled());
    RunRecord negative =
        new RunRecord("r", Instant.EPOCH, null, "DirectRunner", "c.json", 100, 2, 90, 10, 0, 0, -2);
    assertFalse(negative.balanced());
    assertThat(negative.accountingMessage(), containsString("negative"));
  }

  @Test
  void theCoderKeepsEveryField() throws Exception {
    RunRecord r =
        new RunRecord(
                "r",
                Instant.parse("2026-01-02T03:04:05.123456789Z"),
                null,
                "DataflowRunner",
                "c.json",
                100,
                2,
                80,
                8,
                7,
                3,
                10)
            .withHttp(5, 1, 0)
            .withChecks(4, 1, java.util.List.of("warn a/b x"))
            .withStatus(RunRecord.RUNNING, null);
    RunRecord back = org.apache.beam.sdk.util.CoderUtils.clone(RunRecord.Coder.of(), r);
    org.junit.jupiter.api.Assertions.assertEquals(r.summary(), back.summary());
    org.junit.jupiter.api.Assertions.assertEquals(r.startedAt, back.startedAt);
    org.junit.jupiter.api.Assertions.assertNull(back.finishedAt);
    org.junit.jupiter.api.Assertions.assertEquals(10, back.recordsInFlight);
  }
}

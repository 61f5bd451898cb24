package dev.tslake.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.TsLake;
import dev.tslake.model.CheckResult;
import dev.tslake.model.FetchOutcome;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How failed declared checks decide a run's status and exit code. */
class RecordRunChecksTest {
  private static RunRecord run(long read, long loaded) {
    return new RunRecord(
        "r",
        Instant.parse("2026-01-01T00:00:00Z"),
        null,
        "DirectRunner",
        "c",
        read,
        0,
        loaded,
        0,
        0,
        0);
  }

  private static CheckResult failed(String severity, String check) {
    return new CheckResult(
        "bitstamp", "BTC/USD.close", check, "range", severity, "fail", 3.0, "[0, inf]", null);
  }

  @Test
  void aFailedErrorCheckEndsFailedChecksWithExit3() {
    RunRecord r =
        RecordRun.outcome(
            run(10, 10), List.of(), List.of(failed("warn", "range#2"), failed("error", "range")));
    assertEquals(RunRecord.FAILED_CHECKS, r.status);
    assertThat(r.message, containsString("1 error check(s) failed"));
    assertThat(r.message, containsString("bitstamp/BTC/USD.close range;"));
    assertEquals(3, TsLake.exitCode(r));
  }

  @Test
  void warnFailuresLeaveTheRunSucceeded() {
    RunRecord r = RecordRun.outcome(run(10, 10), List.of(), List.of(failed("warn", "range")));
    assertEquals(RunRecord.SUCCEEDED, r.status);
    assertEquals(0, TsLake.exitCode(r));
  }

  @Test
  void unbalancedStaysFailedAndChecksWinOverIncomplete() {
    RunRecord unbalanced =
        RecordRun.outcome(run(10, 9), List.of(), List.of(failed("error", "range")));
    assertEquals(RunRecord.FAILED, unbalanced.status);
    assertEquals(1, TsLake.exitCode(unbalanced));
    FetchOutcome lost = FetchOutcome.failed("fred", "X", "http://x/y", "HTTP 500");
    RunRecord both = RecordRun.outcome(run(10, 10), List.of(lost), List.of(failed("error", "r")));
    assertEquals(RunRecord.FAILED_CHECKS, both.status);
    assertThat(both.message, containsString("request(s) failed for good"));
  }
}

package dev.tslake.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.Sleeper;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final List<Long> slept = new ArrayList<>();
  private final Sleeper recorder = slept::add;

  @Test
  void allowsMaxAttemptsWithExponentialJitteredWaits() throws Exception {
    Attempts a = RetryPolicy.exponential(4, 200, 4).start(recorder);
    assertEquals(1, a.attempt());
    int retries = 0;
    while (a.retry()) {
      retries++;
    }
    assertEquals(3, retries);
    assertEquals(4, a.attempt());
    assertTrue(a.isLast());
    assertEquals(3, slept.size());
    // FluentBackoff: d = 200 * 4^(n-1), uniform in [d/2, 3d/2]
    long[] base = {200, 800, 3200};
    for (int i = 0; i < 3; i++) {
      assertTrue(slept.get(i) >= base[i] / 2 && slept.get(i) <= base[i] * 3 / 2, slept.toString());
    }
  }

  @Test
  void oneAttemptMeansNoRetry() throws Exception {
    Attempts a = RetryPolicy.exponential(1, 100, 2).start(recorder);
    assertTrue(a.isLast());
    assertFalse(a.retry());
    assertEquals(List.of(), slept);
  }

  @Test
  void retryAfterReplacesTheBackoffButCountsTheAttempt() throws Exception {
    Attempts a = RetryPolicy.exponential(3, 1000, 2).start(recorder);
    assertTrue(a.retryAfter(7));
    assertEquals(7, a.lastWaitMillis());
    assertTrue(a.retryAfter(-1));
    assertFalse(a.retryAfter(5), "the third attempt was the last");
    assertEquals(2, slept.size());
    assertEquals(7L, slept.get(0));
    assertTrue(slept.get(1) >= 1000 && slept.get(1) <= 3000, slept.toString());
  }

  @Test
  void maxBackoffCapsTheWaitAndZeroBackoffRetriesAtOnce() throws Exception {
    Attempts capped = RetryPolicy.exponential(6, 100, 10).withMaxBackoffMillis(150).start(recorder);
    while (capped.retry()) {}
    assertEquals(5, slept.size());
    assertTrue(slept.stream().allMatch(w -> w <= 225), slept.toString());
    slept.clear();
    Attempts now = RetryPolicy.exponential(3, 0, 2).start(recorder);
    while (now.retry()) {}
    assertEquals(List.of(0L, 0L), slept);
  }

  @Test
  void validatesAndSerializes() {
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.exponential(0, 1, 2));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.exponential(2, -1, 2));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.exponential(2, 1, 0.5));
    RetryPolicy p = RetryPolicy.exponential(5, 10, 3).withMaxBackoffMillis(99);
    RetryPolicy copy = SerializableUtils.clone(p);
    assertEquals(p.toString(), copy.toString());
  }

  @Test
  void aClassifierDecidesWhatIsRetried() throws Exception {
    TransientClassifier<IOException> onlyTimeouts = e -> e.getMessage().contains("timeout");
    Attempts a = RetryPolicy.exponential(5, 0, 2).start(recorder);
    int calls = 0;
    IOException last = null;
    List<String> failures = List.of("timeout 1", "timeout 2", "refused", "never");
    while (true) {
      IOException e = new IOException(failures.get(calls++));
      if (!onlyTimeouts.isTransient(e) || !a.retry()) {
        last = e;
        break;
      }
    }
    assertEquals("refused", last.getMessage());
    assertEquals(3, calls);
  }
}

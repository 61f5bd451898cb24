package dev.tslake.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBoardTest {
  @Test
  void eachLineGivesCountsTheReadRateAndTheFurthestStageThatMoved() {
    AtomicLong clock = new AtomicLong(0);
    List<String> lines = new ArrayList<>();
    ProgressBoard b = new ProgressBoard("r1", 5000, clock::get, lines::add);
    b.add(0, "read", 10_000);
    b.add(1, "valid", 9_000);
    clock.set(5_000_000_000L);
    b.tick();
    assertEquals("run r1: 5.0 s, read 10,000 (2,000/s) | valid 9,000 | busy: valid", lines.get(0));

    // the read is done; only the load moves
    b.add(3, "loaded", 5_000);
    clock.set(10_000_000_000L);
    b.tick();
    assertEquals(
        "run r1: 10.0 s, read 10,000 (0/s) | valid 9,000 | loaded 5,000 | busy: loaded",
        lines.get(1));

    // nothing moved since the last line
    clock.set(15_000_000_000L);
    b.tick();
    assertEquals(
        "run r1: 15.0 s, read 10,000 (0/s) | valid 9,000 | loaded 5,000 | busy: past loaded",
        lines.get(2));
    assertEquals(
        "run r1: 15.0 s, read 10,000 (667/s overall) | valid 9,000 | loaded 5,000 (done)",
        b.line(true));
  }

  @Test
  void aBoardWithoutProgressForAMinuteStopsReporting() {
    AtomicLong clock = new AtomicLong(0);
    List<String> lines = new ArrayList<>();
    ProgressBoard b = new ProgressBoard("r2", 5000, clock::get, lines::add);
    b.add(0, "read", 1);
    clock.set(ProgressBoard.IDLE_NANOS + 1);
    b.tick();
    assertEquals(List.of(), lines);
  }
}

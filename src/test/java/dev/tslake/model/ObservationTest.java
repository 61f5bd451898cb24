package dev.tslake.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ObservationTest {
  private static Observation at(long vintage, String origin, String locator) {
    return new Observation("s", "x", 0, 1.0, vintage, origin, locator);
  }

  @Test
  void laterVintageThenLaterOriginThenLaterPositionWins() {
    assertThat(
        Observation.compareRecency(at(2, "a", "line 1"), at(1, "z", "line 9")), greaterThan(0));
    assertThat(
        Observation.compareRecency(at(1, "b.csv", "line 1"), at(1, "a.csv", "line 9")),
        greaterThan(0));
    assertThat(
        Observation.compareRecency(at(1, "a", "line 10 value"), at(1, "a", "line 9 value")),
        greaterThan(0));
    assertThat(
        Observation.compareRecency(at(1, "a", "observations[2]"), at(1, "a", "observations[11]")),
        lessThan(0));
    assertThat(
        Observation.compareRecency(
            at(1, "p?offset=10000", "observations[0]"),
            at(1, "p?offset=5000", "observations[4999]")),
        greaterThan(0));
  }

  @Test
  void naturalOrderIsTotal() {
    assertEquals(0, Observation.naturalCompare("line 7", "line 7"));
    assertThat(Observation.naturalCompare("line 07", "line 7"), greaterThan(0));
    assertThat(Observation.naturalCompare("line 7", "line 07"), lessThan(0));
    assertThat(Observation.naturalCompare("line 7", "line 7 close"), lessThan(0));
  }
}

package dev.tslake.transform;

import dev.tslake.model.Observation;
import dev.tslake.model.Reject;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/** What validation made of one raw record: an observation, or a reject saying why not. */
public final class Validated {
  private final @Nullable Observation observation;
  private final @Nullable Reject reject;

  private Validated(@Nullable Observation observation, @Nullable Reject reject) {
    this.observation = observation;
    this.reject = reject;
  }

  static Validated valid(Observation observation) {
    return new Validated(Objects.requireNonNull(observation, "observation"), null);
  }

  static Validated rejected(Reject reject) {
    return new Validated(null, Objects.requireNonNull(reject, "reject"));
  }

  public boolean isValid() {
    return observation != null;
  }

  /** The observation; fails if the record was rejected. */
  public Observation observation() {
    if (observation == null) {
      throw new IllegalStateException("rejected, not an observation: " + reject);
    }
    return observation;
  }

  /** The reject; fails if the record was valid. */
  public Reject reject() {
    if (reject == null) {
      throw new IllegalStateException("valid, not a reject: " + observation);
    }
    return reject;
  }

  @Override
  public String toString() {
    return isValid() ? "Valid{" + observation + "}" : "Rejected{" + reject + "}";
  }
}

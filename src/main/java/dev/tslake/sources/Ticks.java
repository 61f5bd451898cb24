package dev.tslake.sources;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A clock's ticks as an unbounded source: one element per {@code period} (the element and its
 * timestamp are the tick's wall-clock time), the first at once, until an optional stop (an instant,
 * or a duration after the first tick). What the continuous sources ({@code PollSources}, {@link
 * WatchFiles}) are driven by.
 *
 * <p>Not Beam's {@code PeriodicImpulse}: on the Flink runner (Beam 2.62, Flink 1.19) that
 * splittable DoFn kept its subtask busy and the subtask never acknowledged a checkpoint barrier, so
 * no checkpoint completed while a continuous job ran (docs/running.md). A {@code Read} of an {@link
 * UnboundedSource} is translated by the Flink runner into its native source wrapper, which advances
 * the reader under the checkpoint lock, sleeps while the reader has nothing, and snapshots the
 * reader's {@link Mark}; the Direct and Dataflow runners read it natively too.
 *
 * <ul>
 *   <li>Ticks: the first at once (by a reader that has not ticked yet, even after {@code stopAt},
 *       so a job slower to start than its stop still ticks once); then each {@code period} after
 *       the previous one. A reader that fell more than a period behind (a job restored after an
 *       outage) does not replay the ticks it missed: it ticks once, at the current time, and goes
 *       on from there.
 *   <li>Watermark: the last tick, advancing with the clock while idle up to just before the next
 *       tick is due (nothing earlier can come).
 *   <li>Stop: once the clock reaches {@code stopAt} (and the first tick was read), {@code
 *       advance()} returns false and the watermark is {@link BoundedWindow#TIMESTAMP_MAX_VALUE}, so
 *       every runner finishes the source.
 *   <li>One split; the checkpoint mark holds the last tick (and the stop instant), so a restored
 *       reader resumes after it.
 * </ul>
 */
public final class Ticks extends UnboundedSource<Instant, Ticks.Mark> {
  /** Where the ticks' time comes from; the wall clock unless a test injects one. */
  public interface Clock extends Serializable {
    Instant now();
  }

  /** The wall clock. */
  enum WallClock implements Clock {
    INSTANCE;

    @Override
    public Instant now() {
      return Instant.now();
    }
  }

  private final Duration period;
  private final @Nullable Instant stopAt;
  private final @Nullable Duration stopAfter;
  private final Clock clock;

  private Ticks(
      Duration period, @Nullable Instant stopAt, @Nullable Duration stopAfter, Clock clock) {
    if (!period.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("tick period must be positive, got " + period);
    }
    this.period = period;
    this.stopAt = stopAt;
    this.stopAfter = stopAfter;
    this.clock = clock;
  }

  /** Ticks every {@code period} by the wall clock, forever. */
  public static Ticks every(Duration period) {
    return new Ticks(period, null, null, WallClock.INSTANCE);
  }

  /** The same ticks, ending at {@code stopAt} (null: never). */
  public Ticks stoppingAt(@Nullable Instant stopAt) {
    return new Ticks(period, stopAt, null, clock);
  }

  /**
   * The same ticks, ending {@code stopAfter} after the first one (null: never): the stop instant is
   * fixed at the first tick and kept in the checkpoint mark, so a restore does not move it, and a
   * job slow to start still ticks for that long.
   */
  public Ticks stoppingAfter(@Nullable Duration stopAfter) {
    return new Ticks(period, null, stopAfter, clock);
  }

  /** The same ticks by another clock (tests). */
  public Ticks withClock(Clock clock) {
    return new Ticks(period, stopAt, stopAfter, clock);
  }

  /** The source as a transform. */
  public Read.Unbounded<Instant> read() {
    return Read.from(this);
  }

  public Duration period() {
    return period;
  }

  public @Nullable Instant stopAt() {
    return stopAt;
  }

  @Override
  public List<Ticks> split(int desiredNumSplits, PipelineOptions options) {
    return List.of(this);
  }

  @Override
  public Reader createReader(PipelineOptions options, @Nullable Mark checkpointMark) {
    return checkpointMark == null
        ? new Reader(this, null, stopAt)
        : new Reader(
            this,
            checkpointMark.lastTick,
            checkpointMark.stopAt != null ? checkpointMark.stopAt : stopAt);
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return MarkCoder.INSTANCE;
  }

  @Override
  public Coder<Instant> getOutputCoder() {
    return InstantCoder.of();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Ticks t
        && period.equals(t.period)
        && Objects.equals(stopAt, t.stopAt)
        && Objects.equals(stopAfter, t.stopAfter)
        && clock.equals(t.clock);
  }

  @Override
  public int hashCode() {
    return Objects.hash(period, stopAt);
  }

  @Override
  public String toString() {
    return "Ticks{every "
        + period
        + (stopAt == null ? "" : ", until " + stopAt)
        + (stopAfter == null ? "" : ", for " + stopAfter)
        + "}";
  }

  /**
   * The last tick a reader emitted (null: none yet) and its stop instant (null: none, or not fixed
   * yet); nothing to acknowledge.
   */
  public static final class Mark implements UnboundedSource.CheckpointMark, Serializable {
    private final @Nullable Instant lastTick;
    private final @Nullable Instant stopAt;

    public Mark(@Nullable Instant lastTick) {
      this(lastTick, null);
    }

    public Mark(@Nullable Instant lastTick, @Nullable Instant stopAt) {
      this.lastTick = lastTick;
      this.stopAt = stopAt;
    }

    public @Nullable Instant lastTick() {
      return lastTick;
    }

    public @Nullable Instant stopAt() {
      return stopAt;
    }

    @Override
    public void finalizeCheckpoint() {}

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Mark m
          && Objects.equals(lastTick, m.lastTick)
          && Objects.equals(stopAt, m.stopAt);
    }

    @Override
    public int hashCode() {
      return Objects.hash(lastTick, stopAt);
    }

    @Override
    public String toString() {
      return "Mark{" + lastTick + (stopAt == null ? "" : ", stop " + stopAt) + "}";
    }
  }

  /** {@link Mark} as two nullable {@link InstantCoder}s. */
  public static final class MarkCoder extends AtomicCoder<Mark> {
    static final MarkCoder INSTANCE = new MarkCoder();
    private static final Coder<@Nullable Instant> LAST = NullableCoder.of(InstantCoder.of());

    public static MarkCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Mark value, OutputStream out) throws IOException {
      LAST.encode(value.lastTick, out);
      LAST.encode(value.stopAt, out);
    }

    @Override
    public Mark decode(InputStream in) throws IOException {
      Instant last = LAST.decode(in);
      return new Mark(last, LAST.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Reads the ticks; not thread-safe (runners call a reader from one thread at a time). */
  public static final class Reader extends UnboundedSource.UnboundedReader<Instant> {
    private final Ticks source;
    private @Nullable Instant last;
    private @Nullable Instant stopAt;
    private @Nullable Instant current;
    private boolean stopped;

    Reader(Ticks source, @Nullable Instant last, @Nullable Instant stopAt) {
      this.source = source;
      this.last = last;
      this.stopAt = stopAt;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      Instant now = source.clock.now();
      if (last == null && !stopped) {
        // the first tick, even when the reader starts after the stop (a job that took longer
        // than stopAfter to start still polls once, as when it was ticked from the build time)
        last = now;
        current = now;
        if (stopAt == null && source.stopAfter != null) {
          stopAt = now.plus(source.stopAfter);
        }
        return true;
      }
      if (stopped || (stopAt != null && !now.isBefore(stopAt))) {
        stopped = true;
        current = null;
        return false;
      }
      Instant next = last.plus(source.period);
      if (now.isBefore(next)) {
        return false; // current stays the last tick, as the contract allows
      }
      // one period late at most: the tick that was due; later than that: one tick now, the
      // missed ones are not replayed
      Instant tick = now.isBefore(next.plus(source.period)) ? next : now;
      last = tick;
      current = tick;
      return true;
    }

    @Override
    public Instant getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return getCurrent();
    }

    @Override
    public Instant getWatermark() {
      if (stopped) {
        return BoundedWindow.TIMESTAMP_MAX_VALUE;
      }
      Instant now = source.clock.now();
      if (last == null) {
        // the first tick is at the clock's time when it is read: nothing before now
        return now.minus(Duration.millis(1));
      }
      Instant beforeNext = last.plus(source.period).minus(Duration.millis(1));
      Instant w = now.isBefore(beforeNext) ? now : beforeNext;
      return w.isBefore(last) ? last : w;
    }

    @Override
    public Mark getCheckpointMark() {
      return new Mark(last, stopAt);
    }

    @Override
    public Ticks getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}

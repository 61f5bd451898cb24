package dev.tslake.aggregate;

import dev.tslake.config.WindowSpec;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IncompatibleWindowException;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.NonMergingWindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowMappingFn;
import org.joda.time.Instant;

/**
 * The windows of a {@link WindowSpec} as a Beam {@link WindowFn}: each element goes, by its event
 * timestamp, to the {@link IntervalWindow} {@code [start, end)} of {@link WindowSpec#bounds}, so
 * fixed windows aligned to the epoch and calendar windows (weeks from Monday, months, years) in UTC
 * are the same whether a graph computes them with {@code Window.into} or by calling {@code bounds}.
 *
 * <p>Unlike Beam's {@code FixedWindows} and {@code CalendarWindows}, which round toward zero before
 * 1970, the bounds use floor division on both sides of the epoch. An instant exactly on a boundary
 * belongs to the window it starts. Two instances are equal and compatible when their specs are
 * (compared by normalized text: {@code P1M} is not {@code P30D}).
 */
public final class SpecWindows extends NonMergingWindowFn<Object, IntervalWindow> {
  private final WindowSpec spec;

  private SpecWindows(WindowSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  public static SpecWindows of(WindowSpec spec) {
    return new SpecWindows(spec);
  }

  /** Windows of an ISO-8601 duration such as {@code PT1H}, {@code P1W}, {@code P1M}. */
  public static SpecWindows of(String window) {
    return new SpecWindows(WindowSpec.parse(window));
  }

  public WindowSpec spec() {
    return spec;
  }

  /** The window holding an instant in epoch millis UTC. */
  public IntervalWindow windowOf(long ts) {
    long[] b = spec.bounds(ts);
    return new IntervalWindow(new Instant(b[0]), new Instant(b[1]));
  }

  @Override
  public Collection<IntervalWindow> assignWindows(AssignContext c) {
    return List.of(windowOf(c.timestamp().getMillis()));
  }

  @Override
  public boolean assignsToOneWindow() {
    return true;
  }

  @Override
  public boolean isCompatible(WindowFn<?, ?> other) {
    return equals(other);
  }

  @Override
  public void verifyCompatibility(WindowFn<?, ?> other) throws IncompatibleWindowException {
    if (!isCompatible(other)) {
      throw new IncompatibleWindowException(
          other, "only SpecWindows of the same window (" + spec.text() + ") are compatible");
    }
  }

  @Override
  public Coder<IntervalWindow> windowCoder() {
    return IntervalWindow.getCoder();
  }

  /**
   * As {@code FixedWindows} does: a main-input window maps to the side-input window holding its
   * last instant. The global window has no such window.
   */
  @Override
  public WindowMappingFn<IntervalWindow> getDefaultWindowMappingFn() {
    return new WindowMappingFn<IntervalWindow>() {
      @Override
      public IntervalWindow getSideInputWindow(BoundedWindow mainWindow) {
        if (mainWindow instanceof GlobalWindow) {
          throw new IllegalArgumentException(
              "Attempted to get side input window for GlobalWindow from non-global WindowFn");
        }
        return windowOf(mainWindow.maxTimestamp().getMillis());
      }
    };
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("window", spec.text()).withLabel("Window"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpecWindows && ((SpecWindows) o).spec.equals(spec);
  }

  @Override
  public int hashCode() {
    return spec.hashCode();
  }

  @Override
  public String toString() {
    return "SpecWindows(" + spec.text() + ")";
  }
}

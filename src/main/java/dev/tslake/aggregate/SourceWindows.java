package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Observation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IncompatibleWindowException;
import org.apache.beam.sdk.transforms.windowing.NonMergingWindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowMappingFn;

/**
 * Every window size of an observation's source at once, as a Beam {@link WindowFn}: an observation
 * goes, by its event time ({@link Observation#ts}), to one {@link SizedWindow} per window size its
 * source asks for, with the bounds {@link SpecWindows} gives for that size ({@link
 * WindowSpec#bounds}). Observations of a source that asks for none must be left out before (Beam
 * gives every element at least one window; {@link #windows(String)} tells). One {@code Window.into}
 * of these replaces one {@code Window.into(SpecWindows)} branch per size: on Flink's batch
 * (DataSet) runner each branch was a consumer of every observation, so a full decode pass per
 * window size.
 */
public final class SourceWindows extends NonMergingWindowFn<Observation, SizedWindow> {
  private static final long serialVersionUID = 1L;
  private final HashMap<String, List<WindowSpec>> specsBySource;

  private SourceWindows(HashMap<String, List<WindowSpec>> specsBySource) {
    this.specsBySource = specsBySource;
  }

  /** The window sizes of each source of the config ({@link SourceConfig#windowSpecs}). */
  public static SourceWindows of(PipelineConfig config) {
    HashMap<String, List<WindowSpec>> specs = new HashMap<>();
    for (SourceConfig s : config.sources) {
      List<WindowSpec> ws = new ArrayList<>(s.windowSpecs());
      if (!ws.isEmpty()) {
        specs.put(s.name, ws);
      }
    }
    return new SourceWindows(specs);
  }

  /** Whether a source asks for any window size (an observation of one that does not has none). */
  public boolean windows(String source) {
    return specsBySource.containsKey(source);
  }

  /** The windows of an observation: one per window size of its source. */
  public List<SizedWindow> windowsOf(Observation o) {
    List<WindowSpec> specs = specsBySource.get(o.source);
    if (specs == null) {
      return List.of();
    }
    List<SizedWindow> windows = new ArrayList<>(specs.size());
    for (WindowSpec spec : specs) {
      long[] b = spec.bounds(o.ts);
      windows.add(new SizedWindow(spec.text(), b[0], b[1]));
    }
    return windows;
  }

  @Override
  public Collection<SizedWindow> assignWindows(AssignContext c) {
    return windowsOf(c.element());
  }

  @Override
  public boolean isCompatible(WindowFn<?, ?> other) {
    return equals(other);
  }

  @Override
  public void verifyCompatibility(WindowFn<?, ?> other) throws IncompatibleWindowException {
    if (!isCompatible(other)) {
      throw new IncompatibleWindowException(
          other, "only SourceWindows of the same sources and window sizes are compatible");
    }
  }

  @Override
  public Coder<SizedWindow> windowCoder() {
    return SizedWindow.CODER;
  }

  /** Not a side-input window function: its windows depend on the element, not only on time. */
  @Override
  public WindowMappingFn<SizedWindow> getDefaultWindowMappingFn() {
    return new WindowMappingFn<SizedWindow>() {
      @Override
      public SizedWindow getSideInputWindow(BoundedWindow mainWindow) {
        throw new UnsupportedOperationException("SourceWindows cannot be used for side inputs");
      }
    };
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    Map<String, List<String>> text = new java.util.TreeMap<>();
    specsBySource.forEach(
        (source, specs) -> text.put(source, specs.stream().map(WindowSpec::text).toList()));
    builder.add(DisplayData.item("windows", text.toString()).withLabel("Windows per source"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SourceWindows && ((SourceWindows) o).specsBySource.equals(specsBySource);
  }

  @Override
  public int hashCode() {
    return specsBySource.hashCode();
  }

  @Override
  public String toString() {
    return "SourceWindows" + specsBySource;
  }
}

package dev.tslake.aggregate;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Triggering of the windowed aggregates in a streaming run ({@code --streaming=true}); a batch run
 * ignores them. Both are ISO-8601 durations, checked by {@link AggregateTriggering#fromOptions}.
 */
public interface StreamingWindowOptions extends PipelineOptions {
  @Description(
      "Streaming: processing-time period of early panes, counted from the first element of a pane"
          + " (ISO-8601, e.g. PT10S); each early pane upserts the window's statistics so far")
  @Default.String("PT10S")
  String getEarlyFiringPeriod();

  void setEarlyFiringPeriod(String value);

  @Description(
      "Streaming: how long after the watermark passes a window's end a late element still fires a"
          + " late pane for it (ISO-8601, e.g. PT1H; PT0S = none). Later data is dropped here")
  @Default.String("PT1H")
  String getAllowedLateness();

  void setAllowedLateness(String value);
}

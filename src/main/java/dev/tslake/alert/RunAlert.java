package dev.tslake.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What an alert says about a run that did not succeed: its id, status, message (already free of
 * secrets) and counts. As JSON it carries a {@code text} line, which is all a Slack-compatible
 * incoming webhook needs, plus the same facts as fields for anything that parses them.
 *
 * <pre>{@code
 * {"text": "tslake run nightly-42 failed: SQLException: connection refused (config tslake.json)",
 *  "run_id": "nightly-42", "status": "failed", "message": "SQLException: connection refused",
 *  "config": "tslake.json", "runner": "DirectRunner", "started_at": "...", "finished_at": "...",
 *  "counts": {"records_read": 0, ...}}
 * }</pre>
 */
public final class RunAlert {
  private static final ObjectMapper JSON = new ObjectMapper();

  public final String runId;
  public final String status;
  public final @Nullable String message;
  public final @Nullable String config;
  public final @Nullable String runner;
  public final @Nullable Instant startedAt;
  public final @Nullable Instant finishedAt;

  /** Counts by name ({@code records_read}, ...), in the order given; empty when none are known. */
  public final Map<String, Long> counts;

  public RunAlert(
      String runId,
      String status,
      @Nullable String message,
      @Nullable String config,
      @Nullable String runner,
      @Nullable Instant startedAt,
      @Nullable Instant finishedAt,
      Map<String, Long> counts) {
    this.runId = Objects.requireNonNull(runId, "runId");
    this.status = Objects.requireNonNull(status, "status");
    this.message = message;
    this.config = config;
    this.runner = runner;
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.counts = new LinkedHashMap<>(counts);
  }

  /** The one-line text a chat channel shows. */
  public String text() {
    return "tslake run "
        + runId
        + " "
        + status
        + (message == null || message.isBlank() ? "" : ": " + message)
        + (config == null ? "" : " (config " + config + ")");
  }

  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("text", text());
    o.put("run_id", runId);
    o.put("status", status);
    o.put("message", message);
    o.put("config", config);
    o.put("runner", runner);
    o.put("started_at", startedAt == null ? null : startedAt.toString());
    o.put("finished_at", finishedAt == null ? null : finishedAt.toString());
    ObjectNode c = o.putObject("counts");
    counts.forEach(c::put);
    return o.toString();
  }
}

package dev.tslake.model;

import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/** The outcome of one declared check on one series in one run (table {@code quality_results}). */
@DefaultSchema(JavaFieldSchema.class)
public final class CheckResult implements Serializable {
  public static final String PASS = "pass";
  public static final String FAIL = "fail";

  public final String source;
  public final String seriesId;

  /** The check's id within its source, e.g. {@code range} or {@code range#2}. */
  public final String check;

  public final String type;

  /** {@code warn} or {@code error}. */
  public final String severity;

  /** {@code pass} or {@code fail}. */
  public final String status;

  /** What was measured (per type: see docs/checks.md); null when nothing could be measured. */
  public final @Nullable Double observed;

  public final String threshold;

  /** Up to 5 example timestamps (ISO instants, comma-separated) of what failed; null if none. */
  public final @Nullable String examples;

  @SchemaCreate
  public CheckResult(
      String source,
      String seriesId,
      String check,
      String type,
      String severity,
      String status,
      @Nullable Double observed,
      String threshold,
      @Nullable String examples) {
    this.source = source;
    this.seriesId = seriesId;
    this.check = check;
    this.type = type;
    this.severity = severity;
    this.status = status;
    this.observed = observed;
    this.threshold = threshold;
    this.examples = examples;
  }

  public boolean failed() {
    return FAIL.equals(status);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CheckResult)) {
      return false;
    }
    CheckResult r = (CheckResult) o;
    return source.equals(r.source)
        && seriesId.equals(r.seriesId)
        && check.equals(r.check)
        && type.equals(r.type)
        && severity.equals(r.severity)
        && status.equals(r.status)
        && Objects.equals(observed, r.observed)
        && threshold.equals(r.threshold)
        && Objects.equals(examples, r.examples);
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, seriesId, check, status, observed);
  }

  @Override
  public String toString() {
    return source
        + "/"
        + seriesId
        + " "
        + check
        + " ("
        + severity
        + "): "
        + status
        + ", observed "
        + observed
        + ", threshold "
        + threshold
        + (examples == null ? "" : ", e.g. " + examples);
  }
}

package dev.tslake.warehouse;

import dev.tslake.model.Aggregate;
import dev.tslake.model.CheckResult;
import dev.tslake.model.LatestStat;
import dev.tslake.model.Observation;
import dev.tslake.model.Reject;
import dev.tslake.model.Resampled;
import dev.tslake.model.RollingStat;
import java.time.Instant;
import java.util.List;

/** The warehouse tables tslake loads. */
public final class Tables {
  private Tables() {}

  public static Table<Observation> observations() {
    return new ObservationsTable();
  }

  public static Table<Aggregate> aggregates() {
    return new AggregatesTable();
  }

  public static Table<RollingStat> rolling() {
    return new RollingTable();
  }

  public static Table<Reject> rejects(String runId) {
    return new RejectsTable(runId);
  }

  public static Table<SeriesRow> series() {
    return new SeriesTable();
  }

  /** Every distinct vintage of every observation (key source, series_id, ts, vintage). */
  public static Table<Observation> observationVintages() {
    return new ObservationVintagesTable();
  }

  /** Streaming trailing statistics per series (key source, series_id); docs/warehouse.md. */
  public static Table<LatestStat> latest() {
    return new LatestTable();
  }

  /**
   * {@code latest}: one row per series, the statistics of its trailing duration before its newest
   * point. A row replaces the stored one only when it is not older: a later {@code as_of}, or the
   * same {@code as_of} computed later ({@code updated_at}), so panes written out of order cannot
   * step a series back.
   */
  static final class LatestTable extends Table<LatestStat> {
    @Override
    public String name() {
      return "latest";
    }

    @Override
    public List<String> columns() {
      return List.of(
          "source",
          "series_id",
          "trailing",
          "as_of",
          "n",
          "mean",
          "stddev",
          "min",
          "max",
          "first",
          "last",
          "updated_at");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id");
    }

    @Override
    protected String replaceWhen(String incoming) {
      return incoming
          + ".\"as_of\" > \"latest\".\"as_of\" OR ("
          + incoming
          + ".\"as_of\" = \"latest\".\"as_of\" AND "
          + incoming
          + ".\"updated_at\" >= \"latest\".\"updated_at\")";
    }

    @Override
    protected List<String> doubleColumns() {
      return List.of("mean", "stddev", "min", "max", "first", "last");
    }

    @Override
    public Object[] values(LatestStat s) {
      return new Object[] {
        s.source,
        s.seriesId,
        s.trailing,
        Instant.ofEpochMilli(s.asOf),
        s.n,
        s.mean,
        s.stddev,
        s.min,
        s.max,
        s.first,
        s.last,
        Instant.ofEpochMilli(s.updatedAt)
      };
    }
  }

  public static Table<CheckResult> qualityResults(String runId) {
    return new QualityResultsTable(runId);
  }

  /** Declared checks' results: one row per (run, source, series, check); docs/checks.md. */
  static final class QualityResultsTable extends Table<CheckResult> {
    private final String runId;

    QualityResultsTable(String runId) {
      this.runId = runId;
    }

    @Override
    public String name() {
      return "quality_results";
    }

    @Override
    public List<String> columns() {
      return List.of(
          "run_id",
          "source",
          "series_id",
          "check",
          "check_type",
          "severity",
          "status",
          "observed",
          "threshold",
          "examples");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("run_id", "source", "series_id", "check");
    }

    @Override
    protected List<String> doubleColumns() {
      return List.of("observed");
    }

    @Override
    public Object[] values(CheckResult r) {
      return new Object[] {
        runId,
        r.source,
        r.seriesId,
        r.check,
        r.type,
        r.severity,
        r.status,
        r.observed,
        r.threshold,
        r.examples
      };
    }
  }

  public static Table<Resampled> resampled() {
    return new ResampledTable();
  }

  /** Gap filling on a regular grid (docs/resample.md); rows are recomputed whole, so replaced. */
  static final class ResampledTable extends Table<Resampled> {
    @Override
    public String name() {
      return "resampled";
    }

    @Override
    public List<String> columns() {
      return List.of("source", "series_id", "every", "ts", "value", "filled");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id", "every", "ts");
    }

    @Override
    protected List<String> doubleColumns() {
      return List.of("value");
    }

    @Override
    public Object[] values(Resampled r) {
      return new Object[] {
        r.source, r.seriesId, r.every, Instant.ofEpochMilli(r.ts), r.value, r.filled
      };
    }
  }

  static final class ObservationsTable extends Table<Observation> {
    @Override
    public String name() {
      return "observations";
    }

    @Override
    public List<String> columns() {
      return List.of("source", "series_id", "ts", "value", "vintage", "origin", "locator");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id", "ts");
    }

    /** Across runs too, an older vintage never overwrites a newer one already loaded. */
    @Override
    protected String replaceWhen(String incoming) {
      return "COALESCE("
          + incoming
          + ".\"vintage\", TIMESTAMPTZ '0001-01-01 00:00:00+00')"
          + " >= COALESCE(\"observations\".\"vintage\", TIMESTAMPTZ '0001-01-01 00:00:00+00')";
    }

    @Override
    protected List<String> doubleColumns() {
      return List.of("value");
    }

    @Override
    public Object[] values(Observation o) {
      return new Object[] {
        o.source,
        o.seriesId,
        Instant.ofEpochMilli(o.ts),
        o.value,
        o.hasVintage() ? Instant.ofEpochMilli(o.vintage) : null,
        o.origin,
        o.locator
      };
    }
  }

  static final class AggregatesTable extends Table<Aggregate> {
    @Override
    public String name() {
      return "aggregates";
    }

    @Override
    public List<String> columns() {
      return List.of(
          "source",
          "series_id",
          "window",
          "window_start",
          "window_end",
          "n",
          "missing",
          "min",
          "max",
          "mean",
          "first",
          "last",
          "stddev");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id", "window", "window_start");
    }

    @Override
    protected List<String> doubleColumns() {
      return List.of("min", "max", "mean", "first", "last", "stddev");
    }

    @Override
    public Object[] values(Aggregate a) {
      return new Object[] {
        a.source,
        a.seriesId,
        a.window,
        Instant.ofEpochMilli(a.windowStart),
        Instant.ofEpochMilli(a.windowEnd),
        a.n,
        a.missing,
        a.min,
        a.max,
        a.mean,
        a.first,
        a.last,
        a.stddev
      };
    }
  }

  static final class RollingTable extends Table<RollingStat> {
    @Override
    public String name() {
      return "rolling";
    }

    @Override
    public List<String> columns() {
      return List.of("source", "series_id", "window", "ts", "n", "mean", "stddev", "min", "max");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id", "window", "ts");
    }

    @Override
    protected List<String> doubleColumns() {
      return List.of("mean", "stddev", "min", "max");
    }

    @Override
    public Object[] values(RollingStat r) {
      return new Object[] {
        r.source,
        r.seriesId,
        r.window,
        Instant.ofEpochMilli(r.ts),
        r.n,
        r.mean,
        r.stddev,
        r.min,
        r.max
      };
    }
  }

  static final class RejectsTable extends Table<Reject> {
    private final String runId;

    RejectsTable(String runId) {
      this.runId = runId;
    }

    @Override
    public String name() {
      return "rejects";
    }

    @Override
    public List<String> columns() {
      return List.of(
          "source",
          "origin",
          "locator",
          "series_id",
          "ts",
          "value",
          "vintage",
          "stage",
          "reason",
          "run_id");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("run_id", "source", "origin", "locator"); // rejects keep their history
    }

    @Override
    public Object[] values(Reject r) {
      return new Object[] {
        clean(r.record.source),
        clean(r.record.origin),
        clean(r.record.locator),
        clean(r.record.seriesId),
        clean(r.record.ts),
        clean(r.record.value),
        clean(r.record.vintage),
        r.stage,
        clean(r.reason),
        runId
      };
    }

    /** PostgreSQL text cannot hold NUL; a rejected record may well contain one. */
    private static String clean(String s) {
      return s == null ? null : s.replace("\u0000", "\\u0000");
    }
  }

  static final class SeriesTable extends Table<SeriesRow> {
    @Override
    public String name() {
      return "series";
    }

    @Override
    public List<String> columns() {
      return List.of(
          "source",
          "series_id",
          "title",
          "units",
          "frequency",
          "seasonal_adjustment",
          "last_updated",
          "first_ts",
          "last_ts");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id");
    }

    /** Metadata is kept when a run has none; the span only grows. */
    @Override
    protected String replacementValue(String c, String incoming) {
      switch (c) {
        case "first_ts":
          return "LEAST(" + incoming + "." + q(c) + ", \"series\"." + q(c) + ")";
        case "last_ts":
          return "GREATEST(" + incoming + "." + q(c) + ", \"series\"." + q(c) + ")";
        default:
          return "COALESCE(" + incoming + "." + q(c) + ", \"series\"." + q(c) + ")";
      }
    }

    @Override
    public Object[] values(SeriesRow s) {
      return new Object[] {
        s.source,
        s.seriesId,
        s.title,
        s.units,
        s.frequency,
        s.seasonalAdjustment,
        s.lastUpdated,
        s.firstTs == null ? null : Instant.ofEpochMilli(s.firstTs),
        s.lastTs == null ? null : Instant.ofEpochMilli(s.lastTs)
      };
    }
  }

  /**
   * {@code observation_vintages}: one row per (source, series_id, ts, vintage), the history that
   * {@code observations} (latest vintage only) does not keep. Observations without a vintage are
   * not written here (see docs/vintages.md).
   */
  static final class ObservationVintagesTable extends Table<Observation> {
    @Override
    public String name() {
      return "observation_vintages";
    }

    @Override
    public List<String> columns() {
      return List.of("source", "series_id", "ts", "vintage", "value", "origin", "locator");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id", "ts", "vintage");
    }

    @Override
    protected List<String> doubleColumns() {
      return List.of("value");
    }

    @Override
    public Object[] values(Observation o) {
      if (!o.hasVintage()) {
        throw new IllegalArgumentException("observation_vintages needs a vintage: " + o);
      }
      return new Object[] {
        o.source,
        o.seriesId,
        Instant.ofEpochMilli(o.ts),
        Instant.ofEpochMilli(o.vintage),
        o.value,
        o.origin,
        o.locator
      };
    }
  }
}

package dev.tslake.warehouse;

import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.model.Reject;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
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

  public static Table<Reject> rejects(String runId) {
    return new RejectsTable(runId);
  }

  public static Table<SeriesRow> series() {
    return new SeriesTable();
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
    protected String onConflictWhere() {
      return "COALESCE(EXCLUDED.\"vintage\", TIMESTAMPTZ '0001-01-01 00:00:00+00')"
          + " >= COALESCE(\"observations\".\"vintage\", TIMESTAMPTZ '0001-01-01 00:00:00+00')";
    }

    @Override
    public void bind(PreparedStatement st, int b, Observation o) throws SQLException {
      st.setString(b + 1, o.source);
      st.setString(b + 2, o.seriesId);
      setTimestamp(st, b + 3, o.ts);
      setDouble(st, b + 4, o.value);
      if (o.hasVintage()) {
        setTimestamp(st, b + 5, o.vintage);
      } else {
        st.setNull(b + 5, Types.TIMESTAMP_WITH_TIMEZONE);
      }
      st.setString(b + 6, o.origin);
      st.setString(b + 7, o.locator);
    }
  }

  static final class AggregatesTable extends Table<Aggregate> {
    @Override
    public String name() {
      return "aggregates";
    }

    @Override
    public List<String> columns() {
      return List.of("source", "series_id", "window", "window_start", "window_end", "n", "missing",
          "min", "max", "mean", "first", "last");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id", "window", "window_start");
    }

    @Override
    public void bind(PreparedStatement st, int b, Aggregate a) throws SQLException {
      st.setString(b + 1, a.source);
      st.setString(b + 2, a.seriesId);
      st.setString(b + 3, a.window);
      setTimestamp(st, b + 4, a.windowStart);
      setTimestamp(st, b + 5, a.windowEnd);
      st.setLong(b + 6, a.n);
      st.setLong(b + 7, a.missing);
      setDouble(st, b + 8, a.min);
      setDouble(st, b + 9, a.max);
      setDouble(st, b + 10, a.mean);
      setDouble(st, b + 11, a.first);
      setDouble(st, b + 12, a.last);
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
      return List.of("source", "origin", "locator", "series_id", "ts", "value", "vintage", "stage",
          "reason", "run_id");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "origin", "locator");
    }

    @Override
    public void bind(PreparedStatement st, int b, Reject r) throws SQLException {
      st.setString(b + 1, r.record.source);
      st.setString(b + 2, r.record.origin);
      st.setString(b + 3, r.record.locator);
      setString(st, b + 4, clean(r.record.seriesId));
      setString(st, b + 5, clean(r.record.ts));
      setString(st, b + 6, clean(r.record.value));
      setString(st, b + 7, clean(r.record.vintage));
      st.setString(b + 8, r.stage);
      st.setString(b + 9, clean(r.reason));
      st.setString(b + 10, runId);
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
      return List.of("source", "series_id", "title", "units", "frequency", "seasonal_adjustment",
          "last_updated", "first_ts", "last_ts");
    }

    @Override
    public List<String> keyColumns() {
      return List.of("source", "series_id");
    }

    /** Metadata is kept when a run has none; the span only grows. */
    @Override
    protected String onConflictSet(String c) {
      switch (c) {
        case "first_ts":
          return q(c) + " = LEAST(EXCLUDED." + q(c) + ", \"series\"." + q(c) + ")";
        case "last_ts":
          return q(c) + " = GREATEST(EXCLUDED." + q(c) + ", \"series\"." + q(c) + ")";
        default:
          return q(c) + " = COALESCE(EXCLUDED." + q(c) + ", \"series\"." + q(c) + ")";
      }
    }

    @Override
    public void bind(PreparedStatement st, int b, SeriesRow s) throws SQLException {
      st.setString(b + 1, s.source);
      st.setString(b + 2, s.seriesId);
      setString(st, b + 3, s.title);
      setString(st, b + 4, s.units);
      setString(st, b + 5, s.frequency);
      setString(st, b + 6, s.seasonalAdjustment);
      setString(st, b + 7, s.lastUpdated);
      if (s.firstTs == null) {
        st.setNull(b + 8, Types.TIMESTAMP_WITH_TIMEZONE);
        st.setNull(b + 9, Types.TIMESTAMP_WITH_TIMEZONE);
      } else {
        setTimestamp(st, b + 8, s.firstTs);
        setTimestamp(st, b + 9, s.lastTs);
      }
    }
  }
}

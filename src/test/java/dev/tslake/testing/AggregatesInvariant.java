package dev.tslake.testing;

import dev.tslake.warehouse.WarehouseSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The invariant every run must leave behind, checked by SQL that runs unchanged on PostgreSQL and
 * DuckDB: each stored {@code aggregates} row equals the statistics of the stored observations
 * inside its bounds, every stored observation lies in a stored aggregate of each window size its
 * source asks for (n, missing, min, max, mean, stddev, first, last), and each {@code series} row
 * spans exactly its stored observations.
 */
public final class AggregatesInvariant {
  private AggregatesInvariant() {}

  /** Aggregate rows whose statistics differ from their observations', as readable text. */
  public static List<String> staleAggregates(WarehouseSpec spec) {
    String inWindow =
        " FROM observations o WHERE o.source = a.source AND o.series_id = a.series_id"
            + " AND o.ts >= a.window_start AND o.ts < a.window_end";
    String sql =
        "SELECT * FROM (SELECT a.source, a.series_id, a.\"window\", a.window_start, a.n, a.missing,"
            + " a.\"min\", a.\"max\", a.mean, a.\"first\", a.\"last\", a.stddev,"
            + " (SELECT count(o.\"value\")"
            + inWindow
            + ") AS n_obs,"
            + " (SELECT count(*) - count(o.\"value\")"
            + inWindow
            + ") AS missing_obs,"
            + " (SELECT min(o.\"value\")"
            + inWindow
            + ") AS min_obs,"
            + " (SELECT max(o.\"value\")"
            + inWindow
            + ") AS max_obs,"
            + " (SELECT avg(o.\"value\")"
            + inWindow
            + ") AS mean_obs,"
            + " (SELECT stddev_samp(o.\"value\")"
            + inWindow
            + ") AS stddev_obs,"
            + " (SELECT o.\"value\""
            + inWindow
            + " AND o.\"value\" IS NOT NULL ORDER BY o.ts LIMIT 1) AS first_obs,"
            + " (SELECT o.\"value\""
            + inWindow
            + " AND o.\"value\" IS NOT NULL ORDER BY o.ts DESC LIMIT 1) AS last_obs"
            + " FROM aggregates a) x"
            + " WHERE n <> n_obs OR missing <> missing_obs"
            + " OR \"min\" IS DISTINCT FROM min_obs OR \"max\" IS DISTINCT FROM max_obs"
            + " OR \"first\" IS DISTINCT FROM first_obs OR \"last\" IS DISTINCT FROM last_obs"
            + " OR (mean IS NULL) <> (mean_obs IS NULL)"
            + " OR abs(mean - mean_obs) > 1e-9 * greatest(1.0, abs(mean_obs))"
            + " OR (stddev IS NULL) <> (stddev_obs IS NULL)"
            // the database's float stddev_samp is the reference; ours is exact
            + " OR abs(stddev - stddev_obs) > 1e-6 * greatest(1.0, abs(mean_obs))"
            + " ORDER BY source, series_id, \"window\", window_start";
    return WarehouseDump.rows(spec, sql);
  }

  /** Observations that no aggregate of {@code window} covers, for sources asking for it. */
  public static List<String> uncovered(WarehouseSpec spec, String source, String window) {
    return WarehouseDump.rows(
        spec,
        "SELECT o.source, o.series_id, o.ts FROM observations o WHERE o.source = '"
            + source
            + "' AND NOT EXISTS (SELECT 1 FROM aggregates a WHERE a.source = o.source"
            + " AND a.series_id = o.series_id AND a.\"window\" = '"
            + window
            + "' AND o.ts >= a.window_start AND o.ts < a.window_end) ORDER BY 1, 2, 3");
  }

  /** Series rows whose first/last timestamps are not their observations' span. */
  public static List<String> staleSeriesSpans(WarehouseSpec spec) {
    return WarehouseDump.rows(
        spec,
        "SELECT s.source, s.series_id, s.first_ts, s.last_ts, x.lo, x.hi FROM series s"
            + " JOIN (SELECT source, series_id, min(ts) AS lo, max(ts) AS hi FROM observations"
            + " GROUP BY source, series_id) x ON x.source = s.source AND x.series_id = s.series_id"
            + " WHERE s.first_ts IS DISTINCT FROM x.lo OR s.last_ts IS DISTINCT FROM x.hi"
            + " ORDER BY 1, 2");
  }

  /**
   * Every violation, one line each; empty when the warehouse is consistent. {@code windows}: the
   * window sizes per source name.
   */
  public static List<String> violations(WarehouseSpec spec, Map<String, List<String>> windows) {
    List<String> out = new ArrayList<>();
    for (String row : staleAggregates(spec)) {
      out.add("aggregate differs from its observations: " + row);
    }
    for (Map.Entry<String, List<String>> e : windows.entrySet()) {
      for (String w : e.getValue()) {
        for (String row : uncovered(spec, e.getKey(), w)) {
          out.add("observation in no " + w + " aggregate: " + row);
        }
      }
    }
    for (String row : staleSeriesSpans(spec)) {
      out.add("series span differs from its observations: " + row);
    }
    return out;
  }
}

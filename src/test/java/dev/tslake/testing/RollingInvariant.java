package dev.tslake.testing;

import dev.tslake.warehouse.WarehouseSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code rolling} must hold after every run, checked by SQL that runs unchanged on PostgreSQL
 * and DuckDB: for each rolling window of a source, exactly one row per stored observation with a
 * value, and each row equals the statistics of the stored values in {@code (ts - window, ts]}.
 */
public final class RollingInvariant {
  private RollingInvariant() {}

  /**
   * Every violation, one line each; empty when consistent. {@code windows}: per source, window name
   * to length in seconds.
   */
  public static List<String> violations(
      WarehouseSpec spec, Map<String, Map<String, Long>> windows) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Long>> s : windows.entrySet()) {
      for (Map.Entry<String, Long> w : s.getValue().entrySet()) {
        String source = s.getKey();
        String window = w.getKey();
        String in =
            " FROM observations o WHERE o.source = r.source AND o.series_id = r.series_id"
                + " AND o.ts > r.ts - INTERVAL '"
                + w.getValue()
                + " seconds' AND o.ts <= r.ts";
        for (String row :
            WarehouseDump.rows(
                spec,
                "SELECT * FROM (SELECT r.series_id, r.ts, r.n, r.mean, r.stddev, r.\"min\","
                    + " r.\"max\", (SELECT count(o.\"value\")"
                    + in
                    + ") AS n_obs, (SELECT avg(o.\"value\")"
                    + in
                    + ") AS mean_obs, (SELECT stddev_samp(o.\"value\")"
                    + in
                    + ") AS stddev_obs, (SELECT min(o.\"value\")"
                    + in
                    + ") AS min_obs, (SELECT max(o.\"value\")"
                    + in
                    + ") AS max_obs FROM rolling r WHERE r.source = '"
                    + source
                    + "' AND r.\"window\" = '"
                    + window
                    + "') x WHERE n <> n_obs OR \"min\" IS DISTINCT FROM min_obs"
                    + " OR \"max\" IS DISTINCT FROM max_obs"
                    + " OR abs(mean - mean_obs) > 1e-9 * greatest(1.0, abs(mean_obs))"
                    + " OR (stddev IS NULL) <> (stddev_obs IS NULL)"
                    + " OR abs(stddev - stddev_obs) > 1e-6 * greatest(1.0, abs(mean_obs))"
                    + " ORDER BY 1, 2")) {
          out.add(window + " row differs from its observations: " + row);
        }
        for (String row :
            WarehouseDump.rows(
                spec,
                "SELECT o.series_id, o.ts FROM observations o WHERE o.source = '"
                    + source
                    + "' AND o.\"value\" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rolling r"
                    + " WHERE r.source = o.source AND r.series_id = o.series_id AND r.\"window\" = '"
                    + window
                    + "' AND r.ts = o.ts) ORDER BY 1, 2")) {
          out.add("observation without a " + window + " row: " + row);
        }
        for (String row :
            WarehouseDump.rows(
                spec,
                "SELECT r.series_id, r.ts FROM rolling r WHERE r.source = '"
                    + source
                    + "' AND r.\"window\" = '"
                    + window
                    + "' AND NOT EXISTS (SELECT 1 FROM observations o WHERE o.source = r.source"
                    + " AND o.series_id = r.series_id AND o.ts = r.ts AND o.\"value\" IS NOT NULL)"
                    + " ORDER BY 1, 2")) {
          out.add(window + " row without an observation with a value: " + row);
        }
      }
    }
    return out;
  }
}

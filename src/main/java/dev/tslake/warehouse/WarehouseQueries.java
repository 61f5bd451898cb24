package dev.tslake.warehouse;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the launcher does before the graph is built (read-only; the transaction is rolled back).
 */
public final class WarehouseQueries {
  private WarehouseQueries() {}

  /**
   * Per live FRED series, the date through which earlier runs fetched it completely ({@code
   * fetch_state}), for incremental fetches; keys are {@code source + '\0' + series_id}, as {@code
   * RequestPlanner} expects. Not {@code max(ts)} of {@code observations}: a run that lost a page
   * loaded what came after the hole, and the next run must fetch from before it.
   */
  public static Map<String, LocalDate> fetchedThrough(
      WarehouseSpec warehouse, PipelineConfig config) {
    Map<String, LocalDate> out = new HashMap<>();
    try (Connection c = warehouse.open();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT series_id, CAST(complete_through AS TEXT) FROM fetch_state WHERE source = ?")) {
      for (SourceConfig s : config.sources) {
        if (!s.isLive() || s.type != SourceType.FRED) {
          continue;
        }
        st.setString(1, s.name);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            String through = rs.getString(2);
            if (through != null) {
              out.put(s.name + '\u0000' + rs.getString(1), LocalDate.parse(through));
            }
          }
        }
      }
      c.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot read fetch_state (where incremental fetches start) from "
              + warehouse.describe()
              + ": "
              + e.getMessage(),
          e);
    }
    return out;
  }
}

package dev.tslake.warehouse;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the launcher does before the graph is built (read-only; the transaction is rolled back).
 */
public final class WarehouseQueries {
  private WarehouseQueries() {}

  /**
   * Newest loaded observation date per live FRED series, for incremental fetches; keys are {@code
   * source + '\0' + series_id}, as {@code RequestPlanner} expects.
   */
  public static Map<String, LocalDate> newestLoaded(
      WarehouseSpec warehouse, PipelineConfig config) {
    Map<String, LocalDate> out = new HashMap<>();
    try (Connection c = warehouse.open();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT series_id, max(ts) FROM observations WHERE source = ? GROUP BY series_id")) {
      for (SourceConfig s : config.sources) {
        if (!s.isLive() || s.type != SourceType.FRED) {
          continue;
        }
        st.setString(1, s.name);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            OffsetDateTime newest = rs.getObject(2, OffsetDateTime.class);
            if (newest != null) {
              out.put(
                  s.name + '\u0000' + rs.getString(1),
                  newest.atZoneSameInstant(ZoneOffset.UTC).toLocalDate());
            }
          }
        }
      }
      c.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot read the newest loaded observations from "
              + warehouse.describe()
              + ": "
              + e.getMessage(),
          e);
    }
    return out;
  }
}

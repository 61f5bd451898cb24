package dev.tslake.testing;

import dev.tslake.warehouse.WarehouseSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a warehouse table into comparable text rows, the same way for PostgreSQL and DuckDB:
 * timestamps as UTC instants, doubles by their exact Java text, so two warehouses holding the same
 * data give equal lists.
 */
public final class WarehouseDump {
  private WarehouseDump() {}

  public static List<String> rows(WarehouseSpec spec, String sql) {
    List<String> out = new ArrayList<>();
    try (Connection c = spec.open();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          if (i > 1) {
            row.append(" | ");
          }
          row.append(cell(rs, i, md.getColumnTypeName(i)));
        }
        out.add(row.toString());
      }
      c.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read " + sql + " from " + spec.describe(), e);
    }
    return out;
  }

  private static String cell(ResultSet rs, int i, String type) throws SQLException {
    String t = type.toLowerCase(Locale.ROOT);
    if (t.contains("timestamp")) {
      OffsetDateTime v = rs.getObject(i, OffsetDateTime.class);
      return v == null ? "null" : v.toInstant().toString();
    }
    if (t.contains("float") || t.contains("double")) {
      double v = rs.getDouble(i);
      return rs.wasNull() ? "null" : Double.toString(v);
    }
    if (t.contains("int")) {
      long v = rs.getLong(i);
      return rs.wasNull() ? "null" : Long.toString(v);
    }
    String v = rs.getString(i);
    return v == null ? "null" : v;
  }

  public static List<String> observations(WarehouseSpec spec) {
    return rows(
        spec,
        "SELECT source, series_id, ts, \"value\", vintage, origin, locator"
            + " FROM observations ORDER BY source, series_id, ts");
  }

  public static List<String> aggregates(WarehouseSpec spec) {
    return rows(
        spec,
        "SELECT source, series_id, \"window\", window_start, window_end, n, missing,"
            + " \"min\", \"max\", mean, \"first\", \"last\", stddev FROM aggregates"
            + " ORDER BY source, series_id, \"window\", window_start");
  }

  public static List<String> rolling(WarehouseSpec spec) {
    return rows(
        spec,
        "SELECT source, series_id, \"window\", ts, n, mean, stddev, \"min\", \"max\" FROM rolling"
            + " ORDER BY source, series_id, \"window\", ts");
  }

  public static long count(WarehouseSpec spec, String sqlCount) {
    return Long.parseLong(rows(spec, sqlCount).get(0));
  }
}

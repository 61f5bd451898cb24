package dev.tslake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Needs the server from runners/postgres/start.sh: fails under CI=true without it, else skips. */
@Tag("integration")
class PostgresSupportTest {

  @Test
  void freshSchemaIsolatesTablesAndIsDropped() throws SQLException {
    String schemaName;
    try (PostgresSupport.TestSchema schema = PostgresSupport.freshSchema("support test")) {
      schemaName = schema.name();
      assertTrue(schemaName.matches("t_support_test_[0-9a-f]{10}"), schemaName);
      assertTrue(schema.url().endsWith("currentSchema=" + schemaName), schema.url());

      try (Connection c = schema.connect()) {
        try (Statement st = c.createStatement()) {
          // Unqualified name: must land in the fresh schema via currentSchema.
          st.execute("CREATE TABLE readings (series TEXT NOT NULL, v DOUBLE PRECISION NOT NULL)");
        }
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO readings VALUES (?, ?)")) {
          for (int i = 1; i <= 3; i++) {
            ins.setString(1, "s" + i);
            ins.setDouble(2, i * 1.5);
            ins.addBatch();
          }
          ins.executeBatch();
        }
        List<String> rows = new ArrayList<>();
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT series, v FROM readings ORDER BY series")) {
          while (rs.next()) {
            rows.add(rs.getString(1) + "=" + rs.getDouble(2));
          }
        }
        assertEquals(List.of("s1=1.5", "s2=3.0", "s3=4.5"), rows);
        assertEquals(schemaName, tableSchema(c, "readings"));
      }
    }

    try (Connection c = PostgresSupport.connectOrFail();
        PreparedStatement ps =
            c.prepareStatement("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")) {
      ps.setString(1, schemaName);
      try (ResultSet rs = ps.executeQuery()) {
        assertFalse(rs.next(), "schema " + schemaName + " should have been dropped");
      }
    }
  }

  @Test
  void freshSchemaUrlAndDropSchemaByUrl() throws SQLException {
    String url = PostgresSupport.freshSchemaUrl("by_url");
    try (Connection c = PostgresSupport.connectOrFail(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_schema()")) {
      assertTrue(rs.next());
      assertEquals(PostgresSupport.schemaOf(url), rs.getString(1));
    } finally {
      PostgresSupport.dropSchema(url);
    }
  }

  private static String tableSchema(Connection c, String table) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = ?")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "table " + table + " not found");
        String schema = rs.getString(1);
        assertFalse(rs.next(), "table " + table + " exists in more than one schema");
        return schema;
      }
    }
  }
}

package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.model.LatestStat;
import dev.tslake.testing.PostgresSupport;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code latest}: created on both databases; a row never replaces a newer one. */
class LatestTableTest {
  private static final long T = 1_780_000_000_000L;

  private static LatestStat row(long asOf, double mean, long updatedAt) {
    return new LatestStat(
        "s", "x", "PT1H", asOf, 3, mean, 1.0, 0.0, 2.0 * mean, 0.5, 1.5, updatedAt);
  }

  private static List<String> dump(WarehouseSpec spec) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = spec.open();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT source, series_id, \"trailing\", as_of, n, mean, \"first\", \"last\""
                    + " FROM latest ORDER BY source, series_id")) {
      while (rs.next()) {
        out.add(
            rs.getString(1)
                + "/"
                + rs.getString(2)
                + " "
                + rs.getString(3)
                + " "
                + rs.getObject(4, java.time.OffsetDateTime.class).toInstant().toEpochMilli()
                + " "
                + rs.getLong(5)
                + " "
                + rs.getDouble(6));
      }
      c.rollback();
    }
    return out;
  }

  private static void write(WarehouseSpec spec, boolean merge, LatestStat... rows)
      throws Exception {
    try (BatchWriter<LatestStat> w = new BatchWriter<>(spec, Tables.latest(), merge, false)) {
      w.write(List.of(rows));
    }
  }

  private static void keepsTheNewest(WarehouseSpec spec, boolean merge) throws Exception {
    WarehouseSchema.ensure(spec);
    write(spec, merge, row(T, 1.0, T + 10));
    write(spec, merge, row(T + 60_000, 2.0, T + 20)); // newer as_of
    write(spec, merge, row(T, 3.0, T + 30)); // older as_of, written later: ignored
    write(spec, merge, row(T + 60_000, 4.0, T + 15)); // same as_of, computed earlier: ignored
    assertEquals(List.of("s/x PT1H " + (T + 60_000) + " 3 2.0"), dump(spec));
    write(spec, merge, row(T + 60_000, 5.0, T + 40)); // same as_of, computed later: replaces
    assertEquals(List.of("s/x PT1H " + (T + 60_000) + " 3 5.0"), dump(spec));
  }

  @Test
  void duckDb(@TempDir Path dir) throws Exception {
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("w.duckdb"), null, null);
    try {
      keepsTheNewest(spec, true);
    } finally {
      spec.release();
    }
  }

  @Test
  @Tag("integration")
  void postgres() throws Exception {
    for (boolean merge : new boolean[] {true, false}) {
      WarehouseSpec spec =
          new WarehouseSpec(
              PostgresSupport.freshSchemaUrl("latest"),
              PostgresSupport.user(),
              PostgresSupport.password());
      keepsTheNewest(spec, merge);
    }
  }
}

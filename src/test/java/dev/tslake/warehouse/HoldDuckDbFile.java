package dev.tslake.warehouse;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * A second process for {@link DuckDbInUseTest}: opens the DuckDB file given as its argument, prints
 * "held", and keeps it open until its standard input closes.
 */
public final class HoldDuckDbFile {
  private HoldDuckDbFile() {}

  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + args[0]);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS held (x INTEGER)");
      System.out.println("held");
      System.out.flush();
      while (System.in.read() >= 0) {
        // until the test closes our stdin (or dies)
      }
    }
  }
}

package dev.tslake.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The second, disposable PostgreSQL cluster that fault tests restart ({@code pg_ctlcluster ...
 * restart}); the shared one on 5432 must never be restarted under other tests. Started by {@code
 * TSLAKE_PG_PORT=5433 TSLAKE_PG_CLUSTER=faults runners/postgres/start.sh} ({@code .ci/run} does).
 *
 * <p>Env: {@code TSLAKE_PG_FAULTS_PORT} (5433), {@code TSLAKE_PG_FAULTS_CLUSTER} (faults), {@code
 * TSLAKE_PG_FAULTS_VERSION} (newest under /usr/lib/postgresql). Unreachable: fails under CI, skips
 * otherwise, as {@link PostgresSupport}.
 */
public final class PostgresFaults {
  private PostgresFaults() {}

  public static int port() {
    return Integer.parseInt(env("TSLAKE_PG_FAULTS_PORT", "5433"));
  }

  public static String cluster() {
    return env("TSLAKE_PG_FAULTS_CLUSTER", "faults");
  }

  public static String version() {
    String v = System.getenv("TSLAKE_PG_FAULTS_VERSION");
    if (v != null && !v.isBlank()) {
      return v;
    }
    try (Stream<Path> dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
      return dirs.map(p -> p.getFileName().toString())
          .filter(s -> s.matches("\\d+"))
          .max(Comparator.comparingInt(Integer::parseInt))
          .orElse("15");
    } catch (IOException e) {
      return "15";
    }
  }

  /** The test database of the faults cluster. */
  public static String url() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/tslake_test";
  }

  /** A fresh schema on the faults cluster: its URL; drop with {@link #dropSchema}. */
  public static String freshSchemaUrl(String prefix) {
    String name = PostgresSupport.schemaName(prefix);
    try (Connection c = connectOrSkip(url());
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create schema " + name + " at " + url(), e);
    }
    return PostgresSupport.urlWithSchema(url(), name);
  }

  public static void dropSchema(String schemaUrl) {
    String name = PostgresSupport.schemaOf(schemaUrl);
    try (Connection c = connect(url());
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("could not drop schema " + name, e);
    }
  }

  public static Connection connect(String url) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", PostgresSupport.user());
    p.setProperty("password", PostgresSupport.password());
    p.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(url, p);
  }

  private static Connection connectOrSkip(String url) {
    try {
      return connect(url);
    } catch (SQLException e) {
      String message =
          "the faults PostgreSQL cluster is not reachable at "
              + url
              + " ("
              + e.getMessage()
              + "). Start it with `TSLAKE_PG_PORT="
              + port()
              + " TSLAKE_PG_CLUSTER="
              + cluster()
              + " runners/postgres/start.sh` (root).";
      if (PostgresSupport.isCi()) {
        throw new AssertionError("required under CI (CI=true): " + message, e);
      }
      Assumptions.abort("Skipping: " + message);
      throw new AssertionError("unreachable");
    }
  }

  /** {@code pg_ctlcluster <version> <cluster> restart -m fast}; throws unless it exits 0. */
  public static void restart() throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("pg_ctlcluster", version(), cluster(), "restart", "-m", "fast")
            .redirectErrorStream(true)
            .redirectOutput(new File("target/pg-faults-restart.log"))
            .start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(
          "pg_ctlcluster "
              + version()
              + " "
              + cluster()
              + " restart failed; see"
              + " target/pg-faults-restart.log");
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}

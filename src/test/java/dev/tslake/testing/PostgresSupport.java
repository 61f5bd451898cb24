package dev.tslake.testing;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Test helper for tests that need the PostgreSQL server started by {@code
 * runners/postgres/start.sh}.
 *
 * <p>Connection settings come from the environment (what {@code .ci/run} exports):
 *
 * <ul>
 *   <li>{@code TSLAKE_PG_URL}, default {@code jdbc:postgresql://127.0.0.1:5432/tslake_test}
 *   <li>{@code TSLAKE_PG_USER}, default {@code tslake}
 *   <li>{@code TSLAKE_PG_PASSWORD}, default {@code tslake}
 * </ul>
 *
 * <p>If the server cannot be reached: under CI ({@code CI=true}) the calling test <b>fails</b> with
 * an {@link AssertionError} (a missing database must never turn into silently skipped tests);
 * locally the test is <b>aborted</b> (reported as skipped) with a message saying how to start it.
 *
 * <p>Isolation: {@link #freshSchema(String)} creates a uniquely named schema and gives a JDBC URL
 * with {@code currentSchema=<schema>}, so unqualified table names used by the code under test land
 * in that schema. Drop it afterwards ({@link TestSchema#close()} / {@link #dropSchema(String)}).
 *
 * <pre>{@code
 * try (PostgresSupport.TestSchema schema = PostgresSupport.freshSchema("warehouse")) {
 *   runPipelineWritingTo(schema.url(), PostgresSupport.user(), PostgresSupport.password());
 *   try (Connection c = schema.connect()) { ... }
 * }
 * }</pre>
 */
public final class PostgresSupport {

  public static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/tslake_test";
  public static final String DEFAULT_USER = "tslake";
  public static final String DEFAULT_PASSWORD = "tslake";

  private static final int CONNECT_TIMEOUT_SECONDS = 5;
  private static final SecureRandom RANDOM = new SecureRandom();

  private PostgresSupport() {}

  /** Base JDBC URL ({@code TSLAKE_PG_URL} or the default). */
  public static String url() {
    return env("TSLAKE_PG_URL", DEFAULT_URL);
  }

  public static String user() {
    return env("TSLAKE_PG_USER", DEFAULT_USER);
  }

  public static String password() {
    return env("TSLAKE_PG_PASSWORD", DEFAULT_PASSWORD);
  }

  /** True when running under CI ({@code CI=true}), where PostgreSQL is mandatory. */
  public static boolean isCi() {
    String ci = System.getenv("CI");
    return ci != null && (ci.equalsIgnoreCase("true") || ci.equals("1"));
  }

  /**
   * Connects to {@link #url()}. If that fails: throws {@link AssertionError} under CI, otherwise
   * aborts (skips) the current test. Never returns null.
   */
  public static Connection connectOrFail() {
    return connectOrFail(url());
  }

  /** Like {@link #connectOrFail()} for a given URL, e.g. {@link TestSchema#url()}. */
  public static Connection connectOrFail(String jdbcUrl) {
    try {
      return connect(jdbcUrl);
    } catch (SQLException e) {
      throw unavailable(jdbcUrl, e);
    }
  }

  /** Fails (CI) or skips (local) the current test unless the server is reachable. */
  public static void requireServer() {
    try (Connection ignored = connectOrFail()) {
      // reachable
    } catch (SQLException e) {
      throw new IllegalStateException("closing probe connection failed", e);
    }
  }

  /** Plain connect with the configured user/password; no skipping or failing policy. */
  public static Connection connect(String jdbcUrl) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user());
    props.setProperty("password", password());
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("loginTimeout", Integer.toString(2 * CONNECT_TIMEOUT_SECONDS));
    return DriverManager.getConnection(jdbcUrl, props);
  }

  /**
   * Creates a fresh, uniquely named schema {@code t_<prefix>_<random>} (prefix lower-cased, non
   * {@code [a-z0-9_]} characters replaced by {@code _}). Fails/skips like {@link #connectOrFail()}
   * when the server is unreachable.
   */
  public static TestSchema freshSchema(String prefix) {
    String name = schemaName(prefix);
    try (Connection c = connectOrFail();
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create schema " + name + " at " + url(), e);
    }
    return new TestSchema(name, urlWithSchema(url(), name));
  }

  /** Shorthand for {@code freshSchema(prefix).url()}; drop with {@link #dropSchema(String)}. */
  public static String freshSchemaUrl(String prefix) {
    return freshSchema(prefix).url();
  }

  /**
   * Drops a schema (and everything in it) if it exists. Accepts a schema name or a URL returned by
   * {@link #freshSchemaUrl(String)}.
   */
  public static void dropSchema(String schemaOrUrl) {
    String name = schemaOrUrl.startsWith("jdbc:") ? schemaOf(schemaOrUrl) : schemaOrUrl;
    if (!name.matches("[a-z0-9_]+")) {
      throw new IllegalArgumentException("not a test schema name: " + name);
    }
    try (Connection c = connect(url());
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("could not drop schema " + name + " at " + url(), e);
    }
  }

  /** {@code base} with {@code currentSchema=<schema>} (replacing any existing currentSchema). */
  public static String urlWithSchema(String base, String schema) {
    String stripped = base.replaceAll("([?&])currentSchema=[^&]*&?", "$1");
    if (stripped.endsWith("?") || stripped.endsWith("&")) {
      return stripped + "currentSchema=" + schema;
    }
    return stripped + (stripped.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  static String schemaOf(String jdbcUrl) {
    Matcher m = Pattern.compile("[?&]currentSchema=([^&]*)").matcher(jdbcUrl);
    if (!m.find()) {
      throw new IllegalArgumentException("URL has no currentSchema parameter: " + jdbcUrl);
    }
    return m.group(1);
  }

  static String schemaName(String prefix) {
    String clean =
        prefix == null ? "" : prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (clean.length() > 40) {
      clean = clean.substring(0, 40);
    }
    byte[] bytes = new byte[5];
    RANDOM.nextBytes(bytes);
    return "t_" + (clean.isEmpty() ? "" : clean + "_") + HexFormat.of().formatHex(bytes);
  }

  /** Always throws: AssertionError under CI, TestAbortedException (skip) otherwise. */
  private static RuntimeException unavailable(String jdbcUrl, SQLException e) {
    String message =
        "PostgreSQL is not reachable at "
            + jdbcUrl
            + " as user '"
            + user()
            + "' ("
            + e.getClass().getSimpleName()
            + (e.getSQLState() != null ? " SQLState " + e.getSQLState() : "")
            + ": "
            + e.getMessage()
            + "). Start it with `sudo runners/postgres/start.sh` (creates role tslake/tslake and"
            + " databases tslake, tslake_test) or point TSLAKE_PG_URL / TSLAKE_PG_USER /"
            + " TSLAKE_PG_PASSWORD at a server.";
    if (isCi()) {
      AssertionError error =
          new AssertionError("PostgreSQL is required under CI (CI=true). " + message);
      error.initCause(e);
      throw error;
    }
    Assumptions.abort("Skipping: " + message + " (Under CI=true this is a failure.)");
    throw new AssertionError("unreachable"); // abort() always throws
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  /** A fresh schema and the JDBC URL selecting it; {@link #close()} drops it. */
  public record TestSchema(String name, String url) implements AutoCloseable {

    /** Connects with {@code currentSchema} set to this schema. */
    public Connection connect() {
      return connectOrFail(url);
    }

    @Override
    public void close() {
      dropSchema(name);
    }
  }
}

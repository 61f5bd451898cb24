package dev.tslake.warehouse;

import java.io.Serializable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.duckdb.DuckDBConnection;

/**
 * Where the warehouse is and how to reach it. PostgreSQL gets a new connection per worker thread;
 * an embedded DuckDB file can be opened by only one process, so all writers in this JVM share one
 * database instance and write through duplicated connections, one at a time.
 */
public final class WarehouseSpec implements Serializable {
  public enum Dialect {
    POSTGRES,
    DUCKDB
  }

  private static final Map<String, DuckDBConnection> DUCKDB_INSTANCES = new HashMap<>();

  public final String url;
  private final @Nullable String user;
  private final @Nullable String password;
  public final Dialect dialect;

  public WarehouseSpec(String url, @Nullable String user, @Nullable String password) {
    this.url = normalize(url);
    this.user = blankToNull(user);
    this.password = blankToNull(password);
    this.dialect = dialectOf(url);
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  static Dialect dialectOf(String url) {
    String u = url.toLowerCase(Locale.ROOT);
    if (u.startsWith("jdbc:postgresql:")) {
      return Dialect.POSTGRES;
    }
    if (u.startsWith("jdbc:duckdb:")) {
      return Dialect.DUCKDB;
    }
    throw new IllegalArgumentException(
        "warehouse URL "
            + redact(url)
            + " is not supported: use"
            + " jdbc:postgresql://host:port/db or jdbc:duckdb:/path/to/file.duckdb");
  }

  /** DuckDB file paths are made absolute, so every worker thread opens the same database. */
  private static String normalize(String url) {
    if (dialectOf(url) != Dialect.DUCKDB) {
      return url;
    }
    String path = url.substring("jdbc:duckdb:".length());
    if (path.isEmpty() || path.startsWith(":memory:") || path.contains("?")) {
      return url;
    }
    return "jdbc:duckdb:" + Path.of(path).toAbsolutePath().normalize();
  }

  /** The URL without credentials, for messages and logs. */
  public String describe() {
    return redact(url) + (user == null ? "" : " as " + user);
  }

  static String redact(String url) {
    return url.replaceAll("(?i)(password|passwd|pwd|secret|token|key)=[^&;]*", "$1=***");
  }

  /** Opens a connection with auto-commit off. */
  public Connection open() throws SQLException {
    Connection c;
    if (dialect == Dialect.DUCKDB) {
      synchronized (DUCKDB_INSTANCES) {
        DuckDBConnection base = DUCKDB_INSTANCES.get(url);
        if (base == null || base.isClosed()) {
          base = (DuckDBConnection) DriverManager.getConnection(url);
          DUCKDB_INSTANCES.put(url, base);
        }
        c = base.duplicate();
      }
    } else {
      Properties props = new Properties();
      if (user != null) {
        props.setProperty("user", user);
      }
      if (password != null) {
        props.setProperty("password", password);
      }
      // Lets pgjdbc send a batch of upserts as multi-row statements.
      props.setProperty("reWriteBatchedInserts", "true");
      props.setProperty("ApplicationName", "tslake");
      try {
        c = DriverManager.getConnection(url, props);
      } catch (SQLException e) {
        throw new SQLException(
            "cannot connect to warehouse " + describe() + ": " + e.getMessage(),
            e.getSQLState(),
            e);
      }
    }
    c.setAutoCommit(false);
    return c;
  }

  /** Object that serializes writes to one embedded database; null for a server database. */
  @Nullable Object writeLock() {
    if (dialect != Dialect.DUCKDB) {
      return null;
    }
    synchronized (DUCKDB_INSTANCES) {
      return DUCKDB_INSTANCES.get(url);
    }
  }

  /** Closes the shared embedded database of this URL, so another process may open the file. */
  public void release() {
    if (dialect != Dialect.DUCKDB) {
      return;
    }
    synchronized (DUCKDB_INSTANCES) {
      DuckDBConnection base = DUCKDB_INSTANCES.remove(url);
      if (base != null) {
        try {
          base.close();
        } catch (SQLException e) {
          // already closed or broken; nothing left to release
        }
      }
    }
  }

  @Override
  public String toString() {
    return "WarehouseSpec{" + describe() + "}";
  }
}

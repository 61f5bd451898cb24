package dev.tslake.warehouse;

import dev.tslake.secret.SecretRef;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where the warehouse is and how to reach it; what differs between databases is in its {@link
 * Dialect}, chosen from the URL. PostgreSQL gets a new connection per worker thread; an embedded
 * DuckDB file can be opened by only one process, so all writers in this JVM share one database
 * instance and write through duplicated connections, one at a time.
 *
 * <p>The password is held as a {@link SecretRef} (where it is, never the value), so a serialized
 * spec, which every loading DoFn carries, holds no secret; the value is read when a connection
 * opens.
 */
public final class WarehouseSpec implements Serializable {
  public final String url;
  private final @Nullable String user;
  private final @Nullable SecretRef password;
  public final Dialect dialect;
  private transient volatile @Nullable String resolvedPassword;

  /**
   * With a password given to this JVM: it stays in this JVM ({@link SecretRef#inThisJvm}), so the
   * spec works on runners that run the graph here (DirectRunner, Flink local; tests).
   */
  public WarehouseSpec(String url, @Nullable String user, @Nullable String password) {
    this(
        url,
        user,
        blankToNull(password) == null ? null : SecretRef.inThisJvm(password, "--warehousePassword"),
        Dialect.forUrl(url));
  }

  /** With the password read, when a connection opens, from where {@code password} says. */
  public static WarehouseSpec withPasswordFrom(
      String url, @Nullable String user, @Nullable SecretRef password) {
    return new WarehouseSpec(url, user, password, Dialect.forUrl(url));
  }

  private WarehouseSpec(
      String url, @Nullable String user, @Nullable SecretRef password, Dialect dialect) {
    this.dialect = dialect;
    this.url = dialect.normalizeUrl(url);
    this.user = blankToNull(user);
    this.password = password;
  }

  /** Where the password comes from (null: none); never its value. */
  public @Nullable SecretRef passwordRef() {
    return password;
  }

  private @Nullable String password() {
    if (password == null) {
      return null;
    }
    String p = resolvedPassword;
    if (p == null) {
      p = password.resolve();
      resolvedPassword = p;
    }
    return p;
  }

  /** The same warehouse written through another dialect object (the load benchmark). */
  WarehouseSpec withDialect(Dialect other) {
    return new WarehouseSpec(url, user, password, other);
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isEmpty() ? null : s;
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
    Connection c = dialect.open(url, user, password(), describe());
    c.setAutoCommit(false);
    return c;
  }

  /** Object that serializes writes to one embedded database; null for a server database. */
  @Nullable Object writeLock() {
    return dialect.writeLock(url);
  }

  /** Closes the shared embedded database of this URL, so another process may open the file. */
  public void release() {
    dialect.release(url);
  }

  @Override
  public String toString() {
    return "WarehouseSpec{" + describe() + "}";
  }
}

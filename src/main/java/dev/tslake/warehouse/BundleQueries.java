package dev.tslake.warehouse;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The read-only connection and prepared statements of a DoFn that queries the warehouse per element
 * ({@link ReadStoredObservations}, {@link ReadSpanNeighbours}, {@link ReadNewestStored}): opened at
 * the first query of a bundle; rolled back and closed at the end of the bundle, so no snapshot or
 * lock outlives it, and after a failed query, so a retried bundle starts on a fresh connection. Not
 * serializable: a DoFn makes it in {@code @Setup}.
 */
final class BundleQueries {
  private final WarehouseSpec warehouse;
  private final int fetchSize;
  private final String[] sql;
  private @Nullable Connection connection;
  private PreparedStatement @Nullable [] statements;

  /**
   * @param fetchSize rows per round trip for big results (0: the driver's default)
   * @param sql the statements, by index for {@link #statement}
   */
  BundleQueries(WarehouseSpec warehouse, int fetchSize, String... sql) {
    this.warehouse = warehouse;
    this.fetchSize = fetchSize;
    this.sql = sql.clone();
  }

  /** Statement {@code i} of the constructor's, prepared on this bundle's connection. */
  PreparedStatement statement(int i) throws SQLException {
    if (statements == null) {
      Connection c = warehouse.open();
      connection = c;
      PreparedStatement[] prepared = new PreparedStatement[sql.length];
      for (int k = 0; k < sql.length; k++) {
        prepared[k] = c.prepareStatement(sql[k]);
        if (fetchSize > 0) {
          prepared[k].setFetchSize(fetchSize);
        }
      }
      statements = prepared;
    }
    return statements[i];
  }

  /**
   * Closes the connection and returns the error to throw: {@code "cannot read <what> from
   * <warehouse>: <cause>"}.
   */
  SQLException failed(String what, SQLException cause) {
    close();
    return new SQLException(
        "cannot read " + what + " from " + warehouse.describe() + ": " + cause.getMessage(), cause);
  }

  /** Rolls back (the reads only) and closes the connection; the next query opens another. */
  void close() {
    Connection c = connection;
    connection = null;
    statements = null;
    if (c != null) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // read-only: nothing to undo
      }
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }
}

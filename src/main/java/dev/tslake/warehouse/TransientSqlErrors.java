package dev.tslake.warehouse;

import dev.tslake.retry.TransientClassifier;
import java.sql.SQLException;

/**
 * The warehouse's transient errors: connection errors (08), serialization failures (40001),
 * deadlocks (40P01), insufficient resources (53), server shutdown or restart (57P01-57P03).
 */
public final class TransientSqlErrors implements TransientClassifier<SQLException> {
  public static final TransientSqlErrors INSTANCE = new TransientSqlErrors();

  private TransientSqlErrors() {}

  @Override
  public boolean isTransient(SQLException e) {
    String state = e.getSQLState();
    if (state == null) {
      return false;
    }
    return state.startsWith("08")
        || state.equals("40001")
        || state.equals("40P01")
        || state.startsWith("53")
        || state.equals("57P01")
        || state.equals("57P02")
        || state.equals("57P03");
  }

  private Object readResolve() {
    return INSTANCE;
  }
}

package dev.tslake.warehouse;

import java.io.Serializable;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How rows of one type are upserted into one table: columns, key, binding, and what to do on
 * conflict. The generated {@code INSERT ... ON CONFLICT ... DO UPDATE} runs unchanged on
 * PostgreSQL and DuckDB.
 */
public abstract class Table<T> implements Serializable {
  public abstract String name();

  public abstract List<String> columns();

  public abstract List<String> keyColumns();

  /** Binds one row's values in {@link #columns()} order, from parameter {@code base + 1} on. */
  public abstract void bind(PreparedStatement st, int base, T row) throws SQLException;

  /** Binds one row at the start of a single-row statement. */
  public void bind(PreparedStatement st, T row) throws SQLException {
    bind(st, 0, row);
  }

  /** The SET expression of a non-key column on conflict; by default, the new value. */
  protected String onConflictSet(String column) {
    return q(column) + " = EXCLUDED." + q(column);
  }

  /** Optional condition that must hold for a conflicting row to be replaced. */
  protected @Nullable String onConflictWhere() {
    return null;
  }

  /** Upsert of one row. */
  public String upsertSql() {
    return upsertSql(1);
  }

  /**
   * Upsert of {@code rows} rows in one statement ({@code VALUES (...), (...)}): both databases
   * plan and execute it once, where a JDBC batch of single-row statements costs DuckDB a full
   * statement per row. Keys must be distinct within one statement.
   */
  public String upsertSql(int rows) {
    String cols = columns().stream().map(Table::q).collect(Collectors.joining(", "));
    String row = columns().stream().map(c -> "?").collect(Collectors.joining(", ", "(", ")"));
    String params = String.join(", ", java.util.Collections.nCopies(rows, row));
    String keys = keyColumns().stream().map(Table::q).collect(Collectors.joining(", "));
    String sets = columns().stream().filter(c -> !keyColumns().contains(c))
        .map(this::onConflictSet).collect(Collectors.joining(", "));
    String where = onConflictWhere();
    return "INSERT INTO " + q(name()) + " (" + cols + ") VALUES " + params + " ON CONFLICT ("
        + keys + ") DO UPDATE SET " + sets + (where == null ? "" : " WHERE " + where);
  }

  static String q(String identifier) {
    return '"' + identifier + '"';
  }

  static void setTimestamp(PreparedStatement st, int i, long epochMillis) throws SQLException {
    st.setObject(i, OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC));
  }

  static void setDouble(PreparedStatement st, int i, @Nullable Double v) throws SQLException {
    if (v == null) {
      st.setNull(i, Types.DOUBLE);
    } else {
      st.setDouble(i, v);
    }
  }

  static void setString(PreparedStatement st, int i, @Nullable String v) throws SQLException {
    if (v == null) {
      st.setNull(i, Types.VARCHAR);
    } else {
      st.setString(i, v);
    }
  }
}

package dev.tslake.warehouse;

import java.io.Serializable;
import java.sql.PreparedStatement;
import java.sql.SQLException;
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

  /**
   * One row's values in {@link #columns()} order: String, Long, Double, {@link Instant} (a
   * TIMESTAMPTZ) or null.
   */
  public abstract Object[] values(T row);

  /** Binds one row's values from parameter {@code base + 1} on. */
  public void bind(PreparedStatement st, int base, T row) throws SQLException {
    Object[] values = values(row);
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      int at = base + i + 1;
      if (v == null) {
        st.setObject(at, null);
      } else if (v instanceof Instant) {
        st.setObject(at, OffsetDateTime.ofInstant((Instant) v, ZoneOffset.UTC));
      } else if (v instanceof Double) {
        st.setDouble(at, (Double) v);
      } else if (v instanceof Long) {
        st.setLong(at, (Long) v);
      } else {
        st.setString(at, (String) v);
      }
    }
  }

  /** Binds one row at the start of a single-row statement. */
  public void bind(PreparedStatement st, T row) throws SQLException {
    bind(st, 0, row);
  }

  /**
   * Appends one row as PostgreSQL {@code COPY ... (FORMAT csv)} text: NULL is an empty unquoted
   * field, every string is quoted (so an empty string stays an empty string).
   */
  public void appendCopyRow(StringBuilder out, T row) {
    Object[] values = values(row);
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        out.append(',');
      }
      Object v = values[i];
      if (v == null) {
        continue;
      }
      if (v instanceof String) {
        String text = (String) v;
        out.append('"');
        for (int c = 0; c < text.length(); c++) {
          char ch = text.charAt(c);
          if (ch == '"') {
            out.append('"');
          }
          out.append(ch);
        }
        out.append('"');
      } else if (v instanceof Double) {
        // exact round trip: Java's shortest repr parses back to the same double in PostgreSQL
        out.append(((Double) v).doubleValue());
      } else {
        out.append(v);
      }
    }
    out.append('\n');
  }

  /** {@code INSERT ... SELECT} from a staging table with this table's conflict handling. */
  public String upsertFromSql(String staging) {
    String cols = columns().stream().map(Table::q).collect(Collectors.joining(", "));
    return "INSERT INTO " + q(name()) + " (" + cols + ") SELECT " + cols + " FROM " + q(staging)
        + conflictClause();
  }

  private String conflictClause() {
    String keys = keyColumns().stream().map(Table::q).collect(Collectors.joining(", "));
    String sets = columns().stream().filter(c -> !keyColumns().contains(c))
        .map(this::onConflictSet).collect(Collectors.joining(", "));
    String where = onConflictWhere();
    return " ON CONFLICT (" + keys + ") DO UPDATE SET " + sets
        + (where == null ? "" : " WHERE " + where);
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
    return "INSERT INTO " + q(name()) + " (" + cols + ") VALUES " + params + conflictClause();
  }

  static String q(String identifier) {
    return '"' + identifier + '"';
  }



}

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
 * conflict. The generated {@code INSERT ... ON CONFLICT ... DO UPDATE} runs unchanged on PostgreSQL
 * and DuckDB; PostgreSQL 15+ loads batches with the equivalent {@code MERGE}. Both leave a stored
 * row untouched unless the incoming one may replace it and changes it.
 */
public abstract class Table<T> implements Serializable {
  public abstract String name();

  public abstract List<String> columns();

  public abstract List<String> keyColumns();

  /**
   * One row's values in {@link #columns()} order: String, Long, Double, Boolean, {@link Instant} (a
   * TIMESTAMPTZ) or null.
   */
  public abstract Object[] values(T row);

  /** Binds one row's values from parameter {@code base + 1} on. */
  public void bind(PreparedStatement st, int base, T row) throws SQLException {
    Object[] values = values(row);
    for (int i = 0; i < values.length; i++) {
      bindValue(st, base + i + 1, values[i]);
    }
  }

  /** Binds one value of {@link #values} (String, Long, Double, Boolean, Instant or null). */
  static void bindValue(PreparedStatement st, int at, @Nullable Object v) throws SQLException {
    if (v == null) {
      st.setObject(at, null);
    } else if (v instanceof Instant) {
      st.setObject(at, OffsetDateTime.ofInstant((Instant) v, ZoneOffset.UTC));
    } else if (v instanceof Double) {
      st.setDouble(at, (Double) v);
    } else if (v instanceof Long) {
      st.setLong(at, (Long) v);
    } else if (v instanceof Boolean) {
      st.setBoolean(at, (Boolean) v);
    } else {
      st.setString(at, (String) v);
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

  /** The columns an upsert may change: all but the key. */
  public List<String> valueColumns() {
    return columns().stream().filter(c -> !keyColumns().contains(c)).collect(Collectors.toList());
  }

  /**
   * The value a non-key column takes when an incoming row replaces the stored one with its key; by
   * default the incoming value. {@code incoming} names the incoming row ({@code EXCLUDED} in an
   * {@code ON CONFLICT} clause, the source alias in a {@code MERGE}); the stored row is {@code
   * q(name())}.
   */
  protected String replacementValue(String column, String incoming) {
    return incoming + "." + q(column);
  }

  /**
   * The table's rule for when an incoming row may replace the stored row with its key (e.g. not
   * with an older vintage), or null when it always may.
   */
  protected @Nullable String replaceWhen(String incoming) {
    return null;
  }

  /**
   * {@code DOUBLE PRECISION} columns: SQL finds 0 and -0 equal, so for these "changed" also
   * compares the text of zeros (the only values that are equal but not the same).
   */
  protected List<String> doubleColumns() {
    return List.of();
  }

  /**
   * When a stored row is updated by an incoming one: the table's rule ({@link #replaceWhen}) holds
   * and the update would change at least one column. A row that would stay the same is not written
   * at all, so loading identical data again writes nothing. The same condition serves {@code ON
   * CONFLICT ... DO UPDATE ... WHERE} and {@code MERGE ... WHEN MATCHED AND}.
   */
  public String matchCondition(String incoming) {
    String stored = q(name());
    String changed =
        valueColumns().stream()
            .map(
                c -> {
                  String now = stored + "." + q(c);
                  String next = replacementValue(c, incoming);
                  String distinct = next + " IS DISTINCT FROM " + now;
                  if (!doubleColumns().contains(c)) {
                    return distinct;
                  }
                  return "("
                      + distinct
                      + " OR ("
                      + next
                      + " = 0 AND CAST("
                      + next
                      + " AS TEXT) <> CAST("
                      + now
                      + " AS TEXT)))";
                })
            .collect(Collectors.joining(" OR ", "(", ")"));
    String rule = replaceWhen(incoming);
    return rule == null ? changed : "(" + rule + ") AND " + changed;
  }

  /** {@code INSERT ... SELECT} from a staging table with this table's conflict handling. */
  public String upsertFromSql(String staging) {
    String cols = columns().stream().map(Table::q).collect(Collectors.joining(", "));
    return "INSERT INTO "
        + q(name())
        + " ("
        + cols
        + ") SELECT "
        + cols
        + " FROM "
        + q(staging)
        + conflictClause();
  }

  /**
   * {@code MERGE} from a staging table (PostgreSQL 15+): inserts new keys, updates a stored row
   * when {@link #matchCondition} holds. Same result as {@link #upsertFromSql} for a staging table
   * with distinct keys; unlike it, a key inserted concurrently by another transaction makes it fail
   * with a unique violation (23505), and rows it leaves alone are not even locked.
   */
  public String mergeFromSql(String staging) {
    String in = q("incoming");
    String on =
        keyColumns().stream()
            .map(k -> q(name()) + "." + q(k) + " = " + in + "." + q(k))
            .collect(Collectors.joining(" AND "));
    String cols = columns().stream().map(Table::q).collect(Collectors.joining(", "));
    String vals = columns().stream().map(c -> in + "." + q(c)).collect(Collectors.joining(", "));
    String matched =
        valueColumns().isEmpty()
            ? ""
            : " WHEN MATCHED AND " + matchCondition(in) + " THEN UPDATE SET " + sets(in);
    return "MERGE INTO "
        + q(name())
        + " USING "
        + q(staging)
        + " AS "
        + in
        + " ON "
        + on
        + matched
        + " WHEN NOT MATCHED THEN INSERT ("
        + cols
        + ") VALUES ("
        + vals
        + ")";
  }

  private String sets(String incoming) {
    return valueColumns().stream()
        .map(c -> q(c) + " = " + replacementValue(c, incoming))
        .collect(Collectors.joining(", "));
  }

  private String conflictClause() {
    String keys = keyColumns().stream().map(Table::q).collect(Collectors.joining(", "));
    if (valueColumns().isEmpty()) {
      return " ON CONFLICT (" + keys + ") DO NOTHING";
    }
    return " ON CONFLICT ("
        + keys
        + ") DO UPDATE SET "
        + sets("EXCLUDED")
        + " WHERE "
        + matchCondition("EXCLUDED");
  }

  /** Upsert of one row. */
  public String upsertSql() {
    return upsertSql(1);
  }

  /**
   * Upsert of {@code rows} rows in one statement ({@code VALUES (...), (...)}): both databases plan
   * and execute it once, where a JDBC batch of single-row statements costs DuckDB a full statement
   * per row. Keys must be distinct within one statement.
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

package dev.tslake.warehouse;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What {@code observations} held when the run was launched: per (source, series_id) of the run's
 * sources, the lowest and highest stored {@code ts}. Read once by the launcher ({@link #read}) and
 * handed to the writers, so a batch none of whose keys lies within its series' stored range goes
 * straight into the table (PostgreSQL's {@code COPY}, DuckDB's appender) without asking the
 * database per batch. Within one batch run the dedup writes each key once, so a key outside these
 * ranges can only be in the table if another run inserted it meanwhile, or if the batch is a retry
 * of one that committed: then the load fails on the primary key and the batch is written again
 * through the table's upsert rule. A wrong guess costs time, never rows.
 */
public final class StoredKeyRanges implements Serializable {
  private static final long serialVersionUID = 1L;

  /** source + '\0' + series_id -> {lowest, highest} stored ts in microseconds since 1970. */
  private final HashMap<String, long[]> ranges;

  StoredKeyRanges(Map<String, long[]> ranges) {
    this.ranges = new HashMap<>(ranges);
  }

  /** Nothing stored (tests). */
  public static StoredKeyRanges none() {
    return new StoredKeyRanges(Map.of());
  }

  /** Series with stored observations. */
  public int series() {
    return ranges.size();
  }

  /**
   * These ranges as {@code table}'s loads ask them, or null when its key does not hold source and
   * series_id (nothing to decide from them).
   */
  <T> @Nullable Check<T> checkOf(Table<T> table) {
    List<String> keys = table.keyColumns();
    if (!keys.contains("source") || !keys.contains("series_id")) {
      return null;
    }
    return new Check<>(table);
  }

  /** The launch ranges bound to one table's columns. */
  final class Check<T> {
    private final Table<T> table;
    private final int sourceAt;
    private final int seriesAt;
    private final int tsAt;

    private Check(Table<T> table) {
      this.table = table;
      List<String> cols = table.columns();
      this.sourceAt = cols.indexOf("source");
      this.seriesAt = cols.indexOf("series_id");
      this.tsAt = cols.indexOf("ts");
    }

    /**
     * Whether every row of {@code batch} lies outside its series' range stored at launch: true at
     * once when nothing was stored (a first load); otherwise false when a row's source, series or
     * time is missing or not a string, string and instant. For a table keyed by series but not by
     * {@code ts} (the {@code aggregates} of the observations' windows), a row may be stored unless
     * its series had no observation at all: what is derived from a series' observations is not
     * stored before them (and if it was, the load meets the key and writes the batch again through
     * the upsert, as for any key stored meanwhile).
     */
    boolean noneMayBeStored(List<T> batch) {
      if (ranges.isEmpty()) {
        return true;
      }
      for (T row : batch) {
        Object[] values = table.values(row);
        Object source = values[sourceAt];
        Object series = values[seriesAt];
        if (!(source instanceof String) || !(series instanceof String)) {
          return false;
        }
        if (tsAt < 0) {
          if (ranges.containsKey(source + "\u0000" + series)) {
            return false;
          }
          continue;
        }
        Object ts = values[tsAt];
        if (!(ts instanceof Instant)
            || mayBeStored((String) source, (String) series, (Instant) ts)) {
          return false;
        }
      }
      return true;
    }
  }

  /** Whether {@code observations} held, at launch, a row of this series at or around {@code ts}. */
  private boolean mayBeStored(String source, String seriesId, Instant ts) {
    long[] r = ranges.get(source + '\u0000' + seriesId);
    if (r == null) {
      return false;
    }
    long micros = ts.getEpochSecond() * 1_000_000L + ts.getNano() / 1000;
    return micros >= r[0] && micros <= r[1];
  }

  private static final String POSTGRES_SQL =
      "WITH RECURSIVE s(series_id) AS ("
          + " (SELECT series_id FROM observations WHERE source = ? ORDER BY series_id LIMIT 1)"
          + " UNION ALL SELECT (SELECT o.series_id FROM observations o WHERE o.source = ?"
          + " AND o.series_id > s.series_id ORDER BY o.series_id LIMIT 1) FROM s"
          + " WHERE s.series_id IS NOT NULL)"
          + " SELECT s.series_id,"
          + " (SELECT CAST(EXTRACT(EPOCH FROM o.ts) * 1000000 AS BIGINT) FROM observations o"
          + " WHERE o.source = ? AND o.series_id = s.series_id ORDER BY o.ts LIMIT 1),"
          + " (SELECT CAST(EXTRACT(EPOCH FROM o.ts) * 1000000 AS BIGINT) FROM observations o"
          + " WHERE o.source = ? AND o.series_id = s.series_id ORDER BY o.ts DESC LIMIT 1)"
          + " FROM s WHERE s.series_id IS NOT NULL";

  /**
   * Per series of {@code sources}, the stored [min ts, max ts] of {@code observations}. On
   * PostgreSQL one index skip-scan over the primary key (source, series_id, ts) per source, then
   * two index probes per series, so it costs per series, not per row; on DuckDB one grouped
   * aggregate per source over its column segments.
   */
  public static StoredKeyRanges read(WarehouseSpec warehouse, Collection<String> sources) {
    boolean duckdb = warehouse.dialect instanceof DuckDbDialect;
    // DuckDB scans columns: one aggregate per source; PostgreSQL probes its primary key index
    String sql =
        duckdb
            ? "SELECT series_id, epoch_us(min(ts)), epoch_us(max(ts)) FROM observations"
                + " WHERE source = ? GROUP BY series_id"
            : POSTGRES_SQL;
    int params = duckdb ? 1 : 4;
    Map<String, long[]> out = new HashMap<>();
    try (Connection c = warehouse.open();
        PreparedStatement st = c.prepareStatement(sql)) {
      for (String source : sources) {
        for (int i = 1; i <= params; i++) {
          st.setString(i, source);
        }
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.put(source + '\u0000' + rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
          }
        }
      }
      c.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot read the stored observations' time ranges from "
              + warehouse.describe()
              + ": "
              + e.getMessage(),
          e);
    }
    return new StoredKeyRanges(out);
  }

  @Override
  public String toString() {
    return "StoredKeyRanges(" + ranges.size() + " series)";
  }
}

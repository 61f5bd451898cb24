package dev.tslake.serve;

import io.javalin.http.Context;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The JSON API over the warehouse. Every value from a request is bound as a JDBC parameter; table
 * and column names come from constants here only.
 */
final class Api {
  /** Default and hard cap of list pages. */
  static final int DEFAULT_LIMIT = 100;

  static final int MAX_LIMIT = 1000;

  /** Observations without downsampling: default and cap of a page. */
  static final int DEFAULT_POINTS_LIMIT = 10_000;

  static final int MAX_POINTS_LIMIT = 100_000;

  /** maxPoints (downsampling) bounds. */
  static final int MIN_MAX_POINTS = 8;

  static final int MAX_MAX_POINTS = 20_000;

  private final ReadOnlyWarehouse warehouse;

  Api(ReadOnlyWarehouse warehouse) {
    this.warehouse = warehouse;
  }

  // ---------------------------------------------------------------- /api/series

  Map<String, Object> series(Context ctx) {
    String source = blankToNull(ctx.queryParam("source"));
    String q = blankToNull(ctx.queryParam("q"));
    int limit = Params.integer("limit", ctx.queryParam("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT);
    int offset = Params.integer("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    return warehouse.read(
        c -> {
          if (!ReadOnlyWarehouse.tableExists(c, "series")) {
            return page(List.of(), limit, offset, false, "this warehouse has no series table yet");
          }
          StringBuilder sql =
              new StringBuilder(
                  "SELECT s.source, s.series_id, s.title, s.units, s.frequency, s.first_ts,"
                      + " s.last_ts, (SELECT count(*) FROM observations o WHERE o.source ="
                      + " s.source AND o.series_id = s.series_id) AS observations"
                      + " FROM series s WHERE 1 = 1");
          List<Object> args = new ArrayList<>();
          if (source != null) {
            sql.append(" AND s.source = ?");
            args.add(source);
          }
          if (q != null) {
            String pattern = "%" + likeEscape(q.toLowerCase(Locale.ROOT)) + "%";
            sql.append(
                " AND (lower(s.series_id) LIKE ? ESCAPE '\\' OR lower(coalesce(s.title, ''))"
                    + " LIKE ? ESCAPE '\\' OR lower(s.source) LIKE ? ESCAPE '\\')");
            args.add(pattern);
            args.add(pattern);
            args.add(pattern);
          }
          sql.append(" ORDER BY s.source, s.series_id LIMIT ? OFFSET ?");
          args.add(limit + 1);
          args.add(offset);
          List<Map<String, Object>> rows = rows(c, sql.toString(), args);
          return page(rows, limit, offset, rows.size() > limit, null);
        });
  }

  static String likeEscape(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  // ------------------------------------------------- /api/series/{source}/{series_id}/...

  /** The path below /api/series/: source, series_id, optional view; segments percent-decoded. */
  Object seriesPath(Context ctx) {
    String raw = ctx.req().getRequestURI();
    String prefix = "/api/series/";
    int at = raw.indexOf(prefix);
    List<String> parts = new ArrayList<>();
    for (String seg : raw.substring(at + prefix.length()).split("/", -1)) {
      parts.add(decode(seg));
    }
    if (parts.size() < 2 || parts.size() > 3 || parts.get(0).isEmpty() || parts.get(1).isEmpty()) {
      throw ApiException.notFound(
          "no such endpoint: use /api/series/{source}/{series_id}[/observations|/aggregates"
              + "|/rolling|/resampled] (encode a / in a series id as %2F)");
    }
    String source = parts.get(0);
    String id = parts.get(1);
    String view = parts.size() == 3 ? parts.get(2) : "";
    switch (view) {
      case "":
        return seriesInfo(source, id);
      case "observations":
        return observations(ctx, source, id);
      case "aggregates":
        return aggregates(ctx, source, id);
      case "rolling":
        return rolling(ctx, source, id);
      case "resampled":
        return resampled(ctx, source, id);
      default:
        throw ApiException.notFound(
            "unknown view '"
                + Params.clip(view)
                + "': use observations, aggregates, rolling or resampled");
    }
  }

  private static String decode(String segment) {
    try {
      return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound("malformed percent-encoding in the path");
    }
  }

  private static void requireSeries(Connection c, String source, String id) throws SQLException {
    boolean found = false;
    for (String table : List.of("series", "observations")) {
      if (!found && ReadOnlyWarehouse.tableExists(c, table)) {
        try (PreparedStatement st =
            c.prepareStatement(
                "SELECT 1 FROM " + table + " WHERE source = ? AND series_id = ? LIMIT 1")) {
          st.setString(1, source);
          st.setString(2, id);
          try (ResultSet rs = st.executeQuery()) {
            found = rs.next();
          }
        }
      }
    }
    if (!found) {
      throw ApiException.notFound(
          "unknown series: source '"
              + Params.clip(source)
              + "', series_id '"
              + Params.clip(id)
              + "' (GET /api/series lists them)");
    }
  }

  private Map<String, Object> seriesInfo(String source, String id) {
    return warehouse.read(
        c -> {
          requireSeries(c, source, id);
          Map<String, Object> out = new LinkedHashMap<>();
          List<Map<String, Object>> rows =
              ReadOnlyWarehouse.tableExists(c, "series")
                  ? rows(
                      c,
                      "SELECT s.source, s.series_id, s.title, s.units, s.frequency,"
                          + " s.seasonal_adjustment, s.last_updated, s.first_ts, s.last_ts"
                          + " FROM series s WHERE s.source = ? AND s.series_id = ?",
                      List.of(source, id))
                  : List.of();
          if (rows.isEmpty()) {
            out.put("source", source);
            out.put("series_id", id);
          } else {
            out.putAll(rows.get(0));
          }
          out.put("observations", count(c, "observations", source, id));
          out.put("aggregate_windows", distinct(c, "aggregates", "\"window\"", source, id));
          out.put("rolling_windows", distinct(c, "rolling", "\"window\"", source, id));
          out.put("resampled_every", distinct(c, "resampled", "every", source, id));
          return out;
        });
  }

  private static long count(Connection c, String table, String source, String id)
      throws SQLException {
    if (!ReadOnlyWarehouse.tableExists(c, table)) {
      return 0;
    }
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT count(*) FROM " + table + " WHERE source = ? AND series_id = ?")) {
      st.setString(1, source);
      st.setString(2, id);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The distinct values of a fixed column of a fixed table for one series; empty if no table. */
  private static List<String> distinct(
      Connection c, String table, String column, String source, String id) throws SQLException {
    List<String> out = new ArrayList<>();
    if (!ReadOnlyWarehouse.tableExists(c, table)) {
      return out;
    }
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT DISTINCT "
                + column
                + " FROM "
                + table
                + " WHERE source = ? AND series_id = ? ORDER BY 1")) {
      st.setString(1, source);
      st.setString(2, id);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- observations

  private Map<String, Object> observations(Context ctx, String source, String id) {
    Instant from = Params.instant("from", ctx.queryParam("from"));
    Instant to = Params.instant("to", ctx.queryParam("to"));
    Params.range(from, to);
    Instant asOf = Params.instant("asOf", ctx.queryParam("asOf"));
    String mp = ctx.queryParam("maxPoints");
    Integer maxPoints =
        blankToNull(mp) == null
            ? null
            : Params.integer("maxPoints", mp, 0, MIN_MAX_POINTS, MAX_MAX_POINTS);
    int limit =
        Params.integer("limit", ctx.queryParam("limit"), DEFAULT_POINTS_LIMIT, 1, MAX_POINTS_LIMIT);
    int offset = Params.integer("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    if (maxPoints != null && offset > 0) {
      throw ApiException.badRequest("offset", "offset does not go with maxPoints (downsampled)");
    }
    return warehouse.read(
        c -> {
          requireSeries(c, source, id);
          String sql;
          List<Object> args = new ArrayList<>();
          if (asOf != null) {
            if (!ReadOnlyWarehouse.tableExists(c, "observation_vintages")) {
              throw new ApiException(
                  404,
                  "asOf needs the vintage history (table observation_vintages), which this"
                      + " warehouse does not have yet",
                  "asOf");
            }
            sql =
                "SELECT ts, \"value\" FROM (SELECT ts, \"value\", row_number() OVER (PARTITION BY"
                    + " ts ORDER BY vintage DESC) AS rn FROM observation_vintages WHERE source = ?"
                    + " AND series_id = ? AND vintage <= ?"
                    + (from == null ? "" : " AND ts >= ?")
                    + (to == null ? "" : " AND ts <= ?")
                    + ") v WHERE rn = 1 ORDER BY ts";
            args.add(source);
            args.add(id);
            args.add(odt(asOf));
          } else {
            sql =
                "SELECT ts, \"value\" FROM observations WHERE source = ? AND series_id = ?"
                    + (from == null ? "" : " AND ts >= ?")
                    + (to == null ? "" : " AND ts <= ?")
                    + " ORDER BY ts";
            args.add(source);
            args.add(id);
          }
          if (from != null) {
            args.add(odt(from));
          }
          if (to != null) {
            args.add(odt(to));
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("source", source);
          out.put("series_id", id);
          if (asOf != null) {
            out.put("asOf", asOf.toString());
          }
          if (maxPoints == null) {
            sql += " LIMIT ? OFFSET ?";
            args.add(limit + 1);
            args.add(offset);
            List<Object[]> points = new ArrayList<>();
            try (PreparedStatement st = prepare(c, sql, args);
                ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                points.add(new Object[] {iso(rs, 1), num(rs, 2)});
              }
            }
            boolean more = points.size() > limit;
            List<Object[]> page = more ? points.subList(0, limit) : points;
            out.put("downsampled", false);
            out.put("points", toPoints(page));
            out.put("limit", limit);
            out.put("offset", offset);
            out.put("next_offset", more ? offset + limit : null);
            return out;
          }
          long[] span = span(c, asOf != null, source, id, from, to);
          Downsample d = new Downsample(maxPoints, span[0], span[1]);
          try (PreparedStatement st = prepare(c, sql, args)) {
            st.setFetchSize(10_000);
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                long ts = rs.getObject(1, OffsetDateTime.class).toInstant().toEpochMilli();
                double v = rs.getDouble(2);
                d.add(ts, rs.wasNull() ? Double.NaN : v);
              }
            }
          }
          List<Object[]> points = new ArrayList<>();
          for (Downsample.Point p : d.points()) {
            points.add(
                new Object[] {
                  Instant.ofEpochMilli(p.ts()).toString(),
                  Double.isNaN(p.value()) ? null : p.value()
                });
          }
          out.put("downsampled", d.downsampled());
          out.put("total", d.count());
          out.put("maxPoints", maxPoints);
          out.put("points", toPoints(points));
          return out;
        });
  }

  private static List<Map<String, Object>> toPoints(List<Object[]> points) {
    List<Map<String, Object>> out = new ArrayList<>(points.size());
    for (Object[] p : points) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ts", p[0]);
      m.put("value", p[1]);
      out.add(m);
    }
    return out;
  }

  /** The time range the buckets cover: from/to, or the series' first and last points. */
  private static long[] span(
      Connection c,
      boolean vintages,
      String source,
      String id,
      @Nullable Instant from,
      @Nullable Instant to)
      throws SQLException {
    long lo = from == null ? Long.MIN_VALUE : from.toEpochMilli();
    long hi = to == null ? Long.MAX_VALUE : to.toEpochMilli();
    if (from == null || to == null) {
      String table = vintages ? "observation_vintages" : "observations";
      try (PreparedStatement st =
          c.prepareStatement(
              "SELECT min(ts), max(ts) FROM " + table + " WHERE source = ? AND series_id = ?")) {
        st.setString(1, source);
        st.setString(2, id);
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next() && rs.getObject(1) != null) {
            long min = rs.getObject(1, OffsetDateTime.class).toInstant().toEpochMilli();
            long max = rs.getObject(2, OffsetDateTime.class).toInstant().toEpochMilli();
            lo = from == null ? min : lo;
            hi = to == null ? max : hi;
          }
        }
      }
    }
    if (lo == Long.MIN_VALUE || hi == Long.MAX_VALUE) {
      lo = 0;
      hi = 0;
    }
    return new long[] {lo, hi};
  }

  // ---------------------------------------------------------------- aggregates, rolling, resampled

  private Map<String, Object> aggregates(Context ctx, String source, String id) {
    return windowed(
        ctx,
        source,
        id,
        "aggregates",
        "window",
        "\"window\"",
        "window_start",
        "window_start, window_end, n, missing, \"first\", \"max\", \"min\", \"last\", mean",
        "stddev");
  }

  private Map<String, Object> rolling(Context ctx, String source, String id) {
    return windowed(
        ctx,
        source,
        id,
        "rolling",
        "window",
        "\"window\"",
        "ts",
        "ts, n, mean, stddev, \"min\", \"max\"",
        null);
  }

  private Map<String, Object> resampled(Context ctx, String source, String id) {
    return windowed(
        ctx, source, id, "resampled", "every", "every", "ts", "ts, \"value\", filled", null);
  }

  /**
   * Rows of a per-window table of one series. {@code table}, the column names and {@code
   * optionalColumn} are constants of this class, never request values.
   */
  private Map<String, Object> windowed(
      Context ctx,
      String source,
      String id,
      String table,
      String param,
      String keyColumn,
      String timeColumn,
      String columns,
      @Nullable String optionalColumn) {
    String window = Params.duration(param, ctx.queryParam(param));
    Instant from = Params.instant("from", ctx.queryParam("from"));
    Instant to = Params.instant("to", ctx.queryParam("to"));
    Params.range(from, to);
    int limit =
        Params.integer("limit", ctx.queryParam("limit"), DEFAULT_POINTS_LIMIT, 1, MAX_POINTS_LIMIT);
    int offset = Params.integer("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    return warehouse.read(
        c -> {
          requireSeries(c, source, id);
          if (!ReadOnlyWarehouse.tableExists(c, table)) {
            throw ApiException.notFound(
                "this warehouse has no "
                    + table
                    + " table yet (a tslake run writes it when the source's config asks for it)");
          }
          List<String> available = distinct(c, table, keyColumn, source, id);
          String w = window;
          if (w == null) {
            if (available.size() == 1) {
              w = available.get(0);
            } else {
              throw ApiException.badRequest(
                  param, param + " is required; this series has " + available);
            }
          } else if (!available.contains(w)) {
            throw ApiException.badRequest(
                param, "unknown " + param + " " + w + " for this series; it has " + available);
          }
          String cols = columns;
          if (optionalColumn != null && ReadOnlyWarehouse.columnExists(c, table, optionalColumn)) {
            cols += ", " + optionalColumn;
          }
          List<Object> args = new ArrayList<>(List.of(source, id, w));
          String sql =
              "SELECT "
                  + cols
                  + " FROM "
                  + table
                  + " WHERE source = ? AND series_id = ? AND "
                  + keyColumn
                  + " = ?"
                  + (from == null ? "" : " AND " + timeColumn + " >= ?")
                  + (to == null ? "" : " AND " + timeColumn + " <= ?")
                  + " ORDER BY "
                  + timeColumn
                  + " LIMIT ? OFFSET ?";
          if (from != null) {
            args.add(odt(from));
          }
          if (to != null) {
            args.add(odt(to));
          }
          args.add(limit + 1);
          args.add(offset);
          List<Map<String, Object>> rows = rows(c, sql, args);
          Map<String, Object> out = page(rows, limit, offset, rows.size() > limit, null);
          out.put("source", source);
          out.put("series_id", id);
          out.put(param, w);
          return out;
        });
  }

  // ---------------------------------------------------------------- runs, rejects, quality

  Map<String, Object> runs(Context ctx) {
    int limit = Params.integer("limit", ctx.queryParam("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT);
    int offset = Params.integer("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    return warehouse.read(
        c -> {
          if (!ReadOnlyWarehouse.tableExists(c, "pipeline_runs")) {
            return page(List.of(), limit, offset, false, "no run recorded yet");
          }
          List<Map<String, Object>> rows =
              rows(
                  c,
                  "SELECT * FROM pipeline_runs ORDER BY started_at DESC, run_id LIMIT ? OFFSET ?",
                  List.of(limit + 1, offset));
          return page(rows, limit, offset, rows.size() > limit, null);
        });
  }

  Map<String, Object> rejects(Context ctx) {
    String runId = ctx.pathParam("run_id");
    int limit = Params.integer("limit", ctx.queryParam("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT);
    int offset = Params.integer("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    return warehouse.read(
        c -> {
          if (!ReadOnlyWarehouse.tableExists(c, "pipeline_runs")
              || rows(c, "SELECT run_id FROM pipeline_runs WHERE run_id = ?", List.of(runId))
                  .isEmpty()) {
            throw ApiException.notFound(
                "unknown run '" + Params.clip(runId) + "' (GET /api/runs lists them)");
          }
          if (!ReadOnlyWarehouse.tableExists(c, "rejects")) {
            Map<String, Object> out = page(List.of(), limit, offset, false, null);
            out.put("run_id", runId);
            out.put("by_reason", List.of());
            return out;
          }
          List<Map<String, Object>> counts =
              rows(
                  c,
                  "SELECT stage, reason, count(*) AS n FROM rejects WHERE run_id = ?"
                      + " GROUP BY stage, reason ORDER BY n DESC, stage, reason LIMIT ?",
                  List.of(runId, MAX_LIMIT));
          List<Map<String, Object>> examples =
              rows(
                  c,
                  "SELECT source, series_id, ts, \"value\", vintage, stage, reason, origin, locator"
                      + " FROM rejects WHERE run_id = ? ORDER BY source, origin, locator"
                      + " LIMIT ? OFFSET ?",
                  List.of(runId, limit + 1, offset));
          Map<String, Object> out = page(examples, limit, offset, examples.size() > limit, null);
          out.put("run_id", runId);
          out.put("by_reason", counts);
          return out;
        });
  }

  Map<String, Object> quality(Context ctx) {
    int limit = Params.integer("limit", ctx.queryParam("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT);
    int offset = Params.integer("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    String source = blankToNull(ctx.queryParam("source"));
    return warehouse.read(
        c -> {
          if (!ReadOnlyWarehouse.tableExists(c, "quality_results")
              || !ReadOnlyWarehouse.tableExists(c, "pipeline_runs")) {
            return page(
                List.of(),
                limit,
                offset,
                false,
                "this warehouse has no quality_results table yet (runs write it when a source's"
                    + " config declares checks)");
          }
          List<Object> args = new ArrayList<>();
          String sql =
              "SELECT q.*, r.started_at AS run_started_at FROM quality_results q"
                  + " JOIN pipeline_runs r ON r.run_id = q.run_id"
                  + " WHERE r.started_at = (SELECT max(r2.started_at) FROM quality_results q2"
                  + " JOIN pipeline_runs r2 ON r2.run_id = q2.run_id WHERE q2.source = q.source"
                  + " AND q2.series_id IS NOT DISTINCT FROM q.series_id AND q2.\"check\" ="
                  + " q.\"check\")"
                  + (source == null ? "" : " AND q.source = ?")
                  + " ORDER BY CASE WHEN lower(q.status) IN ('pass', 'passed', 'ok', 'succeeded')"
                  + " THEN 1 ELSE 0 END, CASE WHEN lower(q.severity) = 'error' THEN 0 ELSE 1 END,"
                  + " q.source, q.series_id, q.\"check\" LIMIT ? OFFSET ?";
          if (source != null) {
            args.add(source);
          }
          args.add(limit + 1);
          args.add(offset);
          List<Map<String, Object>> rows = rows(c, sql, args);
          return page(rows, limit, offset, rows.size() > limit, null);
        });
  }

  // ---------------------------------------------------------------- helpers

  static Map<String, Object> page(
      List<Map<String, Object>> rows, int limit, int offset, boolean more, @Nullable String note) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", more ? rows.subList(0, limit) : rows);
    out.put("limit", limit);
    out.put("offset", offset);
    out.put("next_offset", more ? offset + limit : null);
    if (note != null) {
      out.put("message", note);
    }
    return out;
  }

  static PreparedStatement prepare(Connection c, String sql, List<Object> args)
      throws SQLException {
    PreparedStatement st = c.prepareStatement(sql);
    for (int i = 0; i < args.size(); i++) {
      st.setObject(i + 1, args.get(i));
    }
    return st;
  }

  /** Rows as column name to JSON value; timestamps as ISO-8601 UTC strings. */
  static List<Map<String, Object>> rows(Connection c, String sql, List<Object> args)
      throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (PreparedStatement st = prepare(c, sql, args);
        ResultSet rs = st.executeQuery()) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.put(md.getColumnLabel(i).toLowerCase(Locale.ROOT), value(rs, md, i));
        }
        out.add(row);
      }
    }
    return out;
  }

  private static @Nullable Object value(ResultSet rs, ResultSetMetaData md, int i)
      throws SQLException {
    int type = md.getColumnType(i);
    String name = String.valueOf(md.getColumnTypeName(i)).toLowerCase(Locale.ROOT);
    if (type == Types.TIMESTAMP_WITH_TIMEZONE
        || type == Types.TIMESTAMP
        || name.startsWith("timestamp")) {
      return iso(rs, i);
    }
    Object v = rs.getObject(i);
    if (v == null) {
      return null;
    }
    if (v instanceof Number || v instanceof Boolean || v instanceof String) {
      if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
        return null;
      }
      return v;
    }
    return v.toString();
  }

  private static @Nullable String iso(ResultSet rs, int i) throws SQLException {
    Object o = rs.getObject(i);
    if (o == null) {
      return null;
    }
    if (o instanceof OffsetDateTime odt) {
      return odt.toInstant().toString();
    }
    if (o instanceof Timestamp t) {
      return t.toInstant().toString();
    }
    try {
      return rs.getObject(i, OffsetDateTime.class).toInstant().toString();
    } catch (SQLException e) {
      return o.toString();
    }
  }

  private static @Nullable Double num(ResultSet rs, int i) throws SQLException {
    double v = rs.getDouble(i);
    return rs.wasNull() || Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }

  static OffsetDateTime odt(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s;
  }
}

package dev.tslake.sources;

import dev.tslake.config.SourceConfig;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Any CSV of readings, mapped by the source's config: {@code skipLines} lines before the header,
 * then a header row, a {@code timestampColumn}, a {@code seriesColumn} or a fixed {@code seriesId},
 * and {@code valueColumns}.
 *
 * <p>Header names match case-insensitively and ignoring surrounding whitespace (the 2014 NYC taxi
 * files write {@code " pickup_datetime"}). Each data row gives one raw record per value column,
 * series {@code <series>.<valueColumn as configured>}, located as {@code line N <column>} with N
 * the physical line of the row. Blank lines are skipped, extra trailing fields ignored, a row too
 * short for the configured columns is one unparseable record, and so is a line that is not valid
 * CSV (a stray quote): one record per physical line, so bad input costs its own line, never the
 * lines after it ({@link CsvRows}). Streams the file row by row.
 */
public final class CsvParser implements PayloadParser {
  private static final long serialVersionUID = 1L;

  @Override
  public void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException {
    read(
        ctx,
        () -> new CsvRows(payload, ctx.source.delimiter, Math.max(0, ctx.source.skipLines)),
        null,
        out,
        out);
  }

  /**
   * Parses the lines one range of a file owns ({@link LineRange}), with the header read from the
   * file's start: the records are those a whole-file {@link #parse} gives for these lines, with the
   * same locators, provided the file has one record per physical line. What concerns the whole file
   * (no header, configured columns missing, config errors) is reported by the first range only; the
   * lines up to the header are skipped by every range that owns some of them.
   *
   * @param fileStart the file from its first byte (only its lines up to the header are read)
   * @param lines the lines the range owns
   * @param firstLine the file's line number of the first of {@code lines} (1-based, as in locators:
   *     every {@code \n}, {@code \r\n} and lone {@code \r} ends a line)
   * @param first whether this is the file's first range
   */
  public void parseLines(
      PayloadContext ctx,
      Reader fileStart,
      Reader lines,
      long firstLine,
      boolean first,
      ParseOutput out)
      throws IOException {
    SourceConfig s = ctx.source;
    read(
        ctx,
        () -> new CsvRows(fileStart, s.delimiter, Math.max(0, s.skipLines)),
        headerLine ->
            new CsvRows(
                lines, s.delimiter, Math.max(0, headerLine - firstLine + 1), firstLine - 1, false),
        first ? out : DISCARD,
        out);
  }

  private interface Rows {
    CsvRows open() throws IOException;
  }

  private interface DataRows {
    CsvRows open(long headerLine) throws IOException;
  }

  private static final ParseOutput DISCARD =
      new ParseOutput() {
        @Override
        public void record(RawRecord record) {}

        @Override
        public void series(SeriesInfo info) {}
      };

  /**
   * @param headerRows the rows from the file's start
   * @param dataRows the rows after the header, or null: those of {@code headerRows}
   * @param fileOut where what concerns the whole file goes
   */
  private void read(
      PayloadContext ctx,
      Rows headerRows,
      @Nullable DataRows dataRows,
      ParseOutput fileOut,
      ParseOutput out)
      throws IOException {
    SourceConfig s = ctx.source;
    String src = s.name;
    String configError = configError(s, ctx.seriesIdHint);
    if (configError != null) {
      fileOut.record(RawRecord.unparseable(src, ctx.origin, "payload", null, configError, null));
      return;
    }
    boolean byColumn = s.seriesColumn != null;
    String fixedSeries =
        byColumn
            ? null
            : (ctx.seriesIdHint != null && !ctx.seriesIdHint.isBlank()
                ? ctx.seriesIdHint
                : s.seriesId);
    CsvRows rows = headerRows.open();
    CsvRows.Row header;
    try {
      header = rows.next();
    } catch (CsvRows.MalformedCsv e) {
      fileOut.record(
          malformed(ctx, fixedSeries, e, "; it was to be the header, so the file was not read"));
      return;
    }
    if (header == null) {
      String why =
          rows.linesRead() == 0
              ? "empty payload"
              : "no header row: the file ends after "
                  + rows.linesRead()
                  + " line(s)"
                  + (s.skipLines > 0 ? " (skipLines is " + s.skipLines + ")" : "");
      fileOut.record(RawRecord.unparseable(src, ctx.origin, "payload", fixedSeries, why, null));
      return;
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < header.size(); i++) {
      index.putIfAbsent(normalize(header.get(i)), i);
    }
    List<String> missing = new ArrayList<>();
    Integer tsIdx = lookup(index, s.timestampColumn, "timestampColumn", missing);
    Integer seriesIdx = byColumn ? lookup(index, s.seriesColumn, "seriesColumn", missing) : null;
    List<Integer> valueIdx = new ArrayList<>();
    for (String v : s.valueColumns) {
      valueIdx.add(lookup(index, v, "valueColumns", missing));
    }
    if (!missing.isEmpty()) {
      fileOut.record(
          RawRecord.unparseable(
              src,
              ctx.origin,
              "line " + header.line,
              fixedSeries,
              (missing.size() == 1 ? "configured column " : "configured columns ")
                  + String.join(", ", missing)
                  + " not in the header at line "
                  + header.line
                  + "; header columns: "
                  + header.values(),
              header.text()));
      return;
    }
    int needed = tsIdx + 1;
    String neededFor = s.timestampColumn;
    if (seriesIdx != null && seriesIdx + 1 > needed) {
      needed = seriesIdx + 1;
      neededFor = s.seriesColumn;
    }
    for (int i = 0; i < valueIdx.size(); i++) {
      if (valueIdx.get(i) + 1 > needed) {
        needed = valueIdx.get(i) + 1;
        neededFor = s.valueColumns.get(i);
      }
    }
    if (dataRows != null) {
      rows = dataRows.open(header.line);
    }
    while (true) {
      CsvRows.Row row;
      try {
        row = rows.next();
      } catch (CsvRows.MalformedCsv e) {
        out.record(malformed(ctx, fixedSeries, e, ""));
        continue;
      }
      if (row == null) {
        break;
      }
      if (row.size() < needed) {
        out.record(
            RawRecord.unparseable(
                src,
                ctx.origin,
                "line " + row.line,
                fixedSeries,
                "row has "
                    + row.size()
                    + " field"
                    + (row.size() == 1 ? "" : "s")
                    + ", needs at least "
                    + needed
                    + " (column '"
                    + neededFor
                    + "' is field "
                    + needed
                    + ")",
                row.text()));
        continue;
      }
      String ts = row.get(tsIdx);
      String series = byColumn ? row.get(seriesIdx) : fixedSeries;
      boolean noSeries = series == null || series.trim().isEmpty();
      for (int i = 0; i < valueIdx.size(); i++) {
        String col = s.valueColumns.get(i);
        String locator = "line " + row.line + " " + col;
        String value = row.get(valueIdx.get(i));
        if (noSeries) {
          out.record(
              new RawRecord(
                  src,
                  ctx.origin,
                  locator,
                  null,
                  ts,
                  value,
                  ctx.vintage,
                  "series column '" + s.seriesColumn + "' is empty"));
        } else {
          out.record(
              RawRecord.of(src, ctx.origin, locator, series + "." + col, ts, value, ctx.vintage));
        }
      }
    }
  }

  /** One line that is not valid CSV: its own rejected record, the line as the excerpt. */
  static RawRecord malformed(
      PayloadContext ctx, @Nullable String seriesId, CsvRows.MalformedCsv e, String more) {
    return RawRecord.unparseable(
        ctx.source.name,
        ctx.origin,
        "line " + e.line,
        seriesId,
        "malformed CSV at line " + e.line + ": " + e.getMessage() + more,
        e.text);
  }

  private static @Nullable Integer lookup(
      Map<String, Integer> index, String column, String field, List<String> missing) {
    Integer i = index.get(normalize(column));
    if (i == null) {
      missing.add("'" + column + "' (" + field + ")");
    }
    return i;
  }

  private static String normalize(String name) {
    return name.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * Config is validated when loaded; this keeps a hand-built config from throwing here. Shared by
   * the readers mapped by the same fields (csv, parquet).
   */
  static @Nullable String configError(SourceConfig s, @Nullable String hint) {
    String kind = s.type.id() + " source '" + s.name + "'";
    if (s.timestampColumn == null || s.timestampColumn.isBlank()) {
      return kind + " has no timestampColumn";
    }
    if (s.valueColumns == null || s.valueColumns.isEmpty()) {
      return kind + " has no valueColumns";
    }
    for (String v : s.valueColumns) {
      if (v == null || v.isBlank()) {
        return kind + " has an empty entry in valueColumns";
      }
    }
    if (s.seriesColumn == null
        && (s.seriesId == null || s.seriesId.isBlank())
        && (hint == null || hint.isBlank())) {
      return kind + " has neither seriesColumn nor seriesId";
    }
    return null;
  }
}

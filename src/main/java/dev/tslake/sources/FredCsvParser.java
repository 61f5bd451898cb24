package dev.tslake.sources;

import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * FRED CSV downloads ({@code fredgraph.csv}, "Download CSV"): a date column headed {@code DATE}
 * (older files, {@code .} for a missing value) or {@code observation_date} (newer files, an empty
 * field for a missing value), then one column per series, headed by the series id.
 *
 * <p>One raw record per row and series column, located as {@code line N SERIES}. The file says
 * nothing of its vintage, so that comes from config (or stays unknown). A line that is not valid
 * CSV (a stray quote) is one unparseable record and the lines after it are read. Streams the file.
 */
public final class FredCsvParser implements PayloadParser {
  private static final long serialVersionUID = 1L;

  @Override
  public void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException {
    String src = ctx.source.name;
    CsvRows rows = new CsvRows(payload, ',', 0);
    try {
      CsvRows.Row header = rows.next();
      if (header == null) {
        out.record(
            RawRecord.unparseable(
                src, ctx.origin, "payload", ctx.seriesIdHint, "empty payload", ""));
        return;
      }
      String first = header.get(0).trim();
      String firstLower = first.toLowerCase(Locale.ROOT);
      if (!firstLower.equals("date") && !firstLower.equals("observation_date")) {
        out.record(
            RawRecord.unparseable(
                src,
                ctx.origin,
                "line " + header.line,
                ctx.seriesIdHint,
                "not a FRED CSV: first header column is '"
                    + JsonPayload.printable(first)
                    + "',"
                    + " expected DATE or observation_date",
                header.text()));
        return;
      }
      int width = header.size();
      if (width < 2) {
        out.record(
            RawRecord.unparseable(
                src,
                ctx.origin,
                "line " + header.line,
                ctx.seriesIdHint,
                "FRED CSV header has no series column after '" + first + "'",
                header.text()));
        return;
      }
      List<String> series = new ArrayList<>();
      for (int i = 1; i < width; i++) {
        series.add(header.get(i).trim());
      }
      boolean hinted = ctx.seriesIdHint != null && !ctx.seriesIdHint.isBlank();
      if (hinted && width > 2) {
        out.record(
            RawRecord.unparseable(
                src,
                ctx.origin,
                "line " + header.line,
                ctx.seriesIdHint,
                "config gives seriesId '"
                    + ctx.seriesIdHint
                    + "' for this file, but it has "
                    + series.size()
                    + " series columns "
                    + series
                    + ": a seriesId can only name a"
                    + " single-series file",
                header.text()));
        return;
      }
      if (hinted) {
        series.set(0, ctx.seriesIdHint);
      }
      for (int i = 0; i < series.size(); i++) {
        if (series.get(i).isEmpty()) {
          out.record(
              RawRecord.unparseable(
                  src,
                  ctx.origin,
                  "line " + header.line,
                  null,
                  "FRED CSV header column " + (i + 2) + " (the series id) is empty",
                  header.text()));
          return;
        }
      }
      while (true) {
        CsvRows.Row row;
        try {
          row = rows.next();
        } catch (CsvRows.MalformedCsv e) {
          out.record(CsvParser.malformed(ctx, ctx.seriesIdHint, e, ""));
          continue;
        }
        if (row == null) {
          break;
        }
        if (row.size() != width) {
          out.record(
              RawRecord.unparseable(
                  src,
                  ctx.origin,
                  "line " + row.line,
                  width == 2 ? series.get(0) : null,
                  "row has " + row.size() + " fields, header has " + width,
                  row.text()));
          continue;
        }
        String date = row.get(0);
        for (int i = 1; i < width; i++) {
          String id = series.get(i - 1);
          out.record(
              RawRecord.of(
                  src,
                  ctx.origin,
                  "line " + row.line + " " + id,
                  id,
                  date,
                  row.get(i),
                  ctx.vintage));
        }
      }
    } catch (CsvRows.MalformedCsv e) {
      // only the header line gets here: a bad data line is its own record (above)
      out.record(
          CsvParser.malformed(
              ctx, ctx.seriesIdHint, e, "; it was to be the header, so the file was not read"));
    }
  }
}

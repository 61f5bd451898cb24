package dev.tslake.sources;

import dev.tslake.model.RawRecord;
import dev.tslake.sources.JsonPayload.Arr;
import dev.tslake.sources.JsonPayload.Node;
import dev.tslake.sources.JsonPayload.Scalar;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * US Census Data API responses ({@code api.census.gov/data/<dataset>?get=...&for=...}): a JSON
 * array of rows, the first one a header of column names, every cell a string (or null). One raw
 * record per data row and variable.
 *
 * <p>Columns are told apart by name: geography columns (named by the {@code for}/{@code in}
 * clauses, or well-known Census geography levels such as {@code state} or {@code county}) and
 * columns named by other {@code predicates} (e.g. an EITS {@code category_code}) identify the
 * series; {@code NAME} and {@code GEO_ID} are labels and dropped; {@code time} (time-series
 * datasets) is the timestamp; every other column is a variable. The series id is {@code
 * <VARIABLE>.<key columns>}, e.g. {@code B17001_002E.state:06} or {@code
 * B01001_001E.state:06/county:037}, key columns in header order.
 *
 * <p>Without a {@code time} column the timestamp is January 1st of the dataset's year: from {@code
 * dataset} in config ({@code 2012/acs5}), else from the file name ({@code acs5_2012_B15003.json}).
 * ACS 5-year 2012 covers 2008-2012; labelling it by its end year is the Census convention.
 */
public final class CensusParser implements PayloadParser {
  private static final long serialVersionUID = 1L;

  /** Census geography levels that can appear as response columns, lower case. */
  private static final Set<String> GEOGRAPHY =
      Set.of(
          "us",
          "region",
          "division",
          "state",
          "county",
          "county subdivision",
          "subminor civil division",
          "tract",
          "block group",
          "block",
          "place",
          "consolidated city",
          "zip code tabulation area",
          "metropolitan statistical area/micropolitan statistical area",
          "metropolitan division",
          "combined statistical area",
          "new england city and town area",
          "congressional district",
          "state legislative district (upper chamber)",
          "state legislative district (lower chamber)",
          "school district (elementary)",
          "school district (secondary)",
          "school district (unified)",
          "public use microdata area",
          "urban area",
          "american indian area/alaska native area/hawaiian home land",
          "ucgid");

  /** Label columns: descriptive, neither a value nor part of the series id. */
  private static final Set<String> LABELS = Set.of("NAME", "GEO_ID");

  private static final String TIME = "time";

  /**
   * ACS annotation values written in place of an estimate or margin of error: -999999999 (too few
   * sample observations), -888888888 (not applicable), -666666666 (estimate could not be computed),
   * -555555555 (controlled estimate, no sampling error), -333333333 (median in an open-ended
   * interval), -222222222 (margin of error not computable). They are codes, not numbers: loading
   * them as values would put -666 million people in a state, so they become a missing value (the
   * empty string).
   */
  private static final Pattern ANNOTATION =
      Pattern.compile("-(999999999|888888888|666666666|555555555|333333333|222222222)(\\.0*)?");

  private static final Pattern DATASET_YEAR = Pattern.compile("(?:^|/)((?:19|20)\\d{2})(?:/|$)");
  private static final Pattern FILE_YEAR = Pattern.compile("(?:^|_)((?:19|20)\\d{2})(?!\\d)");
  private static final Pattern YEAR = Pattern.compile("\\d{4}");
  private static final Pattern YEAR_MONTH = Pattern.compile("\\d{4}-\\d{2}");

  private static final int ERROR_CHARS = 200;

  @Override
  public void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException {
    JsonPayload.Result r = JsonPayload.read(payload);
    if (r.error != null) {
      String body = r.excerpt.strip();
      if (body.isEmpty()) {
        out.record(
            bad(
                ctx,
                "Census returned no rows (empty body: the API answers 204 No Content"
                    + " when nothing matches the query)",
                r.excerpt));
      } else if (body.charAt(0) != '[' && body.charAt(0) != '{') {
        // Census errors are plain text ("error: unknown variable 'X'") or an HTML page.
        out.record(
            bad(
                ctx,
                "Census error"
                    + (body.charAt(0) == '<' ? " (HTML page)" : "")
                    + ": "
                    + bodyText(body, ERROR_CHARS),
                r.excerpt));
      } else {
        out.record(bad(ctx, r.error, r.excerpt));
      }
      return;
    }
    if (!(r.root instanceof Arr)) {
      out.record(
          bad(
              ctx,
              "not a Census response: the JSON is " + r.root.kind() + ", expected an array of rows",
              r.excerpt));
      return;
    }
    List<Node> rows = ((Arr) r.root).items;
    if (rows.isEmpty()) {
      out.record(bad(ctx, "Census returned no rows (an empty array)", r.excerpt));
      return;
    }
    List<String> header = header(rows.get(0));
    if (header == null) {
      out.record(
          bad(
              ctx,
              "not a Census response: the first row is "
                  + describe(rows.get(0))
                  + ", expected the header (an array of column names)",
              r.excerpt));
      return;
    }
    if (rows.size() == 1) {
      out.record(
          bad(
              ctx,
              "Census returned no rows (only the header: "
                  + JsonPayload.printable(String.join(",", header))
                  + ")",
              r.excerpt));
      return;
    }

    // Classify the columns.
    int timeCol = -1;
    List<Integer> keyCols = new ArrayList<>();
    List<Integer> valueCols = new ArrayList<>();
    for (int c = 0; c < header.size(); c++) {
      String name = header.get(c);
      if (LABELS.contains(name.toUpperCase(Locale.ROOT))) {
        continue;
      }
      if (name.equalsIgnoreCase(TIME)) {
        if (timeCol < 0) {
          timeCol = c;
        }
        continue;
      }
      if (isKey(ctx, name)) {
        keyCols.add(c);
      } else {
        valueCols.add(c);
      }
    }
    boolean reportedMissing = false;
    if (!ctx.source.get.isEmpty()) {
      List<Integer> requested = new ArrayList<>();
      for (String v : ctx.source.get) {
        String want = v.strip();
        if (want.isEmpty()
            || LABELS.contains(want.toUpperCase(Locale.ROOT))
            || want.equalsIgnoreCase(TIME)
            || isKey(ctx, want)) {
          continue; // not a value column: NAME, GEO_ID, time or a key column
        }
        int found = indexOfIgnoreCase(header, want);
        if (found < 0) {
          out.record(
              bad(
                  ctx,
                  "requested variable '"
                      + JsonPayload.printable(want)
                      + "' is not in the Census response (columns: "
                      + JsonPayload.printable(String.join(",", header))
                      + ")",
                  r.excerpt));
          reportedMissing = true;
        } else if (valueCols.contains(found) && !requested.contains(found)) {
          requested.add(found);
        }
      }
      requested.sort(null);
      valueCols = requested;
    }
    if (valueCols.isEmpty()) {
      if (!reportedMissing) {
        out.record(
            bad(
                ctx,
                "Census response has no variable columns to load (columns: "
                    + JsonPayload.printable(String.join(",", header))
                    + ")",
                r.excerpt));
      }
      return;
    }
    String year = null;
    if (timeCol < 0) {
      year = year(ctx);
      if (year == null) {
        out.record(
            bad(
                ctx,
                "the year of this Census response is unknown: it has no 'time' column,"
                    + " the source has no 'dataset' (e.g. \"2012/acs5\") and the file name has no year"
                    + " after an underscore (e.g. acs5_2012_B15003.json); set 'dataset' in the source"
                    + " config",
                r.excerpt));
        return;
      }
    }

    for (int i = 1; i < rows.size(); i++) {
      Node rowNode = rows.get(i);
      String locator = "row " + i;
      if (!(rowNode instanceof Arr) || ((Arr) rowNode).items.size() != header.size()) {
        String why =
            rowNode instanceof Arr
                ? "Census row "
                    + i
                    + " has "
                    + ((Arr) rowNode).items.size()
                    + " fields, the header has "
                    + header.size()
                : "Census row " + i + " is " + rowNode.kind() + ", expected an array of fields";
        out.record(
            RawRecord.unparseable(ctx.source.name, ctx.origin, locator, null, why, rowNode.json()));
        continue;
      }
      List<Node> cells = ((Arr) rowNode).items;
      StringBuilder key = new StringBuilder();
      String missingKey = null;
      for (int c : keyCols) {
        String v = cells.get(c).rawText();
        if (v == null || v.isBlank()) {
          missingKey = header.get(c);
        }
        key.append(key.length() == 0 ? "" : "/")
            .append(header.get(c))
            .append(':')
            .append(v == null ? "" : v.strip());
      }
      String ts = timeCol >= 0 ? timestamp(cells.get(timeCol).rawText()) : year + "-01-01";
      for (int c : valueCols) {
        String variable = header.get(c);
        String seriesId = key.length() == 0 ? variable : variable + "." + key;
        String at = locator + " " + variable;
        if (missingKey != null) {
          out.record(
              new RawRecord(
                  ctx.source.name,
                  ctx.origin,
                  at,
                  seriesId,
                  ts,
                  value(cells.get(c)),
                  ctx.vintage,
                  "Census row " + i + " has no value for its '" + missingKey + "' column"));
          continue;
        }
        out.record(
            RawRecord.of(
                ctx.source.name, ctx.origin, at, seriesId, ts, value(cells.get(c)), ctx.vintage));
      }
    }
  }

  /** Whether a column identifies the series: a geography, or a column named by a predicate. */
  private static boolean isKey(PayloadContext ctx, String column) {
    String lower = column.toLowerCase(Locale.ROOT);
    if (GEOGRAPHY.contains(lower)
        || names(ctx.source.forGeography, lower)
        || names(ctx.source.inGeography, lower)) {
      return true;
    }
    for (Map.Entry<String, String> p : ctx.source.predicates.entrySet()) {
      if (p.getKey() != null
          && p.getKey().strip().equalsIgnoreCase(column)
          && !column.equalsIgnoreCase(TIME)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a {@code for}/{@code in} clause ({@code state:06 county:037}, {@code us:*}) names this
   * geography. Geography names contain spaces, so the clause is searched rather than split.
   */
  private static boolean names(@Nullable String clause, String lowerColumn) {
    if (clause == null) {
      return false;
    }
    String c = clause.toLowerCase(Locale.ROOT);
    int from = 0;
    int at;
    while ((at = c.indexOf(lowerColumn, from)) >= 0) {
      int end = at + lowerColumn.length();
      boolean startsToken =
          at == 0 || c.charAt(at - 1) == ' ' || c.charAt(at - 1) == '+' || c.charAt(at - 1) == '&';
      boolean endsName = end == c.length() || c.charAt(end) == ':';
      if (startsToken && endsName) {
        return true;
      }
      from = at + 1;
    }
    return false;
  }

  private static @Nullable List<String> header(Node first) {
    if (!(first instanceof Arr) || ((Arr) first).items.isEmpty()) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (Node n : ((Arr) first).items) {
      String s = n instanceof Scalar ? n.rawText() : null;
      if (s == null || s.isBlank()) {
        return null;
      }
      names.add(s.strip());
    }
    return names;
  }

  private static String describe(Node n) {
    return n instanceof Arr ? "an array that is not a list of column names" : n.kind();
  }

  private static int indexOfIgnoreCase(List<String> header, String name) {
    for (int i = 0; i < header.size(); i++) {
      if (header.get(i).equalsIgnoreCase(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The cell's text; an ACS annotation code becomes the empty (missing) value. */
  private static @Nullable String value(Node cell) {
    String v = cell.rawText();
    if (v != null && ANNOTATION.matcher(v.strip()).matches()) {
      return "";
    }
    return v;
  }

  /** {@code 2015} to {@code 2015-01-01}, {@code 2015-03} to {@code 2015-03-01}, else as is. */
  static @Nullable String timestamp(@Nullable String time) {
    if (time == null) {
      return null;
    }
    String t = time.strip();
    if (YEAR.matcher(t).matches()) {
      return t + "-01-01";
    }
    if (YEAR_MONTH.matcher(t).matches()) {
      return t + "-01";
    }
    return time;
  }

  /** The dataset year: from config's {@code dataset}, else the payload's file name; or null. */
  static @Nullable String year(PayloadContext ctx) {
    if (ctx.source.dataset != null) {
      Matcher m = DATASET_YEAR.matcher(ctx.source.dataset.strip());
      if (m.find()) {
        return m.group(1);
      }
    }
    String name = ctx.origin;
    int q = name.indexOf('?');
    if (q >= 0) {
      name = name.substring(0, q);
    }
    name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    Matcher m = FILE_YEAR.matcher(name);
    return m.find() ? m.group(1) : null;
  }

  /**
   * The readable text of an error body: tags, comments, scripts and styles of an HTML or XML page
   * removed, entities for markup characters decoded, whitespace collapsed, cut to {@code max}.
   */
  static String bodyText(String body, int max) {
    String s = body;
    if (s.strip().startsWith("<")) {
      s =
          s.replaceAll("(?is)<!--.*?-->", " ")
              .replaceAll("(?is)<(script|style)\\b.*?</\\1\\s*>", " ")
              .replaceAll("<[^>]*>", " ")
              .replace("&nbsp;", " ")
              .replace("&lt;", "<")
              .replace("&gt;", ">")
              .replace("&quot;", "\"")
              .replace("&#39;", "'")
              .replace("&amp;", "&");
    }
    s = s.replaceAll("\\s+", " ").strip();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < max; i++) {
      sb.append(JsonPayload.printable(s.charAt(i)));
    }
    return s.length() <= max ? sb.toString() : sb + "...";
  }

  private static RawRecord bad(PayloadContext ctx, String error, String excerpt) {
    return RawRecord.unparseable(
        ctx.source.name, ctx.origin, "payload", ctx.seriesIdHint, error, excerpt);
  }
}

package dev.tslake.sources;

import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.sources.JsonPayload.Arr;
import dev.tslake.sources.JsonPayload.Node;
import dev.tslake.sources.JsonPayload.Obj;
import dev.tslake.sources.JsonPayload.Scalar;
import java.io.IOException;
import java.io.Reader;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * SEC EDGAR XBRL API responses: {@code /api/xbrl/companyfacts/CIK##########.json} (every concept of
 * a company, under {@code facts.<taxonomy>.<tag>}) and {@code
 * /api/xbrl/companyconcept/CIK##########/<taxonomy>/<tag>.json} (one concept), told apart by their
 * keys. One raw record per fact, restricted to config's {@code concepts} when given.
 *
 * <p>Series ids are {@code <10-digit CIK>.<taxonomy>.<tag>.<unit>} for instant facts (balance sheet
 * items, shares outstanding) and add the period length in months for duration facts ({@code
 * 0001640147.us-gaap.Revenues.USD.3M}), because a filing reports a quarter, the year-to-date and
 * the fiscal year all ending on the same day. The timestamp is the period's {@code end}, the value
 * the exact JSON text of {@code val}, and the vintage the {@code filed} date: a period restated in
 * later filings appears once per filing, and the latest filing wins.
 */
public final class EdgarParser implements PayloadParser {
  private static final long serialVersionUID = 1L;

  /** Average days per month, for rounding a duration to whole months. */
  private static final double DAYS_PER_MONTH = 30.44;

  @Override
  public void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException {
    JsonPayload.Result r = JsonPayload.read(payload);
    if (r.error != null) {
      String body = r.excerpt.strip();
      if (body.startsWith("<")) {
        // data.sec.gov answers errors with an HTML page (rate limit) or an S3 XML error document.
        out.record(
            bad(ctx, "SEC error page (not JSON): " + CensusParser.bodyText(body, 200), r.excerpt));
      } else {
        out.record(bad(ctx, r.error, r.excerpt));
      }
      return;
    }
    if (!(r.root instanceof Obj)) {
      out.record(
          bad(
              ctx,
              "not an SEC EDGAR response: the JSON is " + r.root.kind() + ", expected an object",
              r.excerpt));
      return;
    }
    Obj root = (Obj) r.root;
    boolean companyFacts = root.has("facts");
    boolean companyConcept = !companyFacts && root.has("units") && root.has("tag");
    if (!companyFacts && !companyConcept) {
      String message = root.text("message");
      if (message != null) {
        out.record(bad(ctx, "SEC error: " + message, r.excerpt));
      } else {
        out.record(
            bad(
                ctx,
                "not an SEC EDGAR companyfacts or companyconcept response: no 'facts'"
                    + " or 'units' (top-level keys: "
                    + String.join(", ", root.keys)
                    + ")",
                r.excerpt));
      }
      return;
    }
    String cik = cik(root.get("cik"));
    if (cik == null) {
      out.record(
          bad(
              ctx,
              "SEC EDGAR response has no usable 'cik' (a number of up to 10 digits):"
                  + " "
                  + (root.has("cik") ? root.get("cik").json() : "missing"),
              r.excerpt));
      return;
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (String c : ctx.source.concepts) {
      String k = conceptKey(c);
      if (!k.isEmpty()) {
        wanted.add(k);
      }
    }

    if (companyConcept) {
      String taxonomy = root.text("taxonomy");
      String tag = root.text("tag");
      if (taxonomy == null || tag == null) {
        out.record(
            bad(ctx, "SEC EDGAR companyconcept response has no 'taxonomy' or 'tag'", r.excerpt));
        return;
      }
      if (wanted.isEmpty() || wanted.contains(taxonomy + "/" + tag)) {
        concept(ctx, cik, taxonomy, tag, root, out);
      }
      return;
    }

    Node factsNode = root.get("facts");
    if (!(factsNode instanceof Obj)) {
      out.record(
          bad(
              ctx,
              "'facts' is " + factsNode.kind() + ", expected an object of taxonomies",
              r.excerpt));
      return;
    }
    Obj facts = (Obj) factsNode;
    Set<String> found = new LinkedHashSet<>();
    for (int t = 0; t < facts.size(); t++) {
      String taxonomy = facts.keys.get(t);
      Node tagsNode = facts.values.get(t);
      if (!(tagsNode instanceof Obj)) {
        out.record(
            RawRecord.unparseable(
                ctx.source.name,
                ctx.origin,
                taxonomy,
                null,
                "taxonomy '"
                    + taxonomy
                    + "' is "
                    + tagsNode.kind()
                    + ", expected an object of concepts",
                tagsNode.json()));
        continue;
      }
      Obj tags = (Obj) tagsNode;
      for (int g = 0; g < tags.size(); g++) {
        String tag = tags.keys.get(g);
        String key = taxonomy + "/" + tag;
        if (!wanted.isEmpty() && !wanted.contains(key)) {
          continue;
        }
        found.add(key);
        Node conceptNode = tags.values.get(g);
        if (!(conceptNode instanceof Obj)) {
          out.record(
              RawRecord.unparseable(
                  ctx.source.name,
                  ctx.origin,
                  key,
                  null,
                  "concept '" + key + "' is " + conceptNode.kind() + ", expected an object",
                  conceptNode.json()));
          continue;
        }
        concept(ctx, cik, taxonomy, tag, (Obj) conceptNode, out);
      }
    }
    for (String w : wanted) {
      if (!found.contains(w)) {
        String entity = root.text("entityName");
        out.record(
            bad(
                ctx,
                "concept '"
                    + w
                    + "' is not in the companyfacts of CIK "
                    + cik
                    + (entity == null ? "" : " (" + entity + ")")
                    + ": the company reports no such fact",
                null));
      }
    }
  }

  /** The facts of one concept: a companyfacts concept object or a companyconcept root. */
  private static void concept(
      PayloadContext ctx, String cik, String taxonomy, String tag, Obj concept, ParseOutput out) {
    String where = taxonomy + "/" + tag;
    Node unitsNode = concept.get("units");
    if (!(unitsNode instanceof Obj)) {
      out.record(
          RawRecord.unparseable(
              ctx.source.name,
              ctx.origin,
              where,
              null,
              "concept '"
                  + where
                  + "' has "
                  + (unitsNode == null ? "no 'units'" : "'units' that is " + unitsNode.kind())
                  + ", expected an object of units",
              concept.json()));
      return;
    }
    String label = concept.text("label");
    Obj units = (Obj) unitsNode;
    for (int u = 0; u < units.size(); u++) {
      String unit = units.keys.get(u);
      Node listNode = units.values.get(u);
      String base = cik + "." + taxonomy + "." + tag + "." + unit;
      String at = where + "/" + unit;
      if (!(listNode instanceof Arr)) {
        out.record(
            RawRecord.unparseable(
                ctx.source.name,
                ctx.origin,
                at,
                base,
                "unit '"
                    + unit
                    + "' of '"
                    + where
                    + "' is "
                    + listNode.kind()
                    + ", expected an array of facts",
                listNode.json()));
        continue;
      }
      Map<String, String[]> seen = new LinkedHashMap<>(); // series id -> {frequency, last filed}
      Arr list = (Arr) listNode;
      for (int i = 0; i < list.items.size(); i++) {
        fact(ctx, base, at + "[" + i + "]", list.items.get(i), seen, out);
      }
      for (Map.Entry<String, String[]> e : seen.entrySet()) {
        out.series(
            new SeriesInfo(
                ctx.source.name, e.getKey(), label, unit, e.getValue()[0], null, e.getValue()[1]));
      }
    }
  }

  private static void fact(
      PayloadContext ctx,
      String base,
      String locator,
      Node node,
      Map<String, String[]> seen,
      ParseOutput out) {
    if (!(node instanceof Obj)) {
      out.record(
          new RawRecord(
              ctx.source.name,
              ctx.origin,
              locator,
              base,
              null,
              RawRecord.excerpt(node.json()),
              ctx.vintage,
              "SEC fact is " + node.kind() + ", expected an object"));
      return;
    }
    Obj f = (Obj) node;
    String end = f.text("end");
    String start = f.text("start");
    String filed = f.text("filed");
    Node val = f.get("val");
    String value = val == null ? null : val.rawText();
    String vintage = ctx.vintage != null ? ctx.vintage : filed;
    String seriesId = base;
    String frequency = "instant";
    if (start != null) {
      long days;
      try {
        days =
            ChronoUnit.DAYS.between(
                    LocalDate.parse(start.strip()), LocalDate.parse(end == null ? "" : end.strip()))
                + 1; // both ends inclusive
      } catch (DateTimeParseException e) {
        out.record(
            new RawRecord(
                ctx.source.name,
                ctx.origin,
                locator,
                base,
                end,
                value,
                vintage,
                "SEC fact period start '" + start + "' to end '" + end + "' is not two ISO dates"));
        return;
      }
      if (days < 1) {
        out.record(
            new RawRecord(
                ctx.source.name,
                ctx.origin,
                locator,
                base,
                end,
                value,
                vintage,
                "SEC fact period ends (" + end + ") before it starts (" + start + ")"));
        return;
      }
      long months = Math.round(days / DAYS_PER_MONTH);
      if (months >= 1) {
        seriesId = base + "." + months + "M";
        frequency = monthsFrequency(months);
      } else {
        seriesId = base + "." + days + "D";
        frequency = days == 1 ? "daily" : days + "-day";
      }
    }
    out.record(RawRecord.of(ctx.source.name, ctx.origin, locator, seriesId, end, value, vintage));
    String[] info = seen.computeIfAbsent(seriesId, k -> new String[] {null, null});
    info[0] = frequency;
    if (filed != null && (info[1] == null || filed.compareTo(info[1]) > 0)) {
      info[1] = filed;
    }
  }

  static String monthsFrequency(long months) {
    switch ((int) Math.min(months, Integer.MAX_VALUE)) {
      case 1:
        return "monthly";
      case 3:
        return "quarterly";
      case 6:
        return "semiannual";
      case 12:
        return "annual";
      default:
        return months + "-month";
    }
  }

  /** The CIK as 10 digits ({@code 1640147} to {@code 0001640147}), or null when unusable. */
  static @Nullable String cik(@Nullable Node node) {
    if (!(node instanceof Scalar)) {
      return null;
    }
    String s = node.rawText();
    if (s == null) {
      return null;
    }
    s = s.strip();
    if (s.regionMatches(true, 0, "CIK", 0, 3)) {
      s = s.substring(3);
    }
    if (!s.matches("\\d{1,10}")) {
      return null;
    }
    return "0".repeat(10 - s.length()) + s;
  }

  /** A configured concept as {@code taxonomy/tag}; {@code us-gaap:Revenues} is accepted too. */
  static String conceptKey(String concept) {
    String c = concept.strip();
    int slash = c.indexOf('/');
    if (slash < 0) {
      int colon = c.indexOf(':');
      if (colon >= 0) {
        c = c.substring(0, colon) + "/" + c.substring(colon + 1);
      }
    }
    return c;
  }

  private static RawRecord bad(PayloadContext ctx, String error, @Nullable String excerpt) {
    return RawRecord.unparseable(
        ctx.source.name, ctx.origin, "payload", ctx.seriesIdHint, error, excerpt);
  }
}

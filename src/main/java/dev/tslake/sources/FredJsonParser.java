package dev.tslake.sources;

import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.sources.JsonPayload.Arr;
import dev.tslake.sources.JsonPayload.Node;
import dev.tslake.sources.JsonPayload.Obj;
import java.io.IOException;
import java.io.Reader;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * FRED API JSON: {@code /fred/series/observations?file_type=json} responses (one raw record per
 * element of {@code observations}) and {@code /fred/series} responses (one {@link SeriesInfo} per
 * element of {@code seriess}; an element without a usable id, or with a NUL in a field, is one
 * unparseable record instead, and the other elements still apply).
 *
 * <p>Observation responses do not name their series, so the series id comes from the context
 * (config, or the file name). Values are kept as written: FRED's {@code "."} for a missing value is
 * left for validation. The vintage of an observation is its {@code realtime_start}, unless config
 * states one.
 */
public final class FredJsonParser implements PayloadParser {
  private static final long serialVersionUID = 1L;

  @Override
  public void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException {
    JsonPayload.Result r = JsonPayload.read(payload);
    if (r.error != null) {
      out.record(bad(ctx, r.error, r.excerpt));
      return;
    }
    Node rootNode = r.root;
    if (!(rootNode instanceof Obj)) {
      out.record(
          bad(
              ctx,
              "not a FRED response: the JSON is " + rootNode.kind() + ", expected an object",
              r.excerpt));
      return;
    }
    Obj root = (Obj) rootNode;
    if (root.has("error_code") || root.has("error_message")) {
      String code = root.text("error_code");
      String msg = root.text("error_message");
      out.record(
          bad(
              ctx,
              "FRED error "
                  + (code == null ? "(no code)" : code)
                  + ": "
                  + (msg == null ? "(no message)" : msg),
              r.excerpt));
      return;
    }
    Node obs = root.get("observations");
    Node seriess = root.get("seriess");
    if (obs == null && seriess == null) {
      out.record(
          bad(
              ctx,
              "not a FRED observations or series response: no 'observations' or"
                  + " 'seriess' array (top-level keys: "
                  + String.join(", ", root.keys)
                  + ")",
              r.excerpt));
      return;
    }
    if (obs != null) {
      observations(ctx, root, obs, r.excerpt, out);
    }
    if (seriess != null) {
      series(ctx, seriess, r.excerpt, out);
    }
  }

  private static void observations(
      PayloadContext ctx, Obj root, Node obs, String excerpt, ParseOutput out) {
    if (!(obs instanceof Arr)) {
      out.record(bad(ctx, "'observations' is " + obs.kind() + ", expected an array", excerpt));
      return;
    }
    if (ctx.seriesIdHint == null || ctx.seriesIdHint.isBlank()) {
      out.record(
          bad(
              ctx,
              "FRED observation responses carry no series id: give the file's"
                  + " seriesId in config",
              excerpt));
      return;
    }
    String fallbackVintage = root.text("realtime_start");
    Arr items = (Arr) obs;
    for (int i = 0; i < items.items.size(); i++) {
      Node item = items.items.get(i);
      String locator = "observations[" + i + "]";
      if (!(item instanceof Obj)) {
        out.record(
            RawRecord.of(
                ctx.source.name,
                ctx.origin,
                locator,
                ctx.seriesIdHint,
                null,
                item.rawText(),
                vintage(ctx, fallbackVintage)));
        continue;
      }
      Obj o = (Obj) item;
      String rt = o.text("realtime_start");
      out.record(
          RawRecord.of(
              ctx.source.name,
              ctx.origin,
              locator,
              ctx.seriesIdHint,
              o.text("date"),
              o.text("value"),
              vintage(ctx, rt != null ? rt : fallbackVintage)));
    }
  }

  private static void series(PayloadContext ctx, Node seriess, String excerpt, ParseOutput out) {
    if (!(seriess instanceof Arr)) {
      out.record(bad(ctx, "'seriess' is " + seriess.kind() + ", expected an array", excerpt));
      return;
    }
    Arr items = (Arr) seriess;
    for (int i = 0; i < items.items.size(); i++) {
      Node item = items.items.get(i);
      String id = item instanceof Obj ? ((Obj) item).text("id") : null;
      if (id == null || id.isBlank()) {
        out.record(
            RawRecord.unparseable(
                ctx.source.name,
                ctx.origin,
                "seriess[" + i + "]",
                null,
                "FRED series metadata element has no 'id'",
                item.json()));
        continue;
      }
      Obj o = (Obj) item;
      String problem = metadataProblem(o, id);
      if (problem != null) {
        out.record(
            RawRecord.unparseable(
                ctx.source.name,
                ctx.origin,
                "seriess[" + i + "]",
                id.indexOf('\u0000') < 0 ? id : null,
                problem,
                item.json()));
        continue;
      }
      out.series(
          new SeriesInfo(
              ctx.source.name,
              id,
              o.text("title"),
              o.text("units"),
              o.text("frequency"),
              o.text("seasonal_adjustment"),
              o.text("last_updated")));
    }
  }

  private static final String[] METADATA_FIELDS = {
    "title", "units", "frequency", "seasonal_adjustment", "last_updated"
  };

  /**
   * Why a metadata element cannot be a series row, or null: an id with a control character (no
   * observation's series id may have one) or a NUL in any field (PostgreSQL text cannot hold it).
   */
  private static @Nullable String metadataProblem(Obj o, String id) {
    for (int c = 0; c < id.length(); c++) {
      if (Character.isISOControl(id.charAt(c))) {
        return "FRED series metadata 'id' contains control character U+"
            + String.format("%04X", (int) id.charAt(c));
      }
    }
    for (String field : METADATA_FIELDS) {
      String v = o.text(field);
      if (v != null && v.indexOf('\u0000') >= 0) {
        return "FRED series metadata '"
            + field
            + "' of series '"
            + id
            + "' contains control character U+0000";
      }
    }
    return null;
  }

  private static @Nullable String vintage(PayloadContext ctx, @Nullable String fromPayload) {
    return ctx.vintage != null ? ctx.vintage : fromPayload;
  }

  private static RawRecord bad(PayloadContext ctx, String error, String excerpt) {
    return RawRecord.unparseable(
        ctx.source.name, ctx.origin, "payload", ctx.seriesIdHint, error, excerpt);
  }
}

package dev.tslake.sources;

import dev.tslake.model.RawRecord;
import dev.tslake.sources.JsonPayload.Node;
import dev.tslake.sources.JsonPayload.Obj;
import java.io.IOException;
import java.io.Reader;

/**
 * CoinDesk Bitcoin Price Index snapshots ({@code /v1/bpi/currentprice.json}): one raw record per
 * currency of {@code bpi}, series {@code BTC-<code>}, at {@code time.updatedISO}. A snapshot is its
 * own vintage. The value is {@code rate_float} exactly as written in the payload (the formatted
 * {@code rate} string, {@code "51,165.4784"}, is ignored).
 */
public final class CoinDeskParser implements PayloadParser {
  private static final long serialVersionUID = 1L;

  @Override
  public void parse(PayloadContext ctx, Reader payload, ParseOutput out) throws IOException {
    JsonPayload.Result r = JsonPayload.read(payload);
    if (r.error != null) {
      out.record(bad(ctx, r.error, r.excerpt));
      return;
    }
    if (!(r.root instanceof Obj)) {
      out.record(
          bad(
              ctx,
              "not a CoinDesk BPI snapshot: the JSON is " + r.root.kind() + ", expected an object",
              r.excerpt));
      return;
    }
    Obj root = (Obj) r.root;
    Node time = root.get("time");
    String updated = time instanceof Obj ? ((Obj) time).text("updatedISO") : null;
    if (updated == null || updated.isBlank()) {
      out.record(
          bad(
              ctx,
              "not a CoinDesk BPI snapshot: no 'time.updatedISO'"
                  + " (top-level keys: "
                  + String.join(", ", root.keys)
                  + ")",
              r.excerpt));
      return;
    }
    Node bpiNode = root.get("bpi");
    if (!(bpiNode instanceof Obj)) {
      out.record(
          bad(
              ctx,
              bpiNode == null
                  ? "not a CoinDesk BPI snapshot: no 'bpi' object"
                  : "CoinDesk 'bpi' is " + bpiNode.kind() + ", expected an object",
              r.excerpt));
      return;
    }
    Obj bpi = (Obj) bpiNode;
    String vintage = ctx.vintage != null ? ctx.vintage : updated;
    for (int i = 0; i < bpi.size(); i++) {
      String code = bpi.keys.get(i);
      Node cur = bpi.values.get(i);
      String locator = "bpi." + code;
      String seriesId = "BTC-" + code;
      Node rate = cur instanceof Obj ? ((Obj) cur).get("rate_float") : null;
      if (rate == null) {
        out.record(
            new RawRecord(
                ctx.source.name,
                ctx.origin,
                locator,
                seriesId,
                updated,
                RawRecord.excerpt(cur.json()),
                vintage,
                "CoinDesk currency '" + code + "' has no 'rate_float'"));
        continue;
      }
      out.record(
          RawRecord.of(
              ctx.source.name, ctx.origin, locator, seriesId, updated, rate.rawText(), vintage));
    }
    if (bpi.size() == 0) {
      out.record(bad(ctx, "CoinDesk 'bpi' has no currencies", r.excerpt));
    }
  }

  private static RawRecord bad(PayloadContext ctx, String error, String excerpt) {
    return RawRecord.unparseable(
        ctx.source.name, ctx.origin, "payload", ctx.seriesIdHint, error, excerpt);
  }
}

/* tslake dashboard: one page over the JSON API (/api), charts drawn with uPlot (webjar).
 * Tests read window.tslake (the page's state), updated after every draw:
 *   {series, source, seriesId, maxPoints, points, drawn, draws, rolling: [windows],
 *    candles: {window, count, drawn}, runs, rejectsRun, quality, errors: []}
 */
(function () {
  "use strict";

  const state = (window.tslake = {
    series: null, source: null, seriesId: null, maxPoints: 0, points: 0, drawn: false, draws: 0,
    rolling: [], candles: { window: null, count: 0, drawn: false }, runs: 0, rejectsRun: null,
    quality: 0, errors: [],
  });

  const $ = (id) => document.getElementById(id);
  const ROLLING_COLORS = ["#f59e0b", "#10b981", "#8b5cf6", "#ec4899"];
  let lineChart = null;
  let candleChart = null;
  let seq = 0; // drops answers of a superseded selection

  // ---------- HTTP ----------
  function rows(body) {
    if (Array.isArray(body)) return body;
    if (!body || typeof body !== "object") return [];
    for (const k of ["items", "points", "rows", "data", "results"]) {
      if (Array.isArray(body[k])) return body[k];
    }
    return [];
  }

  async function api(path, params) {
    const qs = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== "")) : null;
    const url = "/api" + path + (qs && qs.toString() ? "?" + qs : "");
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && (body.message || body.error || body.title)) || res.status + " " + url);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  function seriesPath(source, id) {
    return "/series/" + encodeURIComponent(source) + "/" + encodeURIComponent(id);
  }

  function showError(where, e) {
    const msg = where + ": " + (e && e.message ? e.message : e);
    state.errors.push(msg);
    $("status").textContent = msg;
  }

  // ---------- formatting ----------
  const toSec = (ts) => (typeof ts === "number" ? (ts > 1e11 ? ts / 1000 : ts) : Date.parse(ts) / 1000);
  const num = (v) => (v == null || v === "" ? null : Number(v));
  const fmtInt = (v) => (v == null ? "" : Number(v).toLocaleString("en-US"));
  const fmtNum = (v) => (v == null || v === "" ? "" : Number.isFinite(Number(v)) ? Number(v).toPrecision(6).replace(/\.?0+$/, "") : String(v));
  const fmtTs = (ts) => (ts ? String(ts).replace("T", " ").replace(/\.\d+/, "").replace(/(:00)?Z$/, "") : "");
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 2 });
  // y axis: compact labels (60K, 1.2M) that fit the axis' width
  const yAxis = () => ({ size: 56, values: (u, vals) => vals.map((v) => (v == null ? "" : compact.format(v))) });
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
    }
    for (const kid of kids) e.append(kid instanceof Node ? kid : document.createTextNode(kid == null ? "" : String(kid)));
    return e;
  }
  function badge(status) {
    const s = String(status || "").toLowerCase();
    const cls = ["succeeded", "pass", "passed", "ok"].includes(s) ? "ok"
      : ["failed", "fail", "error", "failed_checks", "incomplete"].includes(s) ? "bad"
      : ["warn", "warning", "running"].includes(s) ? "warn" : "";
    return el("span", { class: "badge " + cls }, status == null ? "" : status);
  }
  const pick = (o, ...keys) => { for (const k of keys) if (o && o[k] != null) return o[k]; return null; };

  // ---------- series picker ----------
  let searchTimer = null;
  let listSeq = 0; // answers to older searches arrive late under load; only the newest may draw
  async function loadSeriesList() {
    const my = ++listSeq;
    const q = $("series-search").value.trim();
    try {
      const body = await api("/series", { q: q, limit: 200 });
      if (my !== listSeq) return [];
      const list = rows(body);
      const ul = $("series-list");
      ul.replaceChildren();
      for (const s of list) {
        const id = s.series_id ?? s.seriesId;
        const b = el("button", { type: "button", "data-source": s.source, "data-series-id": id,
                                 title: (s.title || "") + (s.units ? " (" + s.units + ")" : "") },
          el("span", { class: "src" }, s.source + " · " + fmtInt(pick(s, "observations", "count", "n")) + " obs"), id);
        if (s.source === state.source && id === state.seriesId) b.classList.add("selected");
        b.addEventListener("click", () => selectSeries(s.source, id, s));
        ul.append(el("li", null, b));
      }
      $("series-more").textContent = list.length ? "" : "no series match";
      state.listed = list.length;
      state.listQuery = q;
      return list;
    } catch (e) {
      if (my === listSeq) showError("series", e);
      return [];
    }
  }

  async function selectSeries(source, id, meta) {
    const my = ++seq;
    Object.assign(state, { series: source + "/" + id, source: source, seriesId: id, drawn: false, points: 0,
                           rolling: [], candles: { window: null, count: 0, drawn: false } });
    $("status").textContent = "";
    for (const b of document.querySelectorAll("#series-list button")) {
      b.classList.toggle("selected", b.dataset.source === source && b.dataset.seriesId === id);
    }
    $("current-series").textContent = source + " / " + id + (meta && meta.title && meta.title !== id ? " — " + meta.title : "");
    history.replaceState(null, "", "#" + encodeURIComponent(source) + "/" + encodeURIComponent(id));
    let info = {};
    try {
      info = await api(seriesPath(source, id)); // windows of its aggregates and rolling means
    } catch (e) {
      if (my === seq) showError("series", e);
      return;
    }
    if (my !== seq) return;
    setCandleWindows(info.aggregate_windows || []);
    await Promise.all([drawLine(source, id, my, info.rolling_windows || []), drawCandles(source, id, my)]);
  }

  /** The candle selector offers the series' own window sizes; keeps the chosen one if it has it. */
  function setCandleWindows(windows) {
    const select = $("candle-window");
    const chosen = select.value;
    const sorted = [...windows].sort((a, b) => rank(a) - rank(b));
    select.replaceChildren(...sorted.map((w) => el("option", { value: w }, w)));
    if (sorted.includes(chosen)) select.value = chosen;
    else if (sorted.length) select.value = sorted.find((w) => w === "P1D" || w === "P1M") || sorted[0];
    select.disabled = !sorted.length;
  }
  function rank(w) { // ISO-8601 duration, roughly in seconds, to sort window sizes
    const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(w);
    if (!m) return Number.MAX_SAFE_INTEGER;
    const f = [31536000, 2592000, 604800, 86400, 3600, 60, 1];
    return m.slice(1).reduce((acc, v, i) => acc + (v ? Number(v) * f[i] : 0), 0);
  }

  // ---------- line chart with rolling means ----------
  function chartWidth(id) {
    return Math.max(300, Math.floor($(id).getBoundingClientRect().width));
  }

  async function drawLine(source, id, my, rollingWindows) {
    const width = chartWidth("line-chart");
    const maxPoints = width;
    let obs, obsBody;
    try {
      obsBody = await api(seriesPath(source, id) + "/observations", { maxPoints: maxPoints });
      obs = rows(obsBody);
    } catch (e) {
      if (my === seq) showError("observations", e);
      return;
    }
    let rolling = [];
    for (const w of rollingWindows) {
      try {
        rolling = rolling.concat(rows(await api(seriesPath(source, id) + "/rolling", { window: w, limit: 100000 }))
          .map((r) => Object.assign({ window: w }, r)));
      } catch (e) {
        // no rolling table (404) or none for this window: the line alone
      }
    }
    if (my !== seq) return;

    const xs = [], ys = [];
    for (const o of obs) { xs.push(toSec(o.ts)); ys.push(num(o.value)); }
    const tables = [[xs, ys]];
    const series = [{}, { label: id, stroke: "#2563eb", width: 1.25, spanGaps: false }];
    const byWindow = new Map();
    for (const r of rolling) {
      const w = r.window;
      if (!byWindow.has(w)) byWindow.set(w, [[], []]);
      const t = byWindow.get(w); t[0].push(toSec(r.ts)); t[1].push(num(r.mean));
    }
    let c = 0;
    for (const [w, t] of byWindow) {
      tables.push(t);
      series.push({ label: "mean " + w, stroke: ROLLING_COLORS[c++ % ROLLING_COLORS.length], width: 1.5, spanGaps: true });
    }
    const data = tables.length > 1 ? uPlot.join(tables) : tables[0];
    if (lineChart) lineChart.destroy();
    $("line-chart").replaceChildren();
    if (!xs.length) $("line-chart").append(el("div", { class: "empty" }, "no observations"));
    lineChart = new uPlot({ width: width, height: 320, series: series, scales: { x: { time: true } }, axes: [{}, yAxis()],
                            legend: { live: true }, cursor: { drag: { x: true, y: false } } },
                          data, $("line-chart"));
    $("line-info").textContent = fmtInt(xs.length) + " points" + (obsBody && obsBody.downsampled === true ? " (downsampled on the server)" : "");
    $("rolling-info").textContent = byWindow.size ? "rolling means: " + [...byWindow.keys()].join(", ") : "";
    Object.assign(state, { maxPoints: maxPoints, points: xs.length, rolling: [...byWindow.keys()], drawn: true });
    state.draws++;
  }

  // ---------- OHLC candles from aggregates ----------
  function candlePlugin() {
    return {
      hooks: {
        draw: (u) => {
          const [xs, open, high, low, close] = u.data;
          if (!xs || !xs.length) return;
          const ctx = u.ctx;
          const left = u.bbox.left, right = u.bbox.left + u.bbox.width;
          const gap = xs.length > 1 ? Math.abs(u.valToPos(xs[1], "x", true) - u.valToPos(xs[0], "x", true)) : u.bbox.width / 4;
          const body = Math.max(1, Math.min(24 * devicePixelRatio, gap * 0.7));
          ctx.save();
          ctx.beginPath(); ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height); ctx.clip();
          for (let i = 0; i < xs.length; i++) {
            if (open[i] == null || close[i] == null || high[i] == null || low[i] == null) continue;
            const x = u.valToPos(xs[i], "x", true);
            if (x < left - body || x > right + body) continue;
            const yo = u.valToPos(open[i], "y", true), yc = u.valToPos(close[i], "y", true);
            const yh = u.valToPos(high[i], "y", true), yl = u.valToPos(low[i], "y", true);
            const color = close[i] >= open[i] ? "#16a34a" : "#dc2626";
            ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = Math.max(1, devicePixelRatio);
            ctx.beginPath(); ctx.moveTo(Math.round(x) + 0.5, yh); ctx.lineTo(Math.round(x) + 0.5, yl); ctx.stroke();
            ctx.fillRect(Math.round(x - body / 2), Math.min(yo, yc), Math.round(body), Math.max(1, Math.abs(yc - yo)));
          }
          ctx.restore();
        },
      },
    };
  }

  async function drawCandles(source, id, my) {
    const select = $("candle-window");
    const window = select.value;
    let aggs = [];
    try {
      if (window) aggs = rows(await api(seriesPath(source, id) + "/aggregates", { window: window, limit: 100000 }));
    } catch (e) {
      if (my === seq) showError("aggregates", e);
      return;
    }
    if (my !== seq) return;
    const xs = [], o = [], h = [], l = [], c = [];
    for (const a of aggs) {
      xs.push(toSec(pick(a, "window_start", "windowStart", "ts")));
      o.push(num(pick(a, "first", "open"))); h.push(num(pick(a, "max", "high")));
      l.push(num(pick(a, "min", "low"))); c.push(num(pick(a, "last", "close")));
    }
    const width = chartWidth("candle-chart");
    if (candleChart) candleChart.destroy();
    $("candle-chart").replaceChildren();
    if (!xs.length) $("candle-chart").append(el("div", { class: "empty" }, window ? "no aggregates for " + window : "no aggregates for this series"));
    const hidden = { paths: () => null, points: { show: false } };
    candleChart = new uPlot({
      width: width, height: 280, plugins: [candlePlugin()], axes: [{}, yAxis()],
      scales: { x: { time: true, range: (u, min, max) => { const pad = xs.length > 1 ? (xs[1] - xs[0]) : 86400; return [min - pad, max + pad]; } } },
      series: [{}, Object.assign({ label: "open" }, hidden), Object.assign({ label: "high" }, hidden),
               Object.assign({ label: "low" }, hidden), Object.assign({ label: "close" }, hidden)],
    }, [xs, o, h, l, c], $("candle-chart"));
    $("candle-info").textContent = fmtInt(xs.length) + " × " + window;
    state.candles = { window: window || null, count: xs.length, drawn: true };
    state.draws++;
  }

  // ---------- runs, rejects, quality ----------
  async function loadRuns() {
    try {
      const list = rows(await api("/runs", { limit: 20 }));
      const tb = $("runs-table").tBodies[0];
      tb.replaceChildren();
      for (const r of list) {
        const id = pick(r, "run_id", "runId");
        const tr = el("tr", { class: "clickable", "data-run-id": id, title: r.message || "" },
          el("td", null, id), el("td", null, badge(r.status)), el("td", null, fmtTs(pick(r, "started_at", "startedAt"))),
          el("td", { class: "num" }, fmtInt(pick(r, "records_read", "recordsRead"))),
          el("td", { class: "num" }, fmtInt(pick(r, "observations_loaded", "observationsLoaded"))),
          el("td", { class: "num" }, fmtInt(pick(r, "duplicates_superseded", "duplicatesSuperseded"))),
          el("td", { class: "num" }, fmtInt(pick(r, "records_rejected", "recordsRejected"))),
          el("td", { class: "num" }, fmtInt(pick(r, "records_in_flight", "recordsInFlight"))),
          el("td", { class: "num" }, fmtInt(pick(r, "aggregates_loaded", "aggregatesLoaded"))));
        tr.addEventListener("click", () => loadRejects(id));
        tb.append(tr);
      }
      state.runs = list.length;
      state.runIds = list.map((r) => pick(r, "run_id", "runId"));
      if (list.length) await loadRejects(state.runIds[0]);
    } catch (e) {
      showError("runs", e);
    }
  }

  async function loadRejects(runId) {
    for (const tr of $("runs-table").tBodies[0].rows) tr.classList.toggle("active", tr.dataset.runId === runId);
    $("rejects-run").textContent = runId;
    const tb = $("rejects-table").tBodies[0];
    try {
      const body = await api("/runs/" + encodeURIComponent(runId) + "/rejects");
      const counts = Array.isArray(body && body.by_reason) ? body.by_reason : rows(body);
      tb.replaceChildren();
      counts.sort((a, b) => num(pick(b, "count", "n")) - num(pick(a, "count", "n")));
      for (const c of counts) {
        tb.append(el("tr", null, el("td", null, c.stage), el("td", null, c.reason),
                     el("td", { class: "num" }, fmtInt(pick(c, "count", "n")))));
      }
      if (!counts.length) tb.append(el("tr", null, el("td", { colSpan: 3, class: "muted" }, "no rejects")));
      state.rejectsRun = runId;
      state.rejectReasons = counts.length;
    } catch (e) {
      tb.replaceChildren(el("tr", null, el("td", { colSpan: 3, class: "muted" }, e.message)));
    }
  }

  const FAILED = (q) => !["pass", "passed", "ok", "succeeded"].includes(String(q.status).toLowerCase());
  const SEVERITY = { error: 0, warn: 1, warning: 1, info: 2 };
  async function loadQuality() {
    const tb = $("quality-table").tBodies[0];
    try {
      const list = rows(await api("/quality", { limit: 200 }));
      list.sort((a, b) => (FAILED(b) - FAILED(a)) || ((SEVERITY[a.severity] ?? 3) - (SEVERITY[b.severity] ?? 3)));
      tb.replaceChildren();
      for (const q of list) {
        tb.append(el("tr", { title: q.examples ? JSON.stringify(q.examples) : "" },
          el("td", null, badge(q.status)), el("td", null, q.severity), el("td", null, q.check),
          el("td", null, q.source + (q.series_id ? " / " + q.series_id : "")),
          el("td", { class: "num" }, fmtNum(q.observed)), el("td", { class: "num" }, fmtNum(q.threshold)),
          el("td", null, pick(q, "run_id", "runId"))));
      }
      if (!list.length) tb.append(el("tr", null, el("td", { colSpan: 7, class: "muted" }, "no quality results")));
      state.quality = list.length;
    } catch (e) {
      tb.replaceChildren(el("tr", null, el("td", { colSpan: 7, class: "muted" },
        e.status === 404 ? "no quality results in this warehouse" : e.message)));
      state.quality = 0;
    }
  }

  // ---------- wiring ----------
  $("series-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadSeriesList, 200);
  });
  $("candle-window").addEventListener("change", () => {
    if (state.source) drawCandles(state.source, state.seriesId, seq);
  });
  $("runs-refresh").addEventListener("click", () => { loadRuns(); loadQuality(); });
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (state.source) selectSeries(state.source, state.seriesId); }, 300);
  });

  (async function init() {
    const list = await loadSeriesList();
    const hash = location.hash.slice(1); // #<source>/<series_id>, each URI-encoded
    const slash = hash.indexOf("/");
    if (slash > 0) await selectSeries(decodeURIComponent(hash.slice(0, slash)), decodeURIComponent(hash.slice(slash + 1)));
    else if (list.length) await selectSeries(list[0].source, list[0].series_id ?? list[0].seriesId, list[0]);
    await Promise.all([loadRuns(), loadQuality()]);
    state.ready = true;
  })();
})();

package dev.tslake.aggregate;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.WindowSpec;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Observation;
import dev.tslake.warehouse.BatchWriter;
import dev.tslake.warehouse.ReadStoredObservations;
import dev.tslake.warehouse.Tables;
import dev.tslake.warehouse.WarehouseSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The {@code aggregates} of a continuous run. Input: observations once the warehouse committed them
 * ({@code UpsertBatches.withCommittedRows()}); output: one count per aggregate row written.
 *
 * <p>Per window size of the config, the points are stamped with their event time and put in {@code
 * Window.into(SpecWindows)} with {@link AggregateTriggering}: a pane when the watermark passes the
 * window's end, early panes every {@code earlyPeriod}, a late pane for each late point within the
 * allowed lateness, accumulating. Each pane of a (series, window) asks for that window's row to be
 * rewritten; the row is computed from the warehouse's stored observations of the window (which hold
 * the pane's points, committed before they got here, and every point stored by earlier runs), so
 * each pane upserts the whole window's statistics, the same row a batch run over the same data
 * stores.
 *
 * <p>Points later than the allowed lateness (FRED revises months-old observations) would be dropped
 * by the window: a point whose window ended more than the allowed lateness before now (the
 * watermark never passes the processing time of the polls) also goes the recompute path, grouped in
 * the global window and fired every {@code earlyPeriod} of processing time. Both paths end in one
 * step keyed by (series, window) that reads, computes and writes the row in turn, so two rewrites
 * of one window never overtake each other.
 *
 * <p>State stays bounded: the windows' combiners hold one count per (series, window) until the
 * window expires; the recompute path holds one count per window key between firings; the writer
 * keeps nothing.
 */
public final class ContinuousAggregates
    extends PTransform<PCollection<Observation>, PCollection<Long>> {
  private final PipelineConfig config;
  private final WarehouseSpec warehouse;
  private final AggregateTriggering triggering;

  private ContinuousAggregates(
      PipelineConfig config, WarehouseSpec warehouse, AggregateTriggering triggering) {
    this.config = config;
    this.warehouse = warehouse;
    this.triggering = triggering;
  }

  public static ContinuousAggregates of(
      PipelineConfig config, WarehouseSpec warehouse, AggregateTriggering triggering) {
    return new ContinuousAggregates(config, warehouse, triggering);
  }

  @Override
  public PCollection<Long> expand(PCollection<Observation> committed) {
    Map<String, HashSet<String>> sourcesBySize = new TreeMap<>();
    for (SourceConfig s : config.sources) {
      for (WindowSpec w : s.windowSpecs()) {
        sourcesBySize.computeIfAbsent(w.text(), k -> new HashSet<>()).add(s.name);
      }
    }
    KvCoder<String, Long> kvCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    KvCoder<String, String> tailCoder = KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
    KvCoder<String, Iterable<String>> requestCoder =
        KvCoder.of(StringUtf8Coder.of(), IterableCoder.of(StringUtf8Coder.of()));
    List<PCollection<KV<String, Iterable<String>>>> rewrites = new ArrayList<>();
    List<PCollection<KV<String, String>>> tooLate = new ArrayList<>();
    for (Map.Entry<String, HashSet<String>> e : sourcesBySize.entrySet()) {
      String size = e.getKey();
      HashSet<String> sources = e.getValue();
      PCollection<Observation> forSize =
          committed.apply(
              "Sources " + size,
              org.apache.beam.sdk.transforms.Filter.by(o -> sources.contains(o.source)));
      // event-time windows with triggers: one rewrite per pane of a (series, window)
      rewrites.add(
          forSize
              .apply("EventTime " + size, ParDo.of(new WindowIntoAggregates.EventTimeFn()))
              .setCoder(forSize.getCoder())
              .apply("Window " + size, triggering.applyTo(Window.into(SpecWindows.of(size))))
              .apply("BySeries " + size, ParDo.of(new SeriesKeyFn()))
              .setCoder(kvCoder)
              .apply("PanePoints " + size, Sum.longsPerKey())
              .apply("PaneWindow " + size, ParDo.of(new WindowKeyFn(size)))
              .setCoder(requestCoder)
              .apply(
                  "Unwindowed " + size,
                  Window.<KV<String, Iterable<String>>>into(new GlobalWindows())
                      .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                      .discardingFiredPanes()
                      .withAllowedLateness(Duration.ZERO)));
      // points too late for their window: recomputed on a processing-time period
      tooLate.add(
          forSize
              .apply(
                  "TooLate " + size,
                  ParDo.of(new TooLateFn(size, triggering.allowedLateness(), margin())))
              .setCoder(tailCoder));
    }
    // the too-late windows of a period, grouped by series: a backfill of years of points is one
    // request per series and period, rewritten as a batch
    rewrites.add(
        PCollectionList.of(tooLate)
            .apply("AllTooLate", Flatten.pCollections())
            .setCoder(tailCoder)
            .apply(
                "EveryPeriod",
                Window.<KV<String, String>>into(new GlobalWindows())
                    .triggering(
                        Repeatedly.forever(
                            AfterProcessingTime.pastFirstElementInPane()
                                .plusDelayOf(triggering.earlyPeriod())))
                    .discardingFiredPanes()
                    .withAllowedLateness(Duration.ZERO))
            .apply("LateWindows", GroupByKey.create())
            .setCoder(requestCoder)
            .apply(
                "LateUnwindowed",
                Window.<KV<String, Iterable<String>>>into(new GlobalWindows())
                    .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                    .discardingFiredPanes()
                    .withAllowedLateness(Duration.ZERO)));
    return PCollectionList.of(rewrites)
        .apply("AllRewrites", Flatten.pCollections())
        .setCoder(requestCoder)
        .apply("RewriteWindows", ParDo.of(new RewriteFn(warehouse)))
        .setCoder(VarLongCoder.of());
  }

  /** How far ahead of now a window's expiry must lie for the window path alone to be trusted. */
  private Duration margin() {
    Duration early = triggering.earlyPeriod();
    return early.isLongerThan(Duration.standardMinutes(1)) ? early : Duration.standardMinutes(1);
  }

  /** (source, series) key: as {@link WindowIntoAggregates#key}. */
  static final class SeriesKeyFn extends DoFn<Observation, KV<String, Long>> {
    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(WindowIntoAggregates.key(o.source, o.seriesId), 1L));
    }
  }

  /** A pane of a series' window becomes a request to rewrite that window's row. */
  static final class WindowKeyFn extends DoFn<KV<String, Long>, KV<String, Iterable<String>>> {
    private final String size;

    WindowKeyFn(String size) {
      this.size = size;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Long> kv,
        BoundedWindow window,
        OutputReceiver<KV<String, Iterable<String>>> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(
          KV.of(
              kv.getKey(), List.of(windowTail(size, w.start().getMillis(), w.end().getMillis()))));
    }
  }

  /**
   * Points whose window expired (end + allowed lateness) before now + margin: the window may drop
   * them, so their window is rewritten by the recompute path as well.
   */
  static final class TooLateFn extends DoFn<Observation, KV<String, String>> {
    private final WindowSpec spec;
    private final String size;
    private final long latenessMillis;
    private final long marginMillis;

    TooLateFn(String size, Duration lateness, Duration margin) {
      this.spec = WindowSpec.parse(size);
      this.size = size;
      this.latenessMillis = lateness.getMillis();
      this.marginMillis = margin.getMillis();
    }

    @ProcessElement
    public void process(@Element Observation o, OutputReceiver<KV<String, String>> out) {
      long[] b = spec.bounds(o.ts);
      if (b[1] + latenessMillis <= Instant.now().getMillis() + marginMillis) {
        out.output(
            KV.of(WindowIntoAggregates.key(o.source, o.seriesId), windowTail(size, b[0], b[1])));
      }
    }
  }

  /** A window of a series: size NUL start NUL end. */
  static String windowTail(String size, long start, long end) {
    return size + '\u0000' + start + '\u0000' + end;
  }

  /** A window of a series to rewrite: size, [start, end). */
  record WindowRequest(String size, long start, long end) {
    static WindowRequest parse(String text) {
      String[] k = text.split("\u0000", -1);
      return new WindowRequest(k[0], Long.parseLong(k[1]), Long.parseLong(k[2]));
    }
  }

  /**
   * Reads the stored observations of each requested window, computes its row as the batch path does
   * ({@link SeriesStats}) and upserts it.
   *
   * <p>Keyed by series (a stateful step: the runner never processes one key on two threads at once,
   * and a key's next bundle starts after this one finished), so two rewrites of one window never
   * overtake each other. The requests of a bundle are collected and done when the bundle finishes:
   * a window asked for twice is read once, the windows of a series are read with one query per run
   * of adjacent or overlapping windows, on one connection, and all rows are written as one batch. A
   * backfill of years of daily points is thus a few batches, not one transaction per window. The
   * state is cleared at once, so none is kept; the buffer lives only for the bundle.
   */
  static final class RewriteFn extends DoFn<KV<String, Iterable<String>>, Long> {
    private final WarehouseSpec warehouse;
    private final Counter rewritten = Metrics.counter(ContinuousAggregates.class, "rewritten");

    @StateId("turn")
    private final StateSpec<ValueState<Long>> turn = StateSpecs.value(VarLongCoder.of());

    private transient BatchWriter<Aggregate> writer;
    private transient Map<String, TreeSet<String>> pending;
    private transient Instant earliest;
    private transient BoundedWindow window;

    RewriteFn(WarehouseSpec warehouse) {
      this.warehouse = warehouse;
    }

    @Setup
    public void setup() throws SQLException {
      writer = new BatchWriter<>(warehouse, Tables.aggregates(), true, false);
    }

    @StartBundle
    public void startBundle() {
      pending = new TreeMap<>();
      earliest = null;
      window = null;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<String>> request,
        @Timestamp Instant timestamp,
        BoundedWindow inWindow,
        @StateId("turn") ValueState<Long> turn) {
      turn.write(1L);
      turn.clear();
      TreeSet<String> windows = pending.computeIfAbsent(request.getKey(), k -> new TreeSet<>());
      for (String w : request.getValue()) {
        windows.add(w);
      }
      if (earliest == null || timestamp.isBefore(earliest)) {
        earliest = timestamp;
      }
      window = inWindow;
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws Exception {
      if (pending.isEmpty()) {
        return;
      }
      List<Aggregate> rows = new ArrayList<>();
      try (Connection c = warehouse.open()) {
        for (Map.Entry<String, TreeSet<String>> e : pending.entrySet()) {
          String[] k = e.getKey().split("\u0000", -1);
          List<WindowRequest> windows = new ArrayList<>();
          for (String w : e.getValue()) {
            windows.add(WindowRequest.parse(w));
          }
          rows.addAll(rewrite(c, k[0], k[1], windows));
        }
        if (!c.getAutoCommit()) {
          c.rollback(); // read only
        }
      }
      pending = new TreeMap<>();
      long written = 0;
      if (!rows.isEmpty()) {
        BatchWriter.Result<Aggregate> r = writer.write(rows);
        written = r.written;
        rewritten.inc(r.written);
      }
      if (written > 0) {
        context.output(written, earliest, window);
      }
    }

    /** The rows of the windows of one series, from its stored observations. */
    private List<Aggregate> rewrite(
        Connection c, String source, String series, List<WindowRequest> windows)
        throws SQLException {
      windows.sort((a, b) -> Long.compare(a.start(), b.start()));
      List<Aggregate> rows = new ArrayList<>();
      int i = 0;
      while (i < windows.size()) {
        // a run of windows that overlap or touch: one query for all of them
        long lo = windows.get(i).start();
        long hi = windows.get(i).end();
        int j = i + 1;
        while (j < windows.size() && windows.get(j).start() <= hi) {
          hi = Math.max(hi, windows.get(j).end());
          j++;
        }
        List<Observation> stored = read(c, source, series, lo, hi);
        stored.sort((a, b) -> Long.compare(a.ts, b.ts));
        long[] ts = new long[stored.size()];
        for (int n = 0; n < ts.length; n++) {
          ts[n] = stored.get(n).ts;
        }
        for (WindowRequest w : windows.subList(i, j)) {
          SeriesStats s = new SeriesStats();
          int from = lowerBound(ts, w.start());
          int n = from;
          for (; n < ts.length && ts[n] < w.end(); n++) {
            Observation o = stored.get(n);
            s.add(o.ts, o.value, true);
          }
          if (n == from) {
            continue; // nothing stored in the window (yet)
          }
          Aggregate row =
              WindowIntoAggregates.toAggregate(source, series, w.size(), w.start(), w.end(), s);
          if (row != null) {
            rows.add(row);
          }
        }
        i = j;
      }
      return rows;
    }

    private List<Observation> read(Connection c, String source, String series, long lo, long hi)
        throws SQLException {
      try {
        return ReadStoredObservations.readRange(c, source, series, lo, hi);
      } catch (SQLException e) {
        throw new SQLException(
            "cannot read the stored observations of "
                + source
                + "/"
                + series
                + " in ["
                + Instant.ofEpochMilli(lo)
                + ", "
                + Instant.ofEpochMilli(hi)
                + ") from "
                + warehouse.describe()
                + ": "
                + e.getMessage(),
            e);
      }
    }

    /** The first index whose timestamp is at least {@code t} (ts sorted ascending). */
    static int lowerBound(long[] ts, long t) {
      int lo = 0;
      int hi = ts.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (ts[mid] < t) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    @Teardown
    public void teardown() {
      if (writer != null) {
        writer.close();
      }
    }
  }
}

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
    List<PCollection<KV<String, Long>>> rewrites = new ArrayList<>();
    KvCoder<String, Long> kvCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
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
              .setCoder(kvCoder)
              .apply(
                  "Unwindowed " + size,
                  Window.<KV<String, Long>>into(new GlobalWindows())
                      .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                      .discardingFiredPanes()
                      .withAllowedLateness(Duration.ZERO)));
      // points too late for their window: recomputed on a processing-time period
      rewrites.add(
          forSize
              .apply(
                  "TooLate " + size,
                  ParDo.of(new TooLateFn(size, triggering.allowedLateness(), margin())))
              .setCoder(kvCoder)
              .apply(
                  "EveryPeriod " + size,
                  Window.<KV<String, Long>>into(new GlobalWindows())
                      .triggering(
                          Repeatedly.forever(
                              AfterProcessingTime.pastFirstElementInPane()
                                  .plusDelayOf(triggering.earlyPeriod())))
                      .discardingFiredPanes()
                      .withAllowedLateness(Duration.ZERO))
              .apply("LatePoints " + size, Sum.longsPerKey())
              .apply(
                  "LateUnwindowed " + size,
                  Window.<KV<String, Long>>into(new GlobalWindows())
                      .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                      .discardingFiredPanes()
                      .withAllowedLateness(Duration.ZERO)));
    }
    return PCollectionList.of(rewrites)
        .apply("AllRewrites", Flatten.pCollections())
        .setCoder(kvCoder)
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
  static final class WindowKeyFn extends DoFn<KV<String, Long>, KV<String, Long>> {
    private final String size;

    WindowKeyFn(String size) {
      this.size = size;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Long> kv, BoundedWindow window, OutputReceiver<KV<String, Long>> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(
          KV.of(windowKey(kv.getKey(), size, w.start().getMillis(), w.end().getMillis()), 1L));
    }
  }

  /**
   * Points whose window expired (end + allowed lateness) before now + margin: the window may drop
   * them, so their window is rewritten by the recompute path as well.
   */
  static final class TooLateFn extends DoFn<Observation, KV<String, Long>> {
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
    public void process(@Element Observation o, OutputReceiver<KV<String, Long>> out) {
      long[] b = spec.bounds(o.ts);
      if (b[1] + latenessMillis <= Instant.now().getMillis() + marginMillis) {
        out.output(
            KV.of(windowKey(WindowIntoAggregates.key(o.source, o.seriesId), size, b[0], b[1]), 1L));
      }
    }
  }

  /** source NUL series NUL size NUL start NUL end. */
  static String windowKey(String seriesKey, String size, long start, long end) {
    return seriesKey + '\u0000' + size + '\u0000' + start + '\u0000' + end;
  }

  /**
   * Reads the stored observations of a window, computes its row as the batch path does ({@link
   * SeriesStats}) and upserts it, one window key at a time (a stateful step: the runner never
   * processes one key on two threads at once). The state is cleared at once, so none is kept.
   */
  static final class RewriteFn extends DoFn<KV<String, Long>, Long> {
    private final WarehouseSpec warehouse;
    private final Counter rewritten = Metrics.counter(ContinuousAggregates.class, "rewritten");

    @StateId("turn")
    private final StateSpec<ValueState<Long>> turn = StateSpecs.value(VarLongCoder.of());

    private transient BatchWriter<Aggregate> writer;

    RewriteFn(WarehouseSpec warehouse) {
      this.warehouse = warehouse;
    }

    @Setup
    public void setup() throws SQLException {
      writer = new BatchWriter<>(warehouse, Tables.aggregates(), true, false);
    }

    @ProcessElement
    public void process(
        @Element KV<String, Long> request,
        @StateId("turn") ValueState<Long> turn,
        OutputReceiver<Long> out)
        throws Exception {
      turn.write(1L);
      String[] k = request.getKey().split("\u0000", -1);
      String source = k[0];
      String series = k[1];
      String size = k[2];
      long start = Long.parseLong(k[3]);
      long end = Long.parseLong(k[4]);
      List<Observation> stored;
      try (Connection c = warehouse.open()) {
        stored = ReadStoredObservations.readRange(c, source, series, start, end);
        if (!c.getAutoCommit()) {
          c.rollback(); // read only
        }
      } catch (SQLException e) {
        throw new SQLException(
            "cannot read the stored observations of "
                + source
                + "/"
                + series
                + " in ["
                + Instant.ofEpochMilli(start)
                + ", "
                + Instant.ofEpochMilli(end)
                + ") from "
                + warehouse.describe()
                + ": "
                + e.getMessage(),
            e);
      }
      turn.clear();
      if (stored.isEmpty()) {
        return;
      }
      SeriesStats s = new SeriesStats();
      for (Observation o : stored) {
        s.add(o.ts, o.value, true);
      }
      Aggregate row = WindowIntoAggregates.toAggregate(source, series, size, start, end, s);
      if (row == null) {
        return;
      }
      BatchWriter.Result<Aggregate> r = writer.write(List.of(row));
      rewritten.inc(r.written);
      out.output(r.written);
    }

    @Teardown
    public void teardown() {
      if (writer != null) {
        writer.close();
      }
    }
  }
}

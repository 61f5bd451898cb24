package dev.tslake.warehouse;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a streaming run's {@code pipeline_runs} row current: at most once per {@code interval}
 * (default {@link #DEFAULT_INTERVAL}, PT1M) while counts arrive, and once more when the input ends,
 * the row gets the cumulative counts with status {@code running} (finished_at stays null).
 *
 * <p>Only what has been committed is counted: rejects and observations as their loads report them
 * written ({@link UpsertBatches#WRITTEN}), duplicates as the dedup supersedes them (never loaded),
 * aggregates and series as written. With {@link #read} the raw records are counted as they are
 * read, so at an update some are read but not yet rejected, loaded or superseded: {@code
 * records_in_flight = read - rejected - loaded - superseded}, and every update satisfies {@code
 * read = rejected + loaded + superseded + in_flight} with {@code in_flight >= 0}; when the input
 * ends the last update has {@code in_flight = 0} (the launcher ends the run failed otherwise). The
 * counts reach this step by separate paths (a record's read count by a short one, its outcome's by
 * a long one), and no runner promises their order: an update whose in_flight would be negative is
 * not written (the row would claim an outcome for a record it has not read yet); the next count to
 * arrive, at the latest the read count on its way, brings the next update. When the input has ended
 * every count has arrived, so a negative in_flight then means an outcome was counted twice: a bug,
 * and that last update is written with status {@code failed} and the reason. Without {@link #read},
 * {@code records_read} is {@code rejected + loaded + superseded} and nothing is in flight. The
 * counts are summed cumulatively in the state of one key (one row per run: few updates), and a
 * processing-time timer writes the row; the interval is processing time because it paces the writes
 * to the warehouse, whatever the event times of the data.
 *
 * <p>{@code aggregates_loaded} counts aggregate row writes: each pane of a window rewrites that
 * window's row, so a window written by three panes counts three (distinct windows would need state
 * per window for the life of the run, which a continuous run cannot bound).
 *
 * <p>Outputs the {@link RunRecord} of each update written (for logs and tests).
 */
public final class RunProgress extends PTransform<PBegin, PCollection<RunRecord>> {
  private static final Logger LOG = LoggerFactory.getLogger(RunProgress.class);

  public static final Duration DEFAULT_INTERVAL = Duration.standardMinutes(1);

  static final int REJECTED = 0;
  static final int LOADED = 1;
  static final int SUPERSEDED = 2;
  static final int AGGREGATES = 3;
  static final int SERIES = 4;
  static final int READ = 5;
  static final int COUNTERS = 6;

  private final WarehouseSpec spec;
  private final String runId;
  private final java.time.Instant startedAt;
  private final String runner;
  private final String config;
  private final Duration interval;
  private final List<KV<Integer, PCollection<Long>>> inputs;

  private RunProgress(
      WarehouseSpec spec,
      String runId,
      java.time.Instant startedAt,
      String runner,
      String config,
      Duration interval,
      List<KV<Integer, PCollection<Long>>> inputs) {
    this.spec = spec;
    this.runId = runId;
    this.startedAt = startedAt;
    this.runner = runner;
    this.config = config;
    this.interval = interval;
    this.inputs = inputs;
  }

  /** Updates run {@code runId}'s row (inserted with these fields if the run has none yet). */
  public static RunProgress of(
      WarehouseSpec spec, String runId, java.time.Instant startedAt, String runner, String config) {
    return new RunProgress(
        spec, runId, startedAt, runner, config, DEFAULT_INTERVAL, new ArrayList<>());
  }

  /** How often at most the row is written while counts arrive; positive. */
  public RunProgress every(Duration every) {
    if (every == null || !every.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("the update interval must be positive: " + every);
    }
    return new RunProgress(spec, runId, startedAt, runner, config, every, inputs);
  }

  private RunProgress with(int counter, PCollection<Long> counts) {
    List<KV<Integer, PCollection<Long>>> more = new ArrayList<>(inputs);
    more.add(KV.of(counter, counts));
    return new RunProgress(spec, runId, startedAt, runner, config, interval, more);
  }

  /** Rejects written ({@code UpsertBatches.WRITTEN} of the rejects load). */
  public RunProgress rejected(PCollection<Long> written) {
    return with(REJECTED, written);
  }

  /** Observations written ({@code UpsertBatches.WRITTEN} of the observations load). */
  public RunProgress loaded(PCollection<Long> written) {
    return with(LOADED, written);
  }

  /** Records superseded by the dedup ({@code StreamingDedup.SUPERSEDED}). */
  public RunProgress superseded(PCollection<Long> counts) {
    return with(SUPERSEDED, counts);
  }

  /** Aggregates written. */
  public RunProgress aggregates(PCollection<Long> written) {
    return with(AGGREGATES, written);
  }

  /**
   * Raw records read (one count per record, e.g. 1 each): {@code records_read} is then this
   * state-summed count instead of {@code rejected + loaded + superseded}, so the row's identity
   * checks that every record read was accounted for. Counted in Beam state, it is exactly once
   * where Beam counters are not: on Flink a restore from a checkpoint restarts the counters (Flink
   * accumulators) of the restored task attempts, while state rolls back with the records it saw.
   */
  public RunProgress read(PCollection<Long> counts) {
    return with(READ, counts);
  }

  /** Series rows written. */
  public RunProgress series(PCollection<Long> written) {
    return with(SERIES, written);
  }

  @Override
  public PCollection<RunRecord> expand(PBegin begin) {
    if (inputs.isEmpty()) {
      throw new IllegalStateException("RunProgress needs at least one count to follow");
    }
    String runId = this.runId;
    PCollectionList<KV<String, KV<Integer, Long>>> tagged =
        PCollectionList.empty(begin.getPipeline());
    String[] names = {"Rejected", "Loaded", "Superseded", "Aggregates", "Series", "Read"};
    boolean readCounted = inputs.stream().anyMatch(in -> in.getKey() == READ);
    for (KV<Integer, PCollection<Long>> in : inputs) {
      int counter = in.getKey();
      tagged =
          tagged.and(
              in.getValue()
                  .apply(
                      "Global" + names[counter] + tagged.size(),
                      // one windowing for all inputs, whatever triggers they came with
                      Window.<Long>into(new GlobalWindows())
                          .triggering(
                              org.apache.beam.sdk.transforms.windowing.Repeatedly.forever(
                                  org.apache.beam.sdk.transforms.windowing.AfterPane
                                      .elementCountAtLeast(1)))
                          .discardingFiredPanes()
                          .withAllowedLateness(org.joda.time.Duration.ZERO))
                  .apply(
                      "Tag" + names[counter] + tagged.size(),
                      MapElements.into(
                              TypeDescriptors.kvs(
                                  TypeDescriptors.strings(),
                                  TypeDescriptors.kvs(
                                      TypeDescriptors.integers(), TypeDescriptors.longs())))
                          .via(n -> KV.of(runId, KV.of(counter, n))))
                  .setCoder(
                      KvCoder.of(
                          org.apache.beam.sdk.coders.StringUtf8Coder.of(),
                          KvCoder.of(VarIntCoder.of(), VarLongCoder.of()))));
    }
    return tagged
        .apply("AllCounts", Flatten.pCollections())
        .apply(
            "UpdateRunRow",
            ParDo.of(new UpdateFn(spec, runId, startedAt, runner, config, interval, readCounted)))
        .setCoder(RunRecord.Coder.of());
  }

  /** The row of cumulative {@code counts} (indexes as above). */
  static RunRecord record(
      String runId, java.time.Instant startedAt, String runner, String config, List<Long> counts) {
    return record(runId, startedAt, runner, config, counts, false);
  }

  /**
   * As above; with {@code readCounted} records_read is the {@link #READ} count and the records not
   * yet accounted for are in flight. A negative in_flight makes the row {@code failed}.
   */
  static RunRecord record(
      String runId,
      java.time.Instant startedAt,
      String runner,
      String config,
      List<Long> counts,
      boolean readCounted) {
    long rejected = counts.get(REJECTED);
    long loaded = counts.get(LOADED);
    long superseded = counts.get(SUPERSEDED);
    long read = readCounted ? counts.get(READ) : rejected + loaded + superseded;
    long inFlight = read - rejected - loaded - superseded;
    RunRecord run =
        new RunRecord(
            runId,
            startedAt,
            null,
            runner,
            config,
            read,
            rejected,
            loaded,
            superseded,
            counts.get(AGGREGATES),
            counts.get(SERIES),
            inFlight);
    String so = accounting(read, rejected, loaded, superseded, inFlight);
    return inFlight < 0
        ? run.withStatus(RunRecord.FAILED, negative(inFlight) + "; so far: " + so)
        : run.withStatus(RunRecord.RUNNING, "streaming, so far: " + so);
  }

  /** The failure of a negative in_flight. */
  public static String negative(long inFlight) {
    return "records_in_flight "
        + inFlight
        + " is negative once the input ended: an outcome was counted twice or without its read"
        + " (a bug in the run's accounting)";
  }

  private static String accounting(
      long read, long rejected, long loaded, long superseded, long inFlight) {
    return read
        + " read = "
        + rejected
        + " rejected + "
        + loaded
        + " loaded + "
        + superseded
        + " superseded + "
        + inFlight
        + " in flight";
  }

  /** Writes the running row: counts, status running, finished_at null. */
  static void write(WarehouseSpec spec, RunRecord run) throws SQLException {
    try (Connection c = spec.open();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO pipeline_runs (run_id, started_at, runner, config, records_read,"
                    + " records_rejected, observations_loaded, duplicates_superseded,"
                    + " aggregates_loaded, series_loaded, status, message, records_in_flight)"
                    + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET"
                    + " finished_at = NULL, records_read = EXCLUDED.records_read,"
                    + " records_rejected = EXCLUDED.records_rejected,"
                    + " observations_loaded = EXCLUDED.observations_loaded,"
                    + " duplicates_superseded = EXCLUDED.duplicates_superseded,"
                    + " aggregates_loaded = EXCLUDED.aggregates_loaded,"
                    + " series_loaded = EXCLUDED.series_loaded, status = EXCLUDED.status,"
                    + " message = EXCLUDED.message,"
                    + " records_in_flight = EXCLUDED.records_in_flight")) {
      st.setString(1, run.runId);
      st.setObject(2, OffsetDateTime.ofInstant(run.startedAt, ZoneOffset.UTC));
      st.setString(3, run.runner);
      st.setString(4, run.config);
      st.setLong(5, run.recordsRead);
      st.setLong(6, run.recordsRejected);
      st.setLong(7, run.observationsLoaded);
      st.setLong(8, run.duplicatesSuperseded);
      st.setLong(9, run.aggregatesLoaded);
      st.setLong(10, run.seriesLoaded);
      st.setString(11, run.status);
      st.setString(12, RunRecord.clip(run.message));
      st.setLong(13, run.recordsInFlight);
      st.executeUpdate();
      c.commit();
    }
  }

  static final class UpdateFn extends DoFn<KV<String, KV<Integer, Long>>, RunRecord> {
    private final WarehouseSpec spec;
    private final String runId;
    private final java.time.Instant startedAt;
    private final String runner;
    private final String config;
    private final Duration interval;
    private final boolean readCounted;

    @StateId("counts")
    private final StateSpec<ValueState<List<Long>>> countsSpec =
        StateSpecs.value(ListCoder.of(VarLongCoder.of()));

    /** True while an update is scheduled or counts arrived since the last one. */
    @StateId("dirty")
    private final StateSpec<ValueState<Boolean>> dirtySpec =
        StateSpecs.value(org.apache.beam.sdk.coders.BooleanCoder.of());

    @TimerId("update")
    private final TimerSpec updateSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    UpdateFn(
        WarehouseSpec spec,
        String runId,
        java.time.Instant startedAt,
        String runner,
        String config,
        Duration interval,
        boolean readCounted) {
      this.spec = spec;
      this.runId = runId;
      this.startedAt = startedAt;
      this.runner = runner;
      this.config = config;
      this.interval = interval;
      this.readCounted = readCounted;
    }

    @ProcessElement
    public void process(
        @Element KV<String, KV<Integer, Long>> element,
        @Timestamp org.joda.time.Instant timestamp,
        @StateId("counts") ValueState<List<Long>> countsState,
        @StateId("dirty") ValueState<Boolean> dirty,
        @TimerId("update") Timer update,
        @TimerId("end") Timer end) {
      @Nullable List<Long> stored = countsState.read();
      List<Long> counts = new ArrayList<>();
      for (int i = 0; i < COUNTERS; i++) {
        counts.add(stored == null || i >= stored.size() ? 0L : stored.get(i));
      }
      int counter = element.getValue().getKey();
      counts.set(counter, counts.get(counter) + element.getValue().getValue());
      countsState.write(counts);
      if (stored == null) {
        end.set(GlobalWindow.INSTANCE.maxTimestamp()); // the input ended: a last update
      }
      if (!Boolean.TRUE.equals(dirty.read())) {
        dirty.write(true);
        // the update is output at this element's time (held until then; counts carry no event time)
        update.withOutputTimestamp(timestamp).offset(interval).setRelative();
      }
    }

    @OnTimer("update")
    public void onUpdate(
        @StateId("counts") ValueState<List<Long>> countsState,
        @StateId("dirty") ValueState<Boolean> dirty,
        OutputReceiver<RunRecord> out)
        throws SQLException {
      flush(countsState, dirty, out, false);
    }

    @OnTimer("end")
    public void onEnd(
        @StateId("counts") ValueState<List<Long>> countsState,
        @StateId("dirty") ValueState<Boolean> dirty,
        OutputReceiver<RunRecord> out)
        throws SQLException {
      flush(countsState, dirty, out, true);
    }

    private void flush(
        ValueState<List<Long>> countsState,
        ValueState<Boolean> dirty,
        OutputReceiver<RunRecord> out,
        boolean inputEnded)
        throws SQLException {
      List<Long> counts = countsState.read();
      if (counts == null || !Boolean.TRUE.equals(dirty.read())) {
        return;
      }
      dirty.write(false);
      RunRecord run = record(runId, startedAt, runner, config, counts, readCounted);
      if (run.recordsInFlight < 0 && !inputEnded) {
        // an outcome's count overtook its read count: not a state to publish; the read count is
        // on its way and its arrival arms the next update
        LOG.info(
            "run {}: update held back, {} outcomes counted before their reads arrived",
            runId,
            -run.recordsInFlight);
        return;
      }
      // the input ended with more outcomes than reads: the counts are wrong, the run failed (this
      // is
      // the last update: the end timer fires once, at the end of the global window)
      if (run.recordsInFlight < 0 && !RunRecord.FAILED.equals(run.status)) {
        String failure = negative(run.recordsInFlight);
        String so = run.message == null ? "" : run.message.replace("streaming, so far: ", "");
        run = run.withStatus(RunRecord.FAILED, failure + "; so far: " + so);
      }
      write(spec, run);
      if (RunRecord.FAILED.equals(run.status)) {
        LOG.error("run {}: {}", runId, run.message);
      } else {
        LOG.info("run {}: {}", runId, run.message);
      }
      out.output(run);
    }
  }
}

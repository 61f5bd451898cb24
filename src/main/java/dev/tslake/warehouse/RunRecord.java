package dev.tslake.warehouse;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A row of {@code pipeline_runs}: what one run read, rejected, loaded and superseded, and how it
 * ended. The row is written when the run starts ({@link #started}, status {@code running}) and ends
 * as {@code succeeded}, {@code incomplete} (a live source could not be fetched completely) or
 * {@code failed} (with the reason in {@code message}).
 */
public final class RunRecord implements Serializable {
  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String INCOMPLETE = "incomplete";
  public static final String FAILED = "failed";

  /** An {@code error}-level declared check failed; the data is loaded (docs/checks.md). */
  public static final String FAILED_CHECKS = "failed_checks";

  /** Failed checks listed in the summary at most. */
  static final int MAX_LISTED_CHECKS = 20;

  /** Longest message stored (a failure's text can be long). */
  static final int MAX_MESSAGE = 4000;

  public final String runId;
  public final Instant startedAt;
  public final @Nullable Instant finishedAt;
  public final String runner;
  public final String config;
  public final long recordsRead;
  public final long recordsRejected;
  public final long observationsLoaded;
  public final long duplicatesSuperseded;
  public final long aggregatesLoaded;
  public final long seriesLoaded;

  /**
   * Records read but not yet rejected, loaded or superseded: {@code records_read - records_rejected
   * - observations_loaded - duplicates_superseded} at an update of a streaming run ({@link
   * RunProgress}); 0 in a finished batch run, and 0 when a continuous run ends succeeded. Negative
   * only through a bug (an outcome counted twice or before its read).
   */
  public final long recordsInFlight;

  /** HTTP counts of the live sources; -1 when the run fetched nothing. */
  public final long httpRequests;

  public final long httpRetries;
  public final long httpFailures;

  /** Declared checks that passed and failed (any severity); -1 when the run had none. */
  public final long checksPassed;

  public final long checksFailed;

  /** The failed checks, one line each (at most {@link #MAX_LISTED_CHECKS}), for the summary. */
  public final java.util.List<String> checkFailures;

  /** How the run ended (or {@code running}); null until known. */
  public final @Nullable String status;

  public final @Nullable String message;

  public RunRecord(
      String runId,
      Instant startedAt,
      @Nullable Instant finishedAt,
      String runner,
      String config,
      long recordsRead,
      long recordsRejected,
      long observationsLoaded,
      long duplicatesSuperseded,
      long aggregatesLoaded,
      long seriesLoaded) {
    this(
        runId,
        startedAt,
        finishedAt,
        runner,
        config,
        recordsRead,
        recordsRejected,
        observationsLoaded,
        duplicatesSuperseded,
        aggregatesLoaded,
        seriesLoaded,
        0);
  }

  /** As above, with records still in flight (a streaming run's update). */
  public RunRecord(
      String runId,
      Instant startedAt,
      @Nullable Instant finishedAt,
      String runner,
      String config,
      long recordsRead,
      long recordsRejected,
      long observationsLoaded,
      long duplicatesSuperseded,
      long aggregatesLoaded,
      long seriesLoaded,
      long recordsInFlight) {
    this.runId = runId;
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.runner = runner;
    this.config = config;
    this.recordsRead = recordsRead;
    this.recordsRejected = recordsRejected;
    this.observationsLoaded = observationsLoaded;
    this.duplicatesSuperseded = duplicatesSuperseded;
    this.aggregatesLoaded = aggregatesLoaded;
    this.seriesLoaded = seriesLoaded;
    this.recordsInFlight = recordsInFlight;
    this.httpRequests = -1;
    this.httpRetries = -1;
    this.httpFailures = -1;
    this.checksPassed = -1;
    this.checksFailed = -1;
    this.checkFailures = java.util.List.of();
    this.status = null;
    this.message = null;
  }

  /** A copy of {@code r} with other HTTP counts and outcome. */
  private RunRecord(
      RunRecord r,
      long requests,
      long retries,
      long failures,
      @Nullable String status,
      @Nullable String message,
      long checksPassed,
      long checksFailed,
      java.util.List<String> checkFailures) {
    this.runId = r.runId;
    this.startedAt = r.startedAt;
    this.finishedAt = r.finishedAt;
    this.runner = r.runner;
    this.config = r.config;
    this.recordsRead = r.recordsRead;
    this.recordsRejected = r.recordsRejected;
    this.observationsLoaded = r.observationsLoaded;
    this.duplicatesSuperseded = r.duplicatesSuperseded;
    this.aggregatesLoaded = r.aggregatesLoaded;
    this.seriesLoaded = r.seriesLoaded;
    this.recordsInFlight = r.recordsInFlight;
    this.httpRequests = requests;
    this.httpRetries = retries;
    this.httpFailures = failures;
    this.checksPassed = checksPassed;
    this.checksFailed = checksFailed;
    this.checkFailures = checkFailures;
    this.status = status;
    this.message = message;
  }

  /** This record with the given outcome. */
  public RunRecord withStatus(String status, @Nullable String message) {
    return new RunRecord(
        this,
        httpRequests,
        httpRetries,
        httpFailures,
        status,
        message,
        checksPassed,
        checksFailed,
        checkFailures);
  }

  /** This record with the declared checks' counts and failures. */
  public RunRecord withChecks(long passed, long failed, java.util.List<String> failures) {
    return new RunRecord(
        this,
        httpRequests,
        httpRetries,
        httpFailures,
        status,
        message,
        passed,
        failed,
        java.util.List.copyOf(failures));
  }

  /** Whether the run ended as {@code succeeded}. */
  public boolean succeeded() {
    return SUCCEEDED.equals(status);
  }

  public RunRecord withHttp(long requests, long retries, long failures) {
    return new RunRecord(
        this,
        requests,
        retries,
        failures,
        status,
        message,
        checksPassed,
        checksFailed,
        checkFailures);
  }

  /** Adds the HTTP counts (known once the runner reports its metrics) to the run's row. */
  public void recordHttp(WarehouseSpec spec) throws SQLException {
    try (Connection c = spec.open();
        PreparedStatement st =
            c.prepareStatement(
                "UPDATE pipeline_runs SET http_requests = ?, http_retries = ?, http_failures = ?"
                    + " WHERE run_id = ?")) {
      st.setLong(1, httpRequests);
      st.setLong(2, httpRetries);
      st.setLong(3, httpFailures);
      st.setString(4, runId);
      st.executeUpdate();
      c.commit();
    }
  }

  /** The run's counts by their {@code pipeline_runs} column names, in the table's order. */
  public Map<String, Long> counts() {
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("records_read", recordsRead);
    counts.put("records_rejected", recordsRejected);
    counts.put("observations_loaded", observationsLoaded);
    counts.put("duplicates_superseded", duplicatesSuperseded);
    counts.put("aggregates_loaded", aggregatesLoaded);
    counts.put("series_loaded", seriesLoaded);
    return counts;
  }

  /**
   * The run's identity holds: every record read was rejected, loaded, superseded by a later vintage
   * or is still in flight ({@code records_in_flight >= 0}, only in a streaming run's updates). True
   * at every update of a streaming run; see {@link #settled()} for a finished run.
   */
  public boolean balanced() {
    return recordsInFlight >= 0
        && recordsRead
            == recordsRejected + observationsLoaded + duplicatesSuperseded + recordsInFlight;
  }

  /** Balanced with nothing in flight: every record read is accounted for (a finished run). */
  public boolean settled() {
    return balanced() && recordsInFlight == 0;
  }

  public String accountingMessage() {
    long unaccounted =
        recordsRead
            - recordsRejected
            - observationsLoaded
            - duplicatesSuperseded
            - Math.max(0, recordsInFlight);
    return "records_read "
        + recordsRead
        + (balanced() ? " = " : " != ")
        + "records_rejected "
        + recordsRejected
        + " + observations_loaded "
        + observationsLoaded
        + " + duplicates_superseded "
        + duplicatesSuperseded
        + (recordsInFlight == 0 ? "" : " + records_in_flight " + recordsInFlight)
        + (balanced()
            ? ""
            : recordsInFlight < 0
                ? " (records_in_flight is negative: an outcome was counted twice or before its"
                    + " read)"
                : " (" + unaccounted + " records unaccounted for)");
  }

  public String summary() {
    return String.join(
            System.lineSeparator(),
            "tslake run " + runId + " (" + runner + ", config " + config + ")",
            String.format("  records read          %,12d", recordsRead),
            String.format("  records rejected      %,12d", recordsRejected),
            String.format("  observations loaded   %,12d", observationsLoaded),
            String.format("  duplicates superseded %,12d", duplicatesSuperseded),
            String.format("  records in flight     %,12d", recordsInFlight),
            String.format("  aggregates loaded     %,12d", aggregatesLoaded),
            String.format("  series loaded         %,12d", seriesLoaded),
            "  accounting: " + accountingMessage(),
            "  status: "
                + (status == null ? "?" : status)
                + (message == null || SUCCEEDED.equals(status) ? "" : " (" + message + ")"))
        + (httpRequests < 0
            ? ""
            : System.lineSeparator()
                + String.format(
                    "  http: %,d requests, %,d retries, %,d failed for good",
                    httpRequests, httpRetries, httpFailures))
        + (checksPassed < 0
            ? ""
            : System.lineSeparator()
                + String.format("  checks: %,d passed, %,d failed", checksPassed, checksFailed)
                + checkFailures.stream()
                    .map(f -> System.lineSeparator() + "    failed " + f)
                    .collect(java.util.stream.Collectors.joining()));
  }

  /** Sets {@code pipeline_runs.checks_passed/checks_failed} (RecordRun). */
  static void recordChecks(Connection c, String runId, long passed, long failed)
      throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "UPDATE pipeline_runs SET checks_passed = ?, checks_failed = ? WHERE run_id = ?")) {
      st.setLong(1, passed);
      st.setLong(2, failed);
      st.setString(3, runId);
      st.executeUpdate();
    }
    c.commit();
  }

  /** The run's failed checks from {@code quality_results}, error ones first, for the summary. */
  static java.util.List<String> readCheckFailures(Connection c, String runId) throws SQLException {
    java.util.List<String> out = new java.util.ArrayList<>();
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT severity, source, series_id, \"check\", observed, threshold, examples"
                + " FROM quality_results WHERE run_id = ? AND status = 'fail'"
                + " ORDER BY severity, source, series_id, \"check\" LIMIT "
                + (MAX_LISTED_CHECKS + 1))) {
      st.setString(1, runId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          if (out.size() == MAX_LISTED_CHECKS) {
            out.add("... (more in quality_results)");
            break;
          }
          double observed = rs.getDouble(5);
          out.add(
              rs.getString(1)
                  + " "
                  + rs.getString(2)
                  + "/"
                  + rs.getString(3)
                  + " "
                  + rs.getString(4)
                  + ": observed "
                  + (rs.wasNull() ? "-" : observed)
                  + ", threshold "
                  + rs.getString(6)
                  + (rs.getString(7) == null ? "" : ", e.g. " + rs.getString(7)));
        }
      }
    }
    return out;
  }

  /**
   * Records that a run has started: its row with status {@code running} (a rerun of the same run id
   * starts its row again).
   */
  public static void started(
      WarehouseSpec spec, String runId, Instant startedAt, String runner, String config)
      throws SQLException {
    try (Connection c = spec.open();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO pipeline_runs (run_id, started_at, runner, config, status, message)"
                    + " VALUES (?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET"
                    + " started_at = EXCLUDED.started_at, finished_at = NULL,"
                    + " runner = EXCLUDED.runner, config = EXCLUDED.config,"
                    + " status = EXCLUDED.status, message = EXCLUDED.message")) {
      st.setString(1, runId);
      st.setObject(2, OffsetDateTime.ofInstant(startedAt, java.time.ZoneOffset.UTC));
      st.setString(3, runner);
      st.setString(4, config);
      st.setString(5, RUNNING);
      st.setString(6, "started");
      st.executeUpdate();
      c.commit();
    }
  }

  /**
   * Ends a run's row with {@code status} and {@code message} (counts recorded so far stay); inserts
   * the row if the run never got one.
   */
  public static void finish(
      WarehouseSpec spec,
      String runId,
      Instant startedAt,
      String runner,
      String config,
      String status,
      String message)
      throws SQLException {
    try (Connection c = spec.open();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO pipeline_runs (run_id, started_at, finished_at, runner, config,"
                    + " status, message) VALUES (?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET"
                    + " finished_at = EXCLUDED.finished_at, status = EXCLUDED.status,"
                    + " message = EXCLUDED.message")) {
      st.setString(1, runId);
      st.setObject(2, OffsetDateTime.ofInstant(startedAt, java.time.ZoneOffset.UTC));
      st.setObject(3, OffsetDateTime.now(java.time.ZoneOffset.UTC));
      st.setString(4, runner);
      st.setString(5, config);
      st.setString(6, status);
      st.setString(7, clip(message));
      st.executeUpdate();
      c.commit();
    }
  }

  static @Nullable String clip(@Nullable String s) {
    if (s == null) {
      return null;
    }
    String clean = s.replace("\u0000", "\\u0000");
    return clean.length() > MAX_MESSAGE ? clean.substring(0, MAX_MESSAGE) + "..." : clean;
  }

  void insert(Connection c) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO pipeline_runs (run_id, started_at, finished_at, runner, config, records_read,"
                + " records_rejected, observations_loaded, duplicates_superseded, aggregates_loaded,"
                + " series_loaded, status, message, records_in_flight)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                + " ON CONFLICT (run_id) DO UPDATE SET finished_at = EXCLUDED.finished_at,"
                + " records_read = EXCLUDED.records_read, records_rejected = EXCLUDED.records_rejected,"
                + " observations_loaded = EXCLUDED.observations_loaded,"
                + " duplicates_superseded = EXCLUDED.duplicates_superseded,"
                + " aggregates_loaded = EXCLUDED.aggregates_loaded,"
                + " series_loaded = EXCLUDED.series_loaded, status = EXCLUDED.status,"
                + " message = EXCLUDED.message, records_in_flight = EXCLUDED.records_in_flight")) {
      st.setString(1, runId);
      st.setObject(2, OffsetDateTime.ofInstant(startedAt, java.time.ZoneOffset.UTC));
      st.setObject(3, OffsetDateTime.ofInstant(finishedAt, java.time.ZoneOffset.UTC));
      st.setString(4, runner);
      st.setString(5, config);
      st.setLong(6, recordsRead);
      st.setLong(7, recordsRejected);
      st.setLong(8, observationsLoaded);
      st.setLong(9, duplicatesSuperseded);
      st.setLong(10, aggregatesLoaded);
      st.setLong(11, seriesLoaded);
      st.setString(12, status != null ? status : settled() ? SUCCEEDED : FAILED);
      st.setString(13, clip(message != null ? message : accountingMessage()));
      st.setLong(14, recordsInFlight);
      st.executeUpdate();
    }
    c.commit();
  }

  /** Sets {@code pipeline_runs.lake_files}: the lake files the run committed (RecordRun). */
  static void recordLakeFiles(Connection c, String runId, long files) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement("UPDATE pipeline_runs SET lake_files = ? WHERE run_id = ?")) {
      st.setLong(1, files);
      st.setString(2, runId);
      st.executeUpdate();
    }
    c.commit();
  }

  /** The recorded run, or null if the warehouse has no row for it. */
  public static @Nullable RunRecord read(WarehouseSpec spec, String runId) throws SQLException {
    try (Connection c = spec.open();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT run_id, started_at, finished_at, runner, config, records_read,"
                    + " records_rejected, observations_loaded, duplicates_superseded,"
                    + " aggregates_loaded, series_loaded, status, message, finished_at,"
                    + " checks_passed, checks_failed, records_in_flight FROM pipeline_runs"
                    + " WHERE run_id = ?")) {
      st.setString(1, runId);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        OffsetDateTime finished = rs.getObject(14, OffsetDateTime.class);
        long passed = rs.getLong(15);
        boolean checked = !rs.wasNull();
        long failed = rs.getLong(16);
        long inFlight = rs.getLong(17); // NULL (0) in rows written before the column existed
        RunRecord run =
            new RunRecord(
                    rs.getString(1),
                    rs.getObject(2, OffsetDateTime.class).toInstant(),
                    finished == null ? null : finished.toInstant(),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getLong(6),
                    rs.getLong(7),
                    rs.getLong(8),
                    rs.getLong(9),
                    rs.getLong(10),
                    rs.getLong(11),
                    inFlight)
                .withStatus(rs.getString(12), rs.getString(13));
        return checked ? run.withChecks(passed, failed, readCheckFailures(c, runId)) : run;
      } finally {
        c.rollback();
      }
    }
  }

  /**
   * A stable coder (RunProgress's output of a streaming job): every field in a fixed order, not
   * Java serialization, whose form changes with the class.
   */
  public static final class Coder extends org.apache.beam.sdk.coders.AtomicCoder<RunRecord> {
    private static final Coder INSTANCE = new Coder();
    private static final org.apache.beam.sdk.coders.StringUtf8Coder STRING =
        org.apache.beam.sdk.coders.StringUtf8Coder.of();
    private static final org.apache.beam.sdk.coders.Coder<@Nullable String> NULLABLE_STRING =
        org.apache.beam.sdk.coders.NullableCoder.of(STRING);
    private static final org.apache.beam.sdk.coders.VarLongCoder LONG =
        org.apache.beam.sdk.coders.VarLongCoder.of();
    private static final org.apache.beam.sdk.coders.ListCoder<String> STRINGS =
        org.apache.beam.sdk.coders.ListCoder.of(STRING);

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(RunRecord r, java.io.OutputStream out) throws java.io.IOException {
      STRING.encode(r.runId, out);
      LONG.encode(r.startedAt.getEpochSecond(), out);
      LONG.encode((long) r.startedAt.getNano(), out);
      LONG.encode(r.finishedAt == null ? -1L : 0L, out);
      if (r.finishedAt != null) {
        LONG.encode(r.finishedAt.getEpochSecond(), out);
        LONG.encode((long) r.finishedAt.getNano(), out);
      }
      STRING.encode(r.runner, out);
      STRING.encode(r.config, out);
      for (long n :
          new long[] {
            r.recordsRead,
            r.recordsRejected,
            r.observationsLoaded,
            r.duplicatesSuperseded,
            r.aggregatesLoaded,
            r.seriesLoaded,
            r.recordsInFlight,
            r.httpRequests,
            r.httpRetries,
            r.httpFailures,
            r.checksPassed,
            r.checksFailed
          }) {
        LONG.encode(n, out);
      }
      STRINGS.encode(r.checkFailures, out);
      NULLABLE_STRING.encode(r.status, out);
      NULLABLE_STRING.encode(r.message, out);
    }

    @Override
    public RunRecord decode(java.io.InputStream in) throws java.io.IOException {
      String runId = STRING.decode(in);
      Instant started = Instant.ofEpochSecond(LONG.decode(in), LONG.decode(in));
      Instant finished =
          LONG.decode(in) < 0 ? null : Instant.ofEpochSecond(LONG.decode(in), LONG.decode(in));
      String runner = STRING.decode(in);
      String config = STRING.decode(in);
      long[] n = new long[12];
      for (int i = 0; i < n.length; i++) {
        n[i] = LONG.decode(in);
      }
      java.util.List<String> failures = STRINGS.decode(in);
      String status = NULLABLE_STRING.decode(in);
      String message = NULLABLE_STRING.decode(in);
      return new RunRecord(
              runId, started, finished, runner, config, n[0], n[1], n[2], n[3], n[4], n[5], n[6])
          .withHttp(n[7], n[8], n[9])
          .withChecks(n[10], n[11], failures)
          .withStatus(status, message);
    }

    @Override
    public void verifyDeterministic() {}
  }
}

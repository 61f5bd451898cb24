package dev.tslake.progress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the stages of the runs in this JVM have processed so far, and one line about it every few
 * seconds: records per stage, the read rate, and the busy stage (the furthest stage along the graph
 * whose count moved since the last line).
 *
 * <p>{@link Progress} steps add to it as elements pass (the same counts go to Beam counters, which
 * the runners show: Flink's web UI, Dataflow's console). Where the graph runs in the launching JVM
 * (DirectRunner, Flink's local mini-cluster) the launcher's line covers the whole run; on a cluster
 * each worker JVM reports its own share the same way, in its own log.
 */
public final class ProgressBoard {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressBoard.class);
  private static final Map<String, ProgressBoard> RUNS = new ConcurrentHashMap<>();

  /**
   * A run with no count moving for this long stops reporting (a worker whose share is done; the
   * launcher stops its own board when the run ends).
   */
  static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(10);

  private final String runId;
  private final long periodMillis;
  private final LongSupplier nanoClock;
  private final Consumer<String> sink;
  private final ConcurrentSkipListMap<Integer, Stage> stages = new ConcurrentSkipListMap<>();
  private final long startNanos;
  private volatile long lastMoveNanos;
  private ScheduledExecutorService timer;
  private long lastReportNanos;
  private long readAtLastReport;
  private String lastBusy;

  static final class Stage {
    final String name;
    final AtomicLong count = new AtomicLong();
    long countAtLastReport;

    Stage(String name) {
      this.name = name;
    }
  }

  ProgressBoard(String runId, long periodMillis, LongSupplier nanoClock, Consumer<String> sink) {
    this.runId = runId;
    this.periodMillis = periodMillis;
    this.nanoClock = nanoClock;
    this.sink = sink;
    this.startNanos = nanoClock.getAsLong();
    this.lastMoveNanos = startNanos;
    this.lastReportNanos = startNanos;
  }

  /**
   * The board of {@code runId} in this JVM, reporting every {@code periodMillis} to the log from
   * its first use until {@link #finish} (or ten minutes without progress); 0 reports nothing.
   */
  public static ProgressBoard of(String runId, long periodMillis) {
    return RUNS.computeIfAbsent(
        runId,
        id -> {
          ProgressBoard b = new ProgressBoard(id, periodMillis, System::nanoTime, LOG::info);
          b.startTimer();
          return b;
        });
  }

  /** Stops reporting for {@code runId} in this JVM, after a last line; returns that line. */
  public static String finish(String runId) {
    ProgressBoard b = RUNS.remove(runId);
    if (b == null) {
      return null;
    }
    b.stopTimer();
    return b.stages.isEmpty() ? null : b.line(true);
  }

  /**
   * Adds {@code n} elements to stage {@code name}, {@code order} being its place along the graph.
   */
  public void add(int order, String name, long n) {
    if (n == 0) {
      return;
    }
    stages.computeIfAbsent(order, o -> new Stage(name)).count.addAndGet(n);
    lastMoveNanos = nanoClock.getAsLong();
  }

  public long count(int order) {
    Stage s = stages.get(order);
    return s == null ? 0 : s.count.get();
  }

  private synchronized void startTimer() {
    if (periodMillis <= 0 || timer != null) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tslake-progress-" + runId);
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(this::tick, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  private synchronized void stopTimer() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  /** One report; called by the timer. */
  void tick() {
    if (nanoClock.getAsLong() - lastMoveNanos > IDLE_NANOS) {
      RUNS.remove(runId, this);
      stopTimer();
      return;
    }
    if (!stages.isEmpty()) {
      sink.accept(line(false));
    }
  }

  /**
   * "run R: 12.3 s, read 120,000 (24,000/s) | validated 118,000 | ... | busy: LoadObservations":
   * the first stage is the one rates are given for; busy is the furthest stage that moved since the
   * previous line; when none did, "past" the last one that did (the work between counted steps:
   * grouping, sorting, reading stored rows back, writing the lake).
   */
  synchronized String line(boolean last) {
    long now = nanoClock.getAsLong();
    double sinceLast = Math.max(1e-9, (now - lastReportNanos) / 1e9);
    double total = Math.max(1e-9, (now - startNanos) / 1e9);
    List<String> parts = new ArrayList<>();
    String busy = null;
    boolean first = true;
    for (Stage s : stages.values()) {
      long c = s.count.get();
      if (first) {
        double rate = last ? c / total : (c - readAtLastReport) / sinceLast;
        parts.add(String.format("%s %,d (%,.0f/s%s)", s.name, c, rate, last ? " overall" : ""));
        readAtLastReport = c;
        first = false;
      } else {
        parts.add(String.format("%s %,d", s.name, c));
      }
      if (c != s.countAtLastReport) {
        busy = s.name;
      }
      s.countAtLastReport = c;
    }
    lastReportNanos = now;
    String says = busy != null ? busy : lastBusy == null ? "starting" : "past " + lastBusy;
    if (busy != null) {
      lastBusy = busy;
    }
    return String.format("run %s: %.1f s, ", runId, total)
        + String.join(" | ", parts)
        + (last ? " (done)" : " | busy: " + says);
  }
}

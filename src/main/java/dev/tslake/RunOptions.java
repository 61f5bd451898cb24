package dev.tslake;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** What one run ingests and how it is identified: the config, run id, ingest date, replay. */
public interface RunOptions extends PipelineOptions {
  @Description("Sources to ingest: a JSON or YAML file with a top-level 'sources' array.")
  @Default.String("testdata/tslake.json")
  String getConfig();

  void setConfig(String value);

  @Description("Identifier of this run in pipeline_runs and rejects; generated when not given.")
  String getRunId();

  void setRunId(String value);

  @Description("Ingest date (yyyy-MM-dd) naming the lake partition; today (UTC) when not given.")
  String getIngestDate();

  void setIngestDate(String value);

  @Description(
      "Rebuild the warehouse from the raw CSV already in the lake instead of reading"
          + " files or calling APIs.")
  @Default.Boolean(false)
  boolean getReplayFromLake();

  void setReplayFromLake(boolean value);

  @Description(
      "With --replayFromLake: replay only this ingest date (yyyy-MM-dd); all dates if unset.")
  String getReplayIngestDate();

  void setReplayIngestDate(String value);

  @Description(
      "Dedup groups (0 to 65535): records are grouped by a hash shard of (source, series, ts); 0"
          + " groups by the key itself (better on Flink and Dataflow, which sort groups; the"
          + " DirectRunner schedules work per group and needs few). With groups, the rows of the"
          + " per-key computations (aggregates, rolling, resample, checks, series) are also"
          + " gathered into that many groups before loading, so batches are not one per key."
          + " Default: 8 on the DirectRunner, 64 on other runners.")
  @Default.InstanceFactory(DedupShardsFactory.class)
  int getDedupShards();

  void setDedupShards(int value);

  @Description(
      "A batch run of text-file sources into a warehouse that held none of their series at launch"
          + " (no resample, rolling windows or checks) reads, lands, validates, dedups and loads in"
          + " two steps around one shuffle instead of a step per stage: the same rows, far fewer"
          + " passes over every record on Flink. Other runs take the staged graph whatever this"
          + " says; false: every run takes it.")
  @Default.Boolean(true)
  boolean getOnePass();

  void setOnePass(boolean value);

  @Description(
      "The time span of a one-pass group (--onePass): an ISO-8601 duration such as P1D, 'series'"
          + " for each series whole in one group, or 'auto' (the default: whole series on the"
          + " DirectRunner, which schedules work per group, P1D on other runners).")
  @Default.String("auto")
  String getOnePassBucket();

  void setOnePassBucket(String value);

  @Description(
      "Seconds between progress lines while a run goes (records per stage, the read rate, the busy"
          + " stage); 0 for none. The same counts are Beam counters 'tslake.progress/<stage>'.")
  @Default.Integer(5)
  int getProgressSeconds();

  void setProgressSeconds(int value);

  @Description(
      "Streaming runs: end the continuous sources (polled APIs, watched file globs) this long"
          + " after their first poll or listing, an ISO-8601 duration such as PT10M; the run then finishes by itself."
          + " Unset: they run until the job is cancelled. Batch runs ignore it.")
  String getStopAfter();

  void setStopAfter(String value);

  @Description(
      "Streaming runs: how often at most the run's pipeline_runs row is updated with its"
          + " cumulative counts while data arrives, an ISO-8601 duration (default PT1M).")
  @Default.String("PT1M")
  String getRunUpdatePeriod();

  void setRunUpdatePeriod(String value);

  @Description(
      "URL to POST a JSON alert to when a run ends failed, incomplete or failed_checks (the body"
          + " has a Slack-compatible 'text' field). Retried; never part of the job graph, the logs"
          + " show its host only. Precedence: --alertWebhook, then TSLAKE_ALERT_WEBHOOK.")
  @JsonIgnore
  String getAlertWebhook();

  void setAlertWebhook(String value);

  /**
   * 8 groups on the DirectRunner, 64 elsewhere. The DirectRunner runs every group's output as a
   * bundle of its own through every step after the dedup, and for each bundle that adds to a key
   * downstream it copies (encodes and decodes) all that key's state so far: the per-series window
   * statistics grew with the square of the dedup groups (with 64 groups, 18% of the default job's
   * CPU). Runners that split work across machines keep 64. Same rows either way.
   */
  final class DedupShardsFactory implements DefaultValueFactory<Integer> {
    static final int DIRECT_RUNNER = 8;
    static final int OTHER_RUNNERS = 64;

    @Override
    public Integer create(PipelineOptions options) {
      Class<?> runner = options.getRunner();
      return runner != null && "DirectRunner".equals(runner.getSimpleName())
          ? DIRECT_RUNNER
          : OTHER_RUNNERS;
    }
  }
}

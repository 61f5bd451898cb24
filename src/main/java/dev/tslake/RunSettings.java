package dev.tslake;

import dev.tslake.config.PipelineConfig;
import dev.tslake.secret.LaunchSecrets;
import dev.tslake.secret.SecretsFile;
import dev.tslake.sources.live.ApiRequest;
import dev.tslake.sources.live.ApiSettings;
import dev.tslake.sources.live.ApiSourceOptions;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Everything a run needs besides the Beam options: an immutable, validated value. {@link #from}
 * derives it from the options without side effects (it reads the config file and the environment
 * for secrets, nothing else: no file system registration, no SQL, no network); {@link Launch}
 * prepares the outside world and adds what it found ({@link #requests}). Change a copy with {@link
 * #toBuilder()} or {@link #withRequests}.
 */
public final class RunSettings implements Serializable {
  /** {@code --onePassBucket}: -1 for auto, 0 for whole series, else a positive span in ms. */
  static long parseBucket(@Nullable String text) {
    if (text == null || text.isBlank() || text.equals("auto")) {
      return -1;
    }
    if (text.equals("series")) {
      return 0;
    }
    try {
      long ms = java.time.Duration.parse(text).toMillis();
      if (ms <= 0) {
        throw new IllegalArgumentException("--onePassBucket must be positive, got " + text);
      }
      return ms;
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--onePassBucket must be 'auto', 'series' or an ISO-8601 duration such as P1D or PT6H,"
              + " got '"
              + text
              + "'",
          e);
    }
  }

  /** Highest {@code --dedupShards} (shard numbers are 16-bit). */
  public static final int MAX_DEDUP_SHARDS = 65535;

  public final PipelineConfig config;

  /** Where the config came from (recorded in {@code pipeline_runs.config}). */
  public final String configName;

  /** Absolute directory or URL of the lake, ending in {@code /}. */
  public final String lakeRoot;

  public final WarehouseSpec warehouse;
  public final String runId;

  /** yyyy-MM-dd, naming the lake partition. */
  public final String ingestDate;

  public final Instant startedAt;

  /** Runner name recorded in {@code pipeline_runs}. */
  public final String runner;

  /** Rows per warehouse transaction. */
  public final int batchSize;

  public final ApiSettings api;

  /** Fetch FRED series from their start instead of after the newest loaded observation. */
  public final boolean fullRefetch;

  /** Replay the raw lake instead of reading sources; {@link #replayDate} null = every date. */
  public final boolean replayFromLake;

  public final @Nullable String replayDate;
  public final int dedupShards;

  /**
   * A batch run whose warehouse held nothing of its text-file sources at launch reads, lands,
   * validates, dedups and loads in two steps around one shuffle ({@code --onePass}).
   */
  public final boolean onePass;

  /** The one-pass group's time span in ms ({@code --onePassBucket}): 0 whole series, -1 auto. */
  public final long onePassBucketMillis;

  /** A progress line every this many ms while the run goes ({@code --progressSeconds}); 0: none. */
  public final long progressMillis;

  /** What the live sources fetch in this run, planned at launch (empty when none are live). */
  public final List<ApiRequest> requests;

  /**
   * Streaming runs: the continuous sources (polls, watched globs) end this long after their first
   * tick (each source its own: a slow start does not eat the run), so the run finishes by itself
   * ({@code --stopAfter}); null: they run until cancelled.
   */
  public final java.time.@Nullable Duration stopAfter;

  /**
   * What {@code observations} held for the run's sources when the run was launched (a batch run on
   * PostgreSQL; {@link dev.tslake.warehouse.StoredKeyRanges}); null: not read.
   */
  public final dev.tslake.warehouse.@Nullable StoredKeyRanges storedAtLaunch;

  private RunSettings(Builder b) {
    this.config = Objects.requireNonNull(b.config, "config");
    this.configName = b.configName == null ? "" : b.configName;
    this.lakeRoot = lakeRoot(b.lake);
    this.warehouse = Objects.requireNonNull(b.warehouse, "warehouse");
    this.runId = b.runId != null ? b.runId : UUID.randomUUID().toString();
    this.ingestDate =
        checkDate(
            "--ingestDate",
            b.ingestDate != null ? b.ingestDate : LocalDate.now(ZoneOffset.UTC).toString());
    this.startedAt = b.startedAt != null ? b.startedAt : Instant.now();
    this.runner = b.runner == null ? "DirectRunner" : b.runner;
    if (b.batchSize < 1) {
      throw new IllegalArgumentException(
          "--warehouseBatchSize must be at least 1, got " + b.batchSize);
    }
    this.batchSize = b.batchSize;
    this.api = b.api != null ? b.api : apiSettings(defaultApiOptions(), null);
    this.fullRefetch = b.fullRefetch;
    this.replayFromLake = b.replayFromLake;
    // checked only where it is used, as before
    this.replayDate =
        b.replayFromLake && b.replayDate != null
            ? checkDate("--replayIngestDate", b.replayDate)
            : b.replayDate;
    if (b.dedupShards < 0 || b.dedupShards > MAX_DEDUP_SHARDS) {
      throw new IllegalArgumentException(
          "--dedupShards must be 0 (one group per key) to "
              + MAX_DEDUP_SHARDS
              + ", got "
              + b.dedupShards);
    }
    this.dedupShards = b.dedupShards;
    this.onePass = b.onePass;
    this.onePassBucketMillis = parseBucket(b.onePassBucket);
    if (b.progressMillis < 0) {
      throw new IllegalArgumentException(
          "--progressSeconds must be 0 (no progress lines) or more, got "
              + b.progressMillis / 1000);
    }
    this.progressMillis = b.progressMillis;
    this.requests = List.copyOf(b.requests);
    if (b.stopAfter != null && (b.stopAfter.isNegative() || b.stopAfter.isZero())) {
      throw new IllegalArgumentException("--stopAfter must be positive, got " + b.stopAfter);
    }
    this.stopAfter = b.stopAfter;
    this.storedAtLaunch = b.storedAtLaunch;
  }

  /**
   * {@code --stopAfter} as a duration: null when unset, an IllegalArgumentException naming the
   * option when it is not a positive ISO-8601 duration.
   */
  public static java.time.@Nullable Duration parseStopAfter(@Nullable String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    java.time.Duration d;
    try {
      d = java.time.Duration.parse(text.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--stopAfter '" + text + "' is not an ISO-8601 duration such as PT30S, PT10M or PT2H");
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("--stopAfter '" + text + "' must be positive");
    }
    return d;
  }

  /** The settings the options describe, with secrets from the process environment. */
  public static RunSettings from(TsLakeOptions options) {
    return from(options, System.getenv());
  }

  /**
   * The settings the options describe; {@code env} supplies the secrets neither the options nor the
   * secrets file ({@code --secretsFile}) hold ({@code TSLAKE_WAREHOUSE_PASSWORD}, {@code
   * FRED_API_KEY}, {@code ALPHAVANTAGE_API_KEY}, {@code CENSUS_API_KEY}). Reads the config file and
   * the secrets file; touches nothing else. The settings hold where each secret is ({@link
   * dev.tslake.secret.SecretRef}), never its value; a secret given as an option is accepted only
   * when the runner runs the graph in this JVM.
   */
  public static RunSettings from(TsLakeOptions options, Map<String, String> env) {
    String configPath = options.getConfig();
    if (configPath == null || configPath.isBlank()) {
      throw new IllegalArgumentException("--config must name a JSON or YAML file");
    }
    LaunchSecrets secrets = LaunchSecrets.of(options, env::get);
    return builder()
        .config(PipelineConfig.load(Path.of(configPath)))
        .configName(configPath)
        .lake(options.getLake())
        .warehouse(
            WarehouseSpec.withPasswordFrom(
                options.getWarehouseUrl(),
                options.getWarehouseUser(),
                secrets.ref(
                    "--warehousePassword",
                    options.getWarehousePassword(),
                    SecretsFile.WAREHOUSE_PASSWORD,
                    "TSLAKE_WAREHOUSE_PASSWORD")))
        .runId(options.getRunId())
        .ingestDate(options.getIngestDate())
        .runner(options.getRunner().getSimpleName())
        .batchSize(options.getWarehouseBatchSize())
        .api(apiSettings(options, secrets))
        .fullRefetch(options.getFullRefetch())
        .replayFromLake(options.getReplayFromLake())
        .replayDate(options.getReplayIngestDate())
        .dedupShards(options.getDedupShards())
        .onePass(options.getOnePass())
        .onePassBucket(options.getOnePassBucket())
        .progressMillis(options.getProgressSeconds() * 1000L)
        .stopAfter(parseStopAfter(options.getStopAfter()))
        .build();
  }

  /**
   * Endpoints, where the keys are (option, then secrets file, then environment variable; none when
   * {@code secrets} is null) and HTTP behaviour.
   */
  static ApiSettings apiSettings(ApiSourceOptions o, @Nullable LaunchSecrets secrets) {
    return new ApiSettings(
            o.getFredBaseUrl(),
            secrets == null
                ? null
                : secrets.ref(
                    "--fredApiKey", o.getFredApiKey(), SecretsFile.FRED_API_KEY, "FRED_API_KEY"),
            o.getAlphaVantageBaseUrl(),
            secrets == null
                ? null
                : secrets.ref(
                    "--alphaVantageApiKey",
                    o.getAlphaVantageApiKey(),
                    SecretsFile.ALPHAVANTAGE_API_KEY,
                    "ALPHAVANTAGE_API_KEY"),
            o.getCensusBaseUrl(),
            secrets == null
                ? null
                : secrets.ref(
                    "--censusApiKey",
                    o.getCensusApiKey(),
                    SecretsFile.CENSUS_API_KEY,
                    "CENSUS_API_KEY"),
            o.getEdgarBaseUrl(),
            o.getEdgarUserAgent(),
            o.getCoindeskBaseUrl(),
            o.getHttpTimeoutMillis(),
            Math.max(1, o.getHttpMaxAttempts()),
            o.getHttpBackoffMillis(),
            o.getFailOnSourceError())
        .withMaxResponseBytes(o.getHttpMaxResponseBytes());
  }

  private static ApiSourceOptions defaultApiOptions() {
    return PipelineOptionsFactory.as(ApiSourceOptions.class);
  }

  private static String checkDate(String option, String date) {
    try {
      LocalDate.parse(date);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(option + " '" + date + "' is not yyyy-MM-dd");
    }
    return date;
  }

  /** A directory made absolute, or a URL as given; either ends in {@code /}. */
  private static String lakeRoot(@Nullable String lake) {
    if (lake == null || lake.isBlank()) {
      throw new IllegalArgumentException("--lake must name a directory or s3://bucket/prefix");
    }
    String root =
        lake.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")
            ? lake
            : Path.of(lake).toAbsolutePath().normalize().toString();
    return root.endsWith("/") ? root : root + "/";
  }

  /** These settings with the requests the launch planned. */
  public RunSettings withRequests(List<ApiRequest> planned) {
    return toBuilder().requests(planned).build();
  }

  /** These settings with what the warehouse held at launch. */
  public RunSettings withStoredAtLaunch(dev.tslake.warehouse.@Nullable StoredKeyRanges ranges) {
    return toBuilder().storedAtLaunch(ranges).build();
  }

  public Builder toBuilder() {
    return builder()
        .config(config)
        .configName(configName)
        .lake(lakeRoot)
        .warehouse(warehouse)
        .runId(runId)
        .ingestDate(ingestDate)
        .startedAt(startedAt)
        .runner(runner)
        .batchSize(batchSize)
        .api(api)
        .fullRefetch(fullRefetch)
        .replayFromLake(replayFromLake)
        .replayDate(replayDate)
        .dedupShards(dedupShards)
        .onePass(onePass)
        .onePassBucket(
            onePassBucketMillis < 0
                ? "auto"
                : onePassBucketMillis == 0
                    ? "series"
                    : java.time.Duration.ofMillis(onePassBucketMillis).toString())
        .progressMillis(progressMillis)
        .requests(requests)
        .stopAfter(stopAfter)
        .storedAtLaunch(storedAtLaunch);
  }

  /**
   * A builder with the options' defaults: run id generated, ingest date today (UTC), started now,
   * batch size 5000, 64 dedup shards, the live sources' default endpoints without keys.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the settings; {@link #build} validates them. */
  public static final class Builder {
    private @Nullable PipelineConfig config;
    private @Nullable String configName;
    private @Nullable String lake;
    private @Nullable WarehouseSpec warehouse;
    private @Nullable String runId;
    private @Nullable String ingestDate;
    private @Nullable Instant startedAt;
    private @Nullable String runner;
    private int batchSize = 5000;
    private @Nullable ApiSettings api;
    private boolean fullRefetch;
    private boolean replayFromLake;
    private @Nullable String replayDate;
    private int dedupShards = 64;
    private boolean onePass = true;
    private String onePassBucket = "auto";
    private long progressMillis = 5000;
    private List<ApiRequest> requests = List.of();
    private java.time.@Nullable Duration stopAfter;
    private dev.tslake.warehouse.@Nullable StoredKeyRanges storedAtLaunch;

    private Builder() {}

    public Builder storedAtLaunch(dev.tslake.warehouse.@Nullable StoredKeyRanges value) {
      this.storedAtLaunch = value;
      return this;
    }

    public Builder config(PipelineConfig value) {
      this.config = value;
      return this;
    }

    public Builder configName(String value) {
      this.configName = value;
      return this;
    }

    /** A directory or a URL such as {@code s3://bucket/prefix} ({@code --lake}). */
    public Builder lake(String value) {
      this.lake = value;
      return this;
    }

    public Builder warehouse(WarehouseSpec value) {
      this.warehouse = value;
      return this;
    }

    /** Null: a random UUID. */
    public Builder runId(@Nullable String value) {
      this.runId = value;
      return this;
    }

    /** yyyy-MM-dd; null: today (UTC). */
    public Builder ingestDate(@Nullable String value) {
      this.ingestDate = value;
      return this;
    }

    /** Null: when {@link #build} runs. */
    public Builder startedAt(@Nullable Instant value) {
      this.startedAt = value;
      return this;
    }

    public Builder runner(String value) {
      this.runner = value;
      return this;
    }

    public Builder batchSize(int value) {
      this.batchSize = value;
      return this;
    }

    public Builder api(ApiSettings value) {
      this.api = value;
      return this;
    }

    public Builder fullRefetch(boolean value) {
      this.fullRefetch = value;
      return this;
    }

    public Builder replayFromLake(boolean value) {
      this.replayFromLake = value;
      return this;
    }

    /** yyyy-MM-dd or null (every date). */
    public Builder replayDate(@Nullable String value) {
      this.replayDate = value;
      return this;
    }

    public Builder dedupShards(int value) {
      this.dedupShards = value;
      return this;
    }

    public Builder onePass(boolean value) {
      this.onePass = value;
      return this;
    }

    public Builder onePassBucket(String value) {
      this.onePassBucket = value;
      return this;
    }

    public Builder progressMillis(long value) {
      this.progressMillis = value;
      return this;
    }

    public Builder requests(List<ApiRequest> value) {
      this.requests = value;
      return this;
    }

    /** Null: continuous sources never end ({@code --stopAfter}). */
    public Builder stopAfter(java.time.@Nullable Duration value) {
      this.stopAfter = value;
      return this;
    }

    public RunSettings build() {
      return new RunSettings(this);
    }
  }
}

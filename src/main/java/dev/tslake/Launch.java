package dev.tslake;

import dev.tslake.config.SourceConfig;
import dev.tslake.lake.LakePaths;
import dev.tslake.lake.S3Lake;
import dev.tslake.sources.live.ApiRequest;
import dev.tslake.sources.live.RequestPlanner;
import dev.tslake.warehouse.StoredKeyRanges;
import dev.tslake.warehouse.WarehouseQueries;
import dev.tslake.warehouse.WarehouseSchema;
import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launch step of a run: everything outside the graph that the job configures, checks or reads
 * before the graph is built, once, in this order:
 *
 * <ol>
 *   <li>file systems: the {@code --s3*} options mapped onto Beam's S3 options, then Beam's {@code
 *       FileSystems} default (the launcher expands file patterns with the same configuration the
 *       workers get);
 *   <li>the lake: an {@code s3://} lake is listed (bucket and credentials); a replay needs raw
 *       files to replay;
 *   <li>the live sources have what their APIs require (keys, User-Agent);
 *   <li>the warehouse schema is created when missing;
 *   <li>the live sources' requests are planned, incremental FRED fetches after the date through
 *       which earlier runs fetched each series completely ({@code fetch_state}), less the source's
 *       {@code lookback};
 *   <li>a batch run reads what {@code observations} holds for its sources (per series the stored
 *       time range, {@link StoredKeyRanges}): the writers load a batch outside it straight into the
 *       table (PostgreSQL's COPY, DuckDB's appender) instead of probing the table per batch.
 * </ol>
 *
 * Failures are {@link IllegalArgumentException}s (or {@link IllegalStateException}s for the
 * warehouse) naming the option or resource at fault.
 */
public final class Launch {
  private static final Logger LOG = LoggerFactory.getLogger(Launch.class);

  private Launch() {}

  /** Prepares the run; returns the settings with the planned requests. */
  public static RunSettings prepare(TsLakeOptions options, RunSettings settings) {
    S3Lake.configure(options); // before FileSystems: launcher and workers share the S3 options
    FileSystems.setDefaultPipelineOptions(options);
    S3Lake.checkLake(options);
    if (settings.replayFromLake) {
      checkSomethingToReplay(settings);
    }
    boolean live =
        !settings.replayFromLake && settings.config.sources.stream().anyMatch(SourceConfig::isLive);
    if (live) {
      for (SourceConfig s : settings.config.sources) {
        if (s.isLive()) {
          settings.api.checkCanFetch(s);
        }
      }
    }
    WarehouseSchema.ensure(settings.warehouse);
    if (!TsLake.streaming(options) && settings.warehouse.dialect.wantsStoredKeyRanges()) {
      // a streaming run may write a key twice (a later vintage), so it keeps the per-batch probes
      long t0 = System.nanoTime();
      StoredKeyRanges stored =
          StoredKeyRanges.read(
              settings.warehouse,
              settings.config.sources.stream().map(src -> src.name).collect(Collectors.toList()));
      LOG.info(
          "observations at launch: {} series stored ({} ms)",
          stored.series(),
          (System.nanoTime() - t0) / 1_000_000);
      settings = settings.withStoredAtLaunch(stored);
    }
    if (!live) {
      return settings;
    }
    List<ApiRequest> requests =
        RequestPlanner.plan(
            settings.config,
            settings.api,
            WarehouseQueries.fetchedThrough(settings.warehouse, settings.config),
            settings.fullRefetch);
    return settings.withRequests(requests);
  }

  /**
   * For a streaming run's {@code PollSources}: per "source\0series", the date through which earlier
   * runs fetched each FRED series completely ({@code fetch_state}); empty with {@code
   * --fullRefetch}. Call after {@link #prepare} (the warehouse schema exists).
   */
  public static java.util.Map<String, java.time.LocalDate> pollSeed(RunSettings settings) {
    return settings.fullRefetch
        ? java.util.Map.of()
        : WarehouseQueries.fetchedThrough(settings.warehouse, settings.config);
  }

  /** A replay needs raw files in the lake, for the date asked or any date. */
  static void checkSomethingToReplay(RunSettings s) {
    String partition =
        s.lakeRoot
            + "raw/source=*/ingest_date="
            + (s.replayDate == null ? "*" : s.replayDate)
            + "/";
    // every run's folder, and lakes written before runs had folders of their own
    String pattern = partition + LakePaths.RUN_PREFIX + "*/*.csv";
    try {
      if (FileSystems.match(pattern, EmptyMatchTreatment.ALLOW).metadata().isEmpty()
          && FileSystems.match(partition + "*.csv", EmptyMatchTreatment.ALLOW)
              .metadata()
              .isEmpty()) {
        throw new IllegalArgumentException(
            "--replayFromLake: nothing to replay, no raw files match " + pattern);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--replayFromLake: cannot list " + pattern + ": " + e.getMessage(), e);
    }
  }
}

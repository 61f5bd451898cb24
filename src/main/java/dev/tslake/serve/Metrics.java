package dev.tslake.serve;

import io.javalin.http.Context;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics}: the warehouse's state in Prometheus text, read at each scrape, written by the
 * Prometheus Java client (prometheus-metrics-core, -exposition-textformats).
 */
final class Metrics {
  private static final Logger LOG = LoggerFactory.getLogger(Metrics.class);

  /** Tables counted in tslake_table_rows (a fixed list: the names go into SQL). */
  static final List<String> TABLES =
      List.of(
          "series",
          "observations",
          "aggregates",
          "rejects",
          "pipeline_runs",
          "rolling",
          "resampled",
          "observation_vintages",
          "quality_results");

  private final ReadOnlyWarehouse warehouse;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final Gauge up;
  private final Gauge tableRows;
  private final Gauge lastRunStatus;
  private final Gauge lastRunSucceeded;
  private final Gauge lastRunAge;
  private final Gauge freshness;
  private final Gauge newest;

  Metrics(ReadOnlyWarehouse warehouse) {
    this.warehouse = warehouse;
    up =
        Gauge.builder()
            .name("tslake_warehouse_up")
            .help("1 if the warehouse answered this scrape, 0 if not")
            .register(registry);
    tableRows =
        Gauge.builder()
            .name("tslake_table_rows")
            .help("rows per warehouse table")
            .labelNames("table")
            .register(registry);
    lastRunStatus =
        Gauge.builder()
            .name("tslake_last_run_status")
            .help("1 for the status of the latest run of each config")
            .labelNames("config", "status")
            .register(registry);
    lastRunSucceeded =
        Gauge.builder()
            .name("tslake_last_run_succeeded")
            .help("1 if the latest run of the config succeeded, else 0")
            .labelNames("config")
            .register(registry);
    lastRunAge =
        Gauge.builder()
            .name("tslake_last_run_age_seconds")
            .help("seconds since the latest run of the config finished (started, if still running)")
            .labelNames("config")
            .register(registry);
    freshness =
        Gauge.builder()
            .name("tslake_source_freshness_seconds")
            .help("seconds between now and the newest observation of the source")
            .labelNames("source")
            .register(registry);
    newest =
        Gauge.builder()
            .name("tslake_source_newest_observation_timestamp_seconds")
            .help("time of the newest observation of the source, Unix seconds")
            .labelNames("source")
            .register(registry);
  }

  void handle(Context ctx) throws IOException {
    MetricSnapshots snapshots;
    synchronized (this) {
      for (Gauge g :
          List.of(tableRows, lastRunStatus, lastRunSucceeded, lastRunAge, freshness, newest)) {
        g.clear();
      }
      try {
        warehouse.read(
            c -> {
              fill(c);
              return null;
            });
        up.set(1);
      } catch (ApiException e) {
        LOG.warn("/metrics: {}", e.getMessage());
        up.set(0);
      }
      snapshots = registry.scrape();
    }
    String accept = ctx.header("Accept");
    ExpositionFormatWriter writer =
        accept != null && accept.contains("application/openmetrics-text")
            ? formats.getOpenMetricsTextFormatWriter()
            : formats.getPrometheusTextFormatWriter();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.write(out, snapshots);
    ctx.contentType(writer.getContentType()).result(out.toByteArray());
  }

  private void fill(Connection c) throws SQLException {
    double now = Instant.now().toEpochMilli() / 1000.0;
    for (String table : TABLES) {
      if (ReadOnlyWarehouse.tableExists(c, table)) {
        try (PreparedStatement st = c.prepareStatement("SELECT count(*) FROM " + table);
            ResultSet rs = st.executeQuery()) {
          rs.next();
          tableRows.labelValues(table).set(rs.getLong(1));
        }
      }
    }
    if (ReadOnlyWarehouse.tableExists(c, "pipeline_runs")) {
      Set<String> seen = new HashSet<>();
      try (PreparedStatement st =
              c.prepareStatement(
                  "SELECT config, status, started_at, finished_at FROM pipeline_runs"
                      + " ORDER BY started_at DESC LIMIT 10000");
          ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String config = String.valueOf(rs.getString(1));
          if (!seen.add(config)) {
            continue;
          }
          String status = String.valueOf(rs.getString(2));
          OffsetDateTime started = rs.getObject(3, OffsetDateTime.class);
          OffsetDateTime finished = rs.getObject(4, OffsetDateTime.class);
          OffsetDateTime at = finished != null ? finished : started;
          lastRunStatus.labelValues(config, status).set(1);
          lastRunSucceeded.labelValues(config).set(status.equals("succeeded") ? 1 : 0);
          if (at != null) {
            lastRunAge.labelValues(config).set(now - at.toInstant().toEpochMilli() / 1000.0);
          }
        }
      }
    }
    if (ReadOnlyWarehouse.tableExists(c, "observations")) {
      try (PreparedStatement st =
              c.prepareStatement("SELECT source, max(ts) FROM observations GROUP BY source");
          ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          OffsetDateTime max = rs.getObject(2, OffsetDateTime.class);
          if (max != null) {
            double t = max.toInstant().toEpochMilli() / 1000.0;
            newest.labelValues(rs.getString(1)).set(t);
            freshness.labelValues(rs.getString(1)).set(now - t);
          }
        }
      }
    }
  }
}

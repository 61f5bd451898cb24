package dev.tslake.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.Observation;
import dev.tslake.testing.TestPipelineExtension;
import dev.tslake.warehouse.Tables;
import dev.tslake.warehouse.UpsertBatches;
import dev.tslake.warehouse.WarehouseSchema;
import dev.tslake.warehouse.WarehouseSpec;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** LatestStats fed by TestStream over two hours, upserted into DuckDB's {@code latest}. */
@ExtendWith(TestPipelineExtension.class)
class LatestStatsTest {
  private static final long T0 = Instant.parse("2026-05-01T10:00:00Z").getMillis();
  private static final long MINUTE = 60_000L;

  @TempDir Path tmp;

  private static Observation obs(long ts, Double value) {
    return new Observation("s", "x", ts, value, Observation.UNKNOWN_VINTAGE, "poll", "l " + ts);
  }

  private static double value(int i) {
    return Math.sin(i * 0.7) * 100 + i;
  }

  @Test
  void rowIsTheLastHoursStatistics(TestPipeline p) throws Exception {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + tmp.resolve("w.duckdb"), null, null);
    WarehouseSchema.ensure(spec);
    SourceConfig s = new SourceConfig();
    s.name = "s";
    s.type = SourceType.CSV;
    s.latest = "pt1h";
    PipelineConfig config = new PipelineConfig();
    config.sources = List.of(s);

    // a point every 5 minutes over 2 h (25 points), one missing, one revised, one too old
    TestStream.Builder<Observation> stream = TestStream.create(Observation.Coder.of());
    List<Observation> all = new ArrayList<>();
    for (int i = 0; i <= 24; i++) {
      Observation o = obs(T0 + i * 5 * MINUTE, i == 20 ? null : value(i));
      all.add(o);
      stream = stream.addElements(TimestampedValue.of(o, new Instant(o.ts)));
      if (i == 22) { // a revision of point 18, and a point far behind the trailing hour
        Observation revised = obs(T0 + 18 * 5 * MINUTE, 1000.0);
        all.set(18, revised);
        stream =
            stream.addElements(
                TimestampedValue.of(revised, new Instant(revised.ts)),
                TimestampedValue.of(obs(T0 + 5 * MINUTE, -1e9), new Instant(T0 + 5 * MINUTE)));
      }
    }
    p.apply(stream.advanceWatermarkToInfinity())
        .apply(LatestStats.of(config))
        .apply(UpsertBatches.into(spec, Tables.latest()));
    PipelineResult result = p.run();
    result.waitUntilFinish();

    // independently: the points in (as_of - 1 h, as_of]
    long asOf = T0 + 24 * 5 * MINUTE;
    List<Double> in = new ArrayList<>();
    for (Observation o : all) {
      if (o.ts > asOf - 60 * MINUTE && o.ts <= asOf && o.value != null) {
        in.add(o.value);
      }
    }
    double mean = in.stream().mapToDouble(d -> d).sum() / in.size();
    double var = in.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / (in.size() - 1);
    try (Connection c = spec.open();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT source, series_id, \"trailing\", as_of, n, mean, stddev, \"min\","
                    + " \"max\", \"first\", \"last\", updated_at FROM latest")) {
      assertTrue(rs.next());
      assertEquals("s", rs.getString(1));
      assertEquals("x", rs.getString(2));
      assertEquals("PT1H", rs.getString(3));
      assertEquals(asOf, rs.getObject(4, OffsetDateTime.class).toInstant().toEpochMilli());
      assertEquals(11, in.size()); // 12 points in the hour, one missing
      assertEquals(in.size(), rs.getLong(5));
      assertEquals(mean, rs.getDouble(6), 1e-9);
      assertEquals(Math.sqrt(var), rs.getDouble(7), 1e-9);
      assertEquals(in.stream().mapToDouble(d -> d).min().getAsDouble(), rs.getDouble(8), 0);
      assertEquals(in.stream().mapToDouble(d -> d).max().getAsDouble(), rs.getDouble(9), 0);
      assertEquals(in.get(0), rs.getDouble(10), 0);
      assertEquals(in.get(in.size() - 1), rs.getDouble(11), 0);
      assertTrue(rs.getObject(12) != null);
      assertTrue(!rs.next(), "one row per series");
    }

    // state never held more than the points of one trailing hour: (ts - 1 h, ts] holds 12
    Iterable<MetricResult<DistributionResult>> sizes =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(LatestStats.class, "state_points"))
                    .build())
            .getDistributions();
    long max = 0;
    for (MetricResult<DistributionResult> r : sizes) {
      max = Math.max(max, r.getAttempted().getMax());
    }
    assertEquals(12, max);
    spec.release();
  }

  @Test
  void pruningKeepsOnlyTheTrailingStretch() {
    List<KV<Long, Double>> points = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      assertTrue(LatestStats.addAndPrune(points, obs(T0 + i * 10 * MINUTE, 1.0 * i), 60 * MINUTE));
      long newest = points.get(points.size() - 1).getKey();
      for (KV<Long, Double> kv : points) {
        assertTrue(kv.getKey() > newest - 60 * MINUTE);
      }
    }
    assertEquals(6, points.size());
    assertTrue(!LatestStats.addAndPrune(points, obs(T0, 5.0), 60 * MINUTE)); // too old
    assertEquals(6, points.size());
  }
}

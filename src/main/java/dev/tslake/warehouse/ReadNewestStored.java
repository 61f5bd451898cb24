package dev.tslake.warehouse;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * For each read-back span [lo, hi) of a series of the given sources, the newest stored observation
 * at or after {@code hi} (one indexed query per series, nothing when there is none): with what the
 * run holds of the span, the series' newest timestamp, which a {@code freshness} check needs even
 * when a run only revises old points. This run's own rows all lie inside the span, so the answer
 * does not depend on how far the run's load has got.
 *
 * <p>Key: {@code source + '\0' + series_id}, as {@code TouchedSpans}; value: epoch ms.
 */
public final class ReadNewestStored
    extends PTransform<PCollection<KV<String, KV<Long, Long>>>, PCollection<KV<String, Long>>> {
  static final String NEWEST =
      "SELECT ts FROM observations WHERE source = ? AND series_id = ? AND ts >= ?"
          + " ORDER BY ts DESC LIMIT 1";

  private final WarehouseSpec warehouse;
  private final Set<String> sources;

  private ReadNewestStored(WarehouseSpec warehouse, Set<String> sources) {
    this.warehouse = warehouse;
    this.sources = sources;
  }

  /** Spans of series of {@code sources} only; the others are dropped. */
  public static ReadNewestStored from(WarehouseSpec warehouse, Set<String> sources) {
    return new ReadNewestStored(warehouse, new HashSet<>(sources));
  }

  @Override
  public PCollection<KV<String, Long>> expand(PCollection<KV<String, KV<Long, Long>>> in) {
    return in.apply("QueryNewest", ParDo.of(new ReadFn(warehouse, sources)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
  }

  static final class ReadFn extends DoFn<KV<String, KV<Long, Long>>, KV<String, Long>> {
    private final WarehouseSpec warehouse;
    private final Set<String> sources;
    private static final int FETCH_SIZE = 0;
    private static final String[] SQL = {NEWEST};
    private transient BundleQueries queries;

    ReadFn(WarehouseSpec warehouse, Set<String> sources) {
      this.warehouse = warehouse;
      this.sources = sources;
    }

    @ProcessElement
    public void process(
        @Element KV<String, KV<Long, Long>> span, OutputReceiver<KV<String, Long>> out)
        throws SQLException {
      String key = span.getKey();
      int sep = key.indexOf('\u0000');
      String source = key.substring(0, sep);
      long hi = span.getValue().getValue();
      if (!sources.contains(source) || hi >= ReadStoredObservations.MAX_TS) {
        return;
      }
      String series = key.substring(sep + 1);
      try {
        PreparedStatement newest = queries.statement(0);
        newest.setString(1, source);
        newest.setString(2, series);
        newest.setObject(
            3,
            OffsetDateTime.ofInstant(
                Instant.ofEpochMilli(Math.max(hi, ReadStoredObservations.MIN_TS)), ZoneOffset.UTC));
        try (ResultSet rs = newest.executeQuery()) {
          if (rs.next()) {
            out.output(
                KV.of(key, rs.getObject(1, OffsetDateTime.class).toInstant().toEpochMilli()));
          }
        }
      } catch (SQLException e) {
        throw queries.failed("the newest stored observation of " + source + "/" + series, e);
      }
    }

    @Setup
    public void setup() {
      queries = new BundleQueries(warehouse, FETCH_SIZE, SQL);
    }

    @FinishBundle
    public void finishBundle() {
      queries.close();
    }

    @Teardown
    public void teardown() {
      if (queries != null) {
        queries.close();
      }
    }
  }
}

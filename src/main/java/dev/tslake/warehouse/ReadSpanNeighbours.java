package dev.tslake.warehouse;

import dev.tslake.model.SpanContext;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * For each read-back span of a series of the given sources, the nearest stored observations just
 * outside it (two indexed queries per series): with them an analytic knows whether the series goes
 * on before or after what the run read back, and that nothing lies in between. This run's own rows
 * all lie inside the span, so what these queries see does not depend on how far the run's load has
 * got.
 */
public final class ReadSpanNeighbours
    extends PTransform<
        PCollection<KV<String, KV<Long, Long>>>, PCollection<KV<String, SpanContext>>> {
  static final String BEFORE =
      "SELECT ts FROM observations WHERE source = ? AND series_id = ? AND ts < ?"
          + " ORDER BY ts DESC LIMIT 1";
  static final String AFTER =
      "SELECT ts FROM observations WHERE source = ? AND series_id = ? AND ts >= ?"
          + " ORDER BY ts LIMIT 1";

  private final WarehouseSpec warehouse;
  private final Set<String> sources;

  private ReadSpanNeighbours(WarehouseSpec warehouse, Set<String> sources) {
    this.warehouse = warehouse;
    this.sources = sources;
  }

  /** Spans of series of {@code sources} only; the others are dropped. */
  public static ReadSpanNeighbours from(WarehouseSpec warehouse, Set<String> sources) {
    return new ReadSpanNeighbours(warehouse, new HashSet<>(sources));
  }

  @Override
  public PCollection<KV<String, SpanContext>> expand(PCollection<KV<String, KV<Long, Long>>> in) {
    return in.apply("QueryNeighbours", ParDo.of(new ReadFn(warehouse, sources)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(SpanContext.class)));
  }

  static final class ReadFn extends DoFn<KV<String, KV<Long, Long>>, KV<String, SpanContext>> {
    private final WarehouseSpec warehouse;
    private final Set<String> sources;
    private static final int FETCH_SIZE = 0;
    private static final String[] SQL = {BEFORE, AFTER};
    private transient BundleQueries queries;

    ReadFn(WarehouseSpec warehouse, Set<String> sources) {
      this.warehouse = warehouse;
      this.sources = sources;
    }

    @ProcessElement
    public void process(
        @Element KV<String, KV<Long, Long>> span, OutputReceiver<KV<String, SpanContext>> out)
        throws SQLException {
      String key = span.getKey();
      int sep = key.indexOf('\u0000');
      String source = key.substring(0, sep);
      if (!sources.contains(source)) {
        return;
      }
      String series = key.substring(sep + 1);
      long lo = span.getValue().getKey();
      long hi = span.getValue().getValue();
      try {
        PreparedStatement before = queries.statement(0);
        PreparedStatement after = queries.statement(1);
        Long b =
            lo <= ReadStoredObservations.MIN_TS
                ? null
                : nearest(before, source, series, Math.min(lo, ReadStoredObservations.MAX_TS));
        Long a =
            hi >= ReadStoredObservations.MAX_TS
                ? null
                : nearest(after, source, series, Math.max(hi, ReadStoredObservations.MIN_TS));
        out.output(KV.of(key, new SpanContext(lo, hi, b, a)));
      } catch (SQLException e) {
        throw queries.failed("the observations around the span of " + source + "/" + series, e);
      }
    }

    private static @Nullable Long nearest(
        PreparedStatement st, String source, String series, long bound) throws SQLException {
      st.setString(1, source);
      st.setString(2, series);
      st.setObject(3, OffsetDateTime.ofInstant(Instant.ofEpochMilli(bound), ZoneOffset.UTC));
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getObject(1, OffsetDateTime.class).toInstant().toEpochMilli() : null;
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

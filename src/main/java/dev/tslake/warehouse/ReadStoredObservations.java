package dev.tslake.warehouse;

import dev.tslake.model.Observation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads back the stored observations of the series and time ranges a run touches, so that dedup
 * decides against stored vintages and aggregates are recomputed from whole windows. Input: {@code
 * source + '\0' + series_id} to [lo, hi) in epoch milliseconds; output: the stored rows in those
 * ranges, marked {@link Observation#stored}. One indexed range query per series (the key of {@code
 * observations} is (source, series_id, ts)); a warehouse that holds nothing there answers at once,
 * so a first load pays one empty query per series. The queries run where the spans are: the caller
 * spreads them over workers first where its runner would otherwise fuse them into one ({@code
 * TsLake} reshuffles the spans once for this and the other span readers).
 *
 * <p>Connections come from {@link WarehouseSpec#open()}, so an embedded DuckDB file is read through
 * the one database instance this process holds.
 */
public final class ReadStoredObservations
    extends PTransform<PCollection<KV<String, KV<Long, Long>>>, PCollection<Observation>> {
  /** Bounds every supported database can hold as TIMESTAMPTZ (years 1 to 9999). */
  static final long MIN_TS = Instant.parse("0001-01-01T00:00:00Z").toEpochMilli();

  static final long MAX_TS = Instant.parse("+10000-01-01T00:00:00Z").toEpochMilli();

  static final String QUERY =
      "SELECT ts, \"value\", vintage, origin, locator FROM observations"
          + " WHERE source = ? AND series_id = ? AND ts >= ? AND ts < ?";

  private final WarehouseSpec warehouse;

  private ReadStoredObservations(WarehouseSpec warehouse) {
    this.warehouse = warehouse;
  }

  public static ReadStoredObservations from(WarehouseSpec warehouse) {
    return new ReadStoredObservations(warehouse);
  }

  /**
   * The stored observations of one series in [lo, hi), marked {@link Observation#stored}, read on
   * {@code connection} (one indexed range query).
   */
  public static java.util.List<Observation> readRange(
      Connection connection, String source, String series, long lo, long hi) throws SQLException {
    java.util.List<Observation> out = new java.util.ArrayList<>();
    long from = Math.max(MIN_TS, lo);
    long to = Math.min(MAX_TS, hi);
    if (from >= to) {
      return out;
    }
    try (PreparedStatement statement = connection.prepareStatement(QUERY)) {
      statement.setString(1, source);
      statement.setString(2, series);
      statement.setObject(3, OffsetDateTime.ofInstant(Instant.ofEpochMilli(from), ZoneOffset.UTC));
      statement.setObject(4, OffsetDateTime.ofInstant(Instant.ofEpochMilli(to), ZoneOffset.UTC));
      try (ResultSet rs = statement.executeQuery()) {
        while (rs.next()) {
          out.add(ReadFn.row(source, series, rs));
        }
      }
    }
    return out;
  }

  @Override
  public PCollection<Observation> expand(PCollection<KV<String, KV<Long, Long>>> spans) {
    return spans
        .apply("QueryStored", ParDo.of(new ReadFn(warehouse)))
        .setCoder(Observation.Coder.in(spans.getPipeline()));
  }

  static final class ReadFn extends DoFn<KV<String, KV<Long, Long>>, Observation> {
    private final WarehouseSpec warehouse;
    private final Counter read = Metrics.counter(ReadStoredObservations.class, "storedRead");
    private static final int FETCH_SIZE = 10_000;
    private static final String[] SQL = {QUERY};
    private transient BundleQueries queries;

    ReadFn(WarehouseSpec warehouse) {
      this.warehouse = warehouse;
    }

    @ProcessElement
    public void process(@Element KV<String, KV<Long, Long>> span, OutputReceiver<Observation> out)
        throws SQLException {
      String key = span.getKey();
      int sep = key.indexOf('\u0000');
      String source = key.substring(0, sep);
      String series = key.substring(sep + 1);
      long lo = Math.max(MIN_TS, span.getValue().getKey());
      long hi = Math.min(MAX_TS, span.getValue().getValue());
      if (lo >= hi) {
        return;
      }
      try {
        PreparedStatement statement = queries.statement(0);
        statement.setString(1, source);
        statement.setString(2, series);
        statement.setObject(3, OffsetDateTime.ofInstant(Instant.ofEpochMilli(lo), ZoneOffset.UTC));
        statement.setObject(4, OffsetDateTime.ofInstant(Instant.ofEpochMilli(hi), ZoneOffset.UTC));
        long n = 0;
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            out.output(row(source, series, rs));
            n++;
          }
        }
        read.inc(n);
      } catch (SQLException e) {
        throw queries.failed("the stored observations of " + source + "/" + series, e);
      }
    }

    /** The current row of a {@link #QUERY} result. */
    static Observation row(String source, String series, ResultSet rs) throws SQLException {
      long ts = rs.getObject(1, OffsetDateTime.class).toInstant().toEpochMilli();
      double v = rs.getDouble(2);
      Double value = rs.wasNull() ? null : v;
      OffsetDateTime vintage = rs.getObject(3, OffsetDateTime.class);
      String origin = rs.getString(4);
      String locator = rs.getString(5);
      return new Observation(
          source,
          series,
          ts,
          value,
          vintage == null ? Observation.UNKNOWN_VINTAGE : vintage.toInstant().toEpochMilli(),
          origin == null ? "" : origin,
          locator == null ? "" : locator,
          true);
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

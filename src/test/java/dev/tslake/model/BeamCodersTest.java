package dev.tslake.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/**
 * The model types' coders (framed for aggregates and rolling statistics, a schema for series
 * metadata, a composition for rejects): round trips with nulls, NaN, -0.0, unicode and long
 * strings.
 */
class BeamCodersTest {
  static final List<Aggregate> AGGREGATES =
      List.of(
          new Aggregate(
              "fred",
              "DGS10",
              "P1M",
              -315_619_200_000L,
              -312_940_800_000L,
              21,
              2,
              2.5,
              4.25,
              3.1,
              2.5,
              4.0),
          new Aggregate(
              "fred", "EMPTY", "P1D", 0L, 86_400_000L, 0, 3, null, null, null, null, null),
          new Aggregate(
              "crypto",
              "BTC-€ ünïcode 比特币",
              "PT1H",
              Long.MIN_VALUE,
              Long.MAX_VALUE,
              2,
              0,
              -0.0,
              Double.NaN,
              Double.POSITIVE_INFINITY,
              Double.NEGATIVE_INFINITY,
              0.0),
          new Aggregate(
              "s",
              "x".repeat(5000),
              "P1Y",
              1L,
              2L,
              1,
              0,
              1e308,
              1e-308,
              5e-324,
              -1.0,
              Double.MIN_VALUE));

  static final List<SeriesInfo> SERIES =
      List.of(
          new SeriesInfo(
              "fred",
              "PAYEMS",
              "All Employees, Total Nonfarm",
              "Thousands of Persons",
              "Monthly",
              "Seasonally Adjusted",
              "2022-12-09 15:25:09-06"),
          new SeriesInfo("csv", "only-ids", null, null, null, null, null),
          new SeriesInfo("crypto", "BTC-€ 比特币", "", "€", "", "\u0000\n", "x".repeat(5000)));

  static final List<Reject> REJECTS =
      List.of(
          new Reject(
              "validate",
              "'abc' is not a number",
              RawRecord.of("fred", "f.json", "observations[3]", "DGS10", "2024-01-01", "abc", "")),
          new Reject(
              "fetch",
              "HTTP 503 after 3 attempts: ünïcode 比特币",
              RawRecord.unparseable(
                  "av", "https://example.test/query?apikey=***", "request", null, "503", null)),
          new Reject("warehouse", "", new RawRecord("s", "o", "l", null, null, null, null, null)));

  @Test
  void aggregatesRoundTripThroughTheirFramedCoder() throws Exception {
    for (Aggregate a : AGGREGATES) {
      CoderProperties.coderDecodeEncodeEqual(Aggregate.coder(), a);
    }
    CoderProperties.coderDecodeEncodeEqual(ListCoder.of(Aggregate.coder()), AGGREGATES);
    CoderProperties.coderSerializable(Aggregate.coder());
    // -0.0 and NaN keep their identity (equals() tells -0.0 from 0.0)
    Aggregate back = CoderUtils.clone(Aggregate.coder(), AGGREGATES.get(2));
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(back.min));
    assertEquals(Double.NaN, back.max);
  }

  static final List<RollingStat> ROLLING =
      List.of(
          new RollingStat("fred", "DGS10", "P7D", -315_619_200_000L, 5, 3.1, 0.25, 2.5, 4.0, false),
          new RollingStat("fred", "ONE", "P30D", 0L, 1, 2.0, null, 2.0, 2.0, false),
          RollingStat.deletion("crypto", "BTC-€ ünïcode 比特币", "PT1H", Long.MAX_VALUE),
          new RollingStat(
              "s",
              "x".repeat(5000),
              "P1Y",
              Long.MIN_VALUE,
              2,
              -0.0,
              Double.NaN,
              5e-324,
              1e308,
              false));

  @Test
  void rollingStatsRoundTripThroughTheirFramedCoder() throws Exception {
    for (RollingStat r : ROLLING) {
      CoderProperties.coderDecodeEncodeEqual(RollingStat.coder(), r);
      CoderProperties.coderDeterministic(
          RollingStat.coder(), r, CoderUtils.clone(RollingStat.coder(), r));
    }
    CoderProperties.coderDecodeEncodeEqual(ListCoder.of(RollingStat.coder()), ROLLING);
    CoderProperties.coderSerializable(RollingStat.coder());
    RollingStat back = CoderUtils.clone(RollingStat.coder(), ROLLING.get(3));
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(back.mean));
    assertEquals(Double.NaN, back.stddev);
    assertNull(CoderUtils.clone(RollingStat.coder(), ROLLING.get(1)).stddev);
  }

  @Test
  void theFramedCodersDecodeWhatTheSchemaCodersDid() throws Exception {
    for (Aggregate a : AGGREGATES) {
      Aggregate viaSchema = CoderUtils.clone(SchemaCoders.of(Aggregate.class), a);
      assertEquals(viaSchema, CoderUtils.clone(Aggregate.coder(), a));
    }
    for (RollingStat r : ROLLING) {
      RollingStat viaSchema = CoderUtils.clone(SchemaCoders.of(RollingStat.class), r);
      assertEquals(viaSchema, CoderUtils.clone(RollingStat.coder(), r));
    }
  }

  @Test
  void theAggregateSchemaHasEveryFieldWithItsNullability() {
    Schema schema = SchemaCoders.of(Aggregate.class).getSchema();
    assertEquals(13, schema.getFieldCount());
    assertEquals(FieldType.DOUBLE.withNullable(true), schema.getField("stddev").getType());
    assertEquals(FieldType.STRING, schema.getField("seriesId").getType());
    assertEquals(FieldType.INT64, schema.getField("windowStart").getType());
    assertEquals(FieldType.DOUBLE.withNullable(true), schema.getField("mean").getType());
  }

  @Test
  void seriesInfoRoundTripsThroughItsSchemaCoder() throws Exception {
    for (SeriesInfo s : SERIES) {
      CoderProperties.coderDecodeEncodeEqual(SeriesInfo.coder(), s);
    }
    CoderProperties.coderDecodeEncodeEqual(
        KvCoder.of(StringUtf8Coder.of(), SeriesInfo.coder()),
        KV.of(SERIES.get(1).key(), SERIES.get(1)));
    CoderProperties.coderSerializable(SeriesInfo.coder());
    assertEquals(7, SeriesInfo.coder().getSchema().getFieldCount());
  }

  @Test
  void rejectsRoundTripThroughTheirComposedCoder() throws Exception {
    for (Reject r : REJECTS) {
      CoderProperties.coderDecodeEncodeEqual(Reject.coder(), r);
    }
    CoderProperties.coderDecodeEncodeEqual(ListCoder.of(Reject.coder()), REJECTS);
    // (no coderSerializable: like RawRecord.Coder's, a deserialized copy is not equals() to it)
    // rejects reach the lake's shuffle as values only, but the coder stays deterministic
    CoderProperties.coderDeterministic(Reject.coder(), REJECTS.get(0), REJECTS.get(0));
    assertSame(Reject.coder(), Reject.coder());
    // a reason-less exception message (null) is carried, not a failure of the coder
    Reject noReason =
        CoderUtils.clone(Reject.coder(), new Reject("warehouse", null, REJECTS.get(2).record));
    assertNull(noReason.reason);
    assertEquals(REJECTS.get(2).record, noReason.record);
    assertEquals(
        REJECTS.get(1), CoderUtils.clone(SerializableUtils.clone(Reject.coder()), REJECTS.get(1)));
  }
}

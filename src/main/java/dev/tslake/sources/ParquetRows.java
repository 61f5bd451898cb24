package dev.tslake.sources;

import dev.tslake.config.SourceConfig;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The {@code parquet} source type: a Parquet file of readings, mapped by config exactly like {@code
 * csv} ({@code timestampColumn}, {@code timestampFormat}, {@code timeZone}, {@code seriesColumn} or
 * {@code seriesId}, {@code valueColumns}).
 *
 * <p>The file is read with parquet-hadoop's {@link ParquetFileReader} over an {@link InputFile}
 * backed by the Beam filesystem channel (local, {@code s3://}, {@code gs://}), row group by row
 * group, with parquet's schema-less example {@link Group} model: no schema is needed up front,
 * column names may contain anything (spaces, {@code /}), and nothing goes through Avro.
 *
 * <p>Each row gives one raw record per value column, series {@code <series>.<column>}, located as
 * {@code row N <column>} (N counts rows from 1 across the file). Values become the text the csv
 * parser would have seen: numbers as plain decimal text (no exponent), NULL as a missing value,
 * strings as they are. Timestamps:
 *
 * <ul>
 *   <li>a {@code TIMESTAMP(MILLIS|MICROS|NANOS, UTC)} column (or a legacy INT96 one) is an instant:
 *       emitted as an ISO instant ({@code 2021-04-20T00:02:00Z}) for {@code iso}, as epoch
 *       milliseconds / seconds for {@code epoch_millis} / {@code epoch_seconds};
 *   <li>a local {@code TIMESTAMP} (not adjusted to UTC) or a {@code DATE} column is emitted as ISO
 *       local text, read in the source's {@code timeZone}; it needs {@code iso};
 *   <li>a plain integer or floating point column is an epoch number ({@code epoch_millis}, {@code
 *       epoch_seconds}); a string column is parsed exactly as in csv.
 * </ul>
 *
 * A typed timestamp column with a java.time pattern (which applies to text) is one rejected record
 * for the file saying which format to use, rather than thousands of per-row rejects.
 *
 * <p>A timestamp far in the future (past 2262, where epoch nanos no longer fit a long) is emitted
 * as the instant it is, for validation to reject that row; a value no instant can hold is a
 * rejected record for its row. Either way the rows after it are read.
 *
 * <p>Bad data never throws: a file that is not Parquet, is truncated or cannot be decoded is one
 * rejected record with the reason (and, if it breaks mid-file, the row it broke at); a missing
 * configured column is one rejected record naming it.
 */
public final class ParquetRows {
  private ParquetRows() {}

  /** What a typed column's timestamp means, decided once per file from the schema. */
  private enum TsKind {
    TEXT,
    NUMBER,
    INSTANT_MILLIS,
    INSTANT_MICROS,
    INSTANT_NANOS,
    INSTANT_INT96,
    LOCAL_MILLIS,
    LOCAL_MICROS,
    LOCAL_NANOS,
    DATE
  }

  /** Reads one Parquet file; {@code channel} must be seekable (every Beam filesystem's is). */
  public static long read(PayloadContext ctx, SeekableByteChannel channel, ParseOutput out) {
    SourceConfig s = ctx.source;
    String src = s.name;
    String configError = CsvParser.configError(s, ctx.seriesIdHint);
    boolean byColumn = s.seriesColumn != null;
    String fixedSeries =
        byColumn
            ? null
            : (ctx.seriesIdHint != null && !ctx.seriesIdHint.isBlank()
                ? ctx.seriesIdHint
                : s.seriesId);
    if (configError != null) {
      out.record(RawRecord.unparseable(src, ctx.origin, "file", fixedSeries, configError, null));
      return 1;
    }
    long emitted = 0;
    long row = 0;
    try (ParquetFileReader reader = ParquetFileReader.open(new ChannelInputFile(channel))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      Map<String, Integer> index = new HashMap<>();
      for (int i = 0; i < schema.getFieldCount(); i++) {
        index.putIfAbsent(normalize(schema.getFieldName(i)), i);
      }
      List<String> missing = new ArrayList<>();
      Integer tsIdx = lookup(index, s.timestampColumn, "timestampColumn", missing);
      Integer seriesIdx = byColumn ? lookup(index, s.seriesColumn, "seriesColumn", missing) : null;
      List<Integer> valueIdx = new ArrayList<>();
      for (String v : s.valueColumns) {
        valueIdx.add(lookup(index, v, "valueColumns", missing));
      }
      if (!missing.isEmpty()) {
        out.record(
            RawRecord.unparseable(
                src,
                ctx.origin,
                "schema",
                fixedSeries,
                (missing.size() == 1 ? "configured column " : "configured columns ")
                    + String.join(", ", missing)
                    + " not in the Parquet schema; columns: "
                    + columnNames(schema),
                schema.toString()));
        return 1;
      }
      List<String> typeErrors = new ArrayList<>();
      checkScalar(schema, tsIdx, "timestampColumn", typeErrors);
      if (seriesIdx != null) {
        checkScalar(schema, seriesIdx, "seriesColumn", typeErrors);
      }
      for (int i = 0; i < valueIdx.size(); i++) {
        checkScalar(schema, valueIdx.get(i), "valueColumns", typeErrors);
      }
      if (!typeErrors.isEmpty()) {
        out.record(
            RawRecord.unparseable(
                src,
                ctx.origin,
                "schema",
                fixedSeries,
                String.join("; ", typeErrors),
                schema.toString()));
        return 1;
      }
      PrimitiveType tsType = schema.getType(tsIdx).asPrimitiveType();
      TsKind tsKind = tsKind(tsType);
      String mode =
          s.timestampFormat == null ? "iso" : s.timestampFormat.trim().toLowerCase(Locale.ROOT);
      String formatError = formatError(s, tsType, tsKind, mode);
      if (formatError != null) {
        out.record(
            RawRecord.unparseable(
                src, ctx.origin, "schema", fixedSeries, formatError, schema.toString()));
        return 1;
      }
      MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
      PageReadStore pages;
      while ((pages = reader.readNextRowGroup()) != null) {
        long rows = pages.getRowCount();
        RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(schema));
        for (long r = 0; r < rows; r++) {
          Group g = records.read();
          row++;
          String ts;
          String tsError = null;
          try {
            ts = timestampText(g, tsIdx, tsType, tsKind, mode);
          } catch (ArithmeticException | DateTimeException e) {
            // a value no instant can hold costs its row, not the rest of the file
            ts = null;
            tsError =
                "timestamp in column '"
                    + tsType.getName()
                    + "' of row "
                    + row
                    + " is out of range: "
                    + describe(e);
          }
          String series =
              byColumn
                  ? text(g, seriesIdx, schema.getType(seriesIdx).asPrimitiveType())
                  : fixedSeries;
          boolean noSeries = series == null || series.trim().isEmpty();
          for (int i = 0; i < valueIdx.size(); i++) {
            String col = s.valueColumns.get(i);
            String locator = "row " + row + " " + col;
            int vi = valueIdx.get(i);
            String value = text(g, vi, schema.getType(vi).asPrimitiveType());
            emitted++;
            if (tsError != null || noSeries) {
              out.record(
                  new RawRecord(
                      src,
                      ctx.origin,
                      locator,
                      noSeries ? null : series + "." + col,
                      ts,
                      value,
                      ctx.vintage,
                      tsError != null
                          ? tsError
                          : "series column '" + s.seriesColumn + "' is empty"));
            } else {
              out.record(
                  RawRecord.of(
                      src, ctx.origin, locator, series + "." + col, ts, value, ctx.vintage));
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // parquet-mr reports a non-Parquet or truncated file as RuntimeException or IOException;
      // either way the bytes are bad, not the run. (Opening the file is the caller's I/O.)
      String where = row == 0 ? "file" : "row " + (row + 1);
      out.record(
          RawRecord.unparseable(
              src,
              ctx.origin,
              where,
              fixedSeries,
              (row == 0
                      ? "not a readable Parquet file: "
                      : "unreadable Parquet data after row "
                          + row
                          + " (the rest of the file was not read): ")
                  + describe(e),
              null));
      emitted++;
    }
    return emitted;
  }

  private static String describe(Throwable e) {
    StringBuilder b = new StringBuilder(e.getClass().getSimpleName());
    if (e.getMessage() != null) {
      b.append(": ").append(e.getMessage());
    }
    Throwable c = e.getCause();
    if (c != null && c != e && c.getMessage() != null) {
      b.append(" (").append(c.getMessage()).append(')');
    }
    return b.length() > 1000 ? b.substring(0, 1000) + "..." : b.toString();
  }

  private static @Nullable Integer lookup(
      Map<String, Integer> index, String column, String field, List<String> missing) {
    Integer i = index.get(normalize(column));
    if (i == null) {
      missing.add("'" + column + "' (" + field + ")");
    }
    return i;
  }

  private static String normalize(String name) {
    return name.trim().toLowerCase(Locale.ROOT);
  }

  private static List<String> columnNames(MessageType schema) {
    List<String> names = new ArrayList<>();
    for (Type t : schema.getFields()) {
      names.add(t.getName());
    }
    return names;
  }

  private static void checkScalar(MessageType schema, int idx, String field, List<String> errors) {
    Type t = schema.getType(idx);
    if (!t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)) {
      errors.add(
          "column '"
              + t.getName()
              + "' ("
              + field
              + ") is a nested or repeated Parquet"
              + " column ("
              + t.toString().trim()
              + "); only flat columns can be mapped");
    }
  }

  private static TsKind tsKind(PrimitiveType t) {
    LogicalTypeAnnotation a = t.getLogicalTypeAnnotation();
    if (t.getPrimitiveTypeName() == PrimitiveTypeName.INT96) {
      return TsKind.INSTANT_INT96;
    }
    if (a instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) {
      LogicalTypeAnnotation.TimestampLogicalTypeAnnotation ts =
          (LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) a;
      switch (ts.getUnit()) {
        case MILLIS:
          return ts.isAdjustedToUTC() ? TsKind.INSTANT_MILLIS : TsKind.LOCAL_MILLIS;
        case MICROS:
          return ts.isAdjustedToUTC() ? TsKind.INSTANT_MICROS : TsKind.LOCAL_MICROS;
        default:
          return ts.isAdjustedToUTC() ? TsKind.INSTANT_NANOS : TsKind.LOCAL_NANOS;
      }
    }
    if (a instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
      return TsKind.DATE;
    }
    switch (t.getPrimitiveTypeName()) {
      case INT32:
      case INT64:
      case FLOAT:
      case DOUBLE:
        return a == null || a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation
            ? TsKind.NUMBER
            : TsKind.TEXT;
      default:
        return TsKind.TEXT;
    }
  }

  /** A typed column whose meaning the configured format cannot express; null if it can. */
  private static @Nullable String formatError(
      SourceConfig s, PrimitiveType t, TsKind kind, String mode) {
    String col = "timestampColumn '" + t.getName() + "' is a Parquet " + describeType(t);
    switch (kind) {
      case INSTANT_MILLIS:
      case INSTANT_MICROS:
      case INSTANT_NANOS:
      case INSTANT_INT96:
        if (mode.equals("iso") || mode.equals("epoch_millis") || mode.equals("epoch_seconds")) {
          return null;
        }
        return col
            + " (an instant); timestampFormat '"
            + s.timestampFormat
            + "' is a pattern for"
            + " text columns: set timestampFormat to iso (or epoch_millis, epoch_seconds)";
      case LOCAL_MILLIS:
      case LOCAL_MICROS:
      case LOCAL_NANOS:
      case DATE:
        if (mode.equals("iso")) {
          return null;
        }
        return col
            + " (a local date/time, read in timeZone "
            + s.timeZone
            + "); timestampFormat '"
            + s.timestampFormat
            + "' does not apply to it: set timestampFormat to iso";
      default:
        return null;
    }
  }

  private static String describeType(PrimitiveType t) {
    LogicalTypeAnnotation a = t.getLogicalTypeAnnotation();
    return t.getPrimitiveTypeName().name().toLowerCase(Locale.ROOT)
        + (a == null ? "" : " " + a.toString());
  }

  private static @Nullable String timestampText(
      Group g, int idx, PrimitiveType t, TsKind kind, String mode) {
    if (g.getFieldRepetitionCount(idx) == 0) {
      return null;
    }
    switch (kind) {
      case INSTANT_MILLIS:
        return instantText(instant(g.getLong(idx, 0), 1_000L), mode);
      case INSTANT_MICROS:
        return instantText(instant(g.getLong(idx, 0), 1_000_000L), mode);
      case INSTANT_NANOS:
        return instantText(instant(g.getLong(idx, 0), 1_000_000_000L), mode);
      case INSTANT_INT96:
        return instantText(int96(g.getInt96(idx, 0).toByteBuffer()), mode);
      case LOCAL_MILLIS:
        return localText(g.getLong(idx, 0), 1_000_000L);
      case LOCAL_MICROS:
        return localText(g.getLong(idx, 0), 1_000L);
      case LOCAL_NANOS:
        return localText(g.getLong(idx, 0), 1L);
      case DATE:
        return LocalDate.ofEpochDay(g.getInteger(idx, 0)).toString();
      default:
        return text(g, idx, t);
    }
  }

  /**
   * An epoch count in units of {@code 1/unitsPerSecond} s as an instant, without going through
   * epoch nanos (which overflow a long past 2262): every INT64 of millis or micros is an instant.
   */
  private static Instant instant(long value, long unitsPerSecond) {
    return Instant.ofEpochSecond(
        Math.floorDiv(value, unitsPerSecond),
        Math.floorMod(value, unitsPerSecond) * (1_000_000_000L / unitsPerSecond));
  }

  /**
   * The instant as the text the configured format reads; throws {@link ArithmeticException} when it
   * is no epoch millisecond (beyond about 292 million years).
   */
  private static String instantText(Instant instant, String mode) {
    switch (mode) {
      case "epoch_millis":
        return Long.toString(instant.toEpochMilli());
      case "epoch_seconds":
        return BigDecimal.valueOf(instant.toEpochMilli(), 3).stripTrailingZeros().toPlainString();
      default:
        return instant.toString();
    }
  }

  private static String localText(long value, long nanosPerUnit) {
    long unitsPerSecond = 1_000_000_000L / nanosPerUnit;
    LocalDateTime t =
        LocalDateTime.ofEpochSecond(
            Math.floorDiv(value, unitsPerSecond),
            (int) (Math.floorMod(value, unitsPerSecond) * nanosPerUnit),
            ZoneOffset.UTC);
    return t.toString();
  }

  /**
   * Legacy INT96 timestamp (Impala, Spark, old pandas): nanos of day, then Julian day, little
   * endian.
   */
  private static Instant int96(ByteBuffer b) {
    ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long nanosOfDay = le.getLong();
    int julianDay = le.getInt();
    long epochDay = julianDay - 2_440_588L;
    // epoch seconds, not nanos: an int of days times 86,400 fits a long, nanos do not past 2262
    return Instant.ofEpochSecond(epochDay * 86_400L, 0).plusNanos(nanosOfDay);
  }

  /** The column's value as the text a CSV of the same data would hold; null for NULL. */
  static @Nullable String text(Group g, int idx, PrimitiveType t) {
    if (g.getFieldRepetitionCount(idx) == 0) {
      return null;
    }
    LogicalTypeAnnotation a = t.getLogicalTypeAnnotation();
    if (a instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation) {
      int scale = ((LogicalTypeAnnotation.DecimalLogicalTypeAnnotation) a).getScale();
      BigInteger unscaled;
      switch (t.getPrimitiveTypeName()) {
        case INT32:
          unscaled = BigInteger.valueOf(g.getInteger(idx, 0));
          break;
        case INT64:
          unscaled = BigInteger.valueOf(g.getLong(idx, 0));
          break;
        default:
          unscaled = new BigInteger(g.getBinary(idx, 0).getBytes());
      }
      return plain(new BigDecimal(unscaled, scale));
    }
    switch (t.getPrimitiveTypeName()) {
      case DOUBLE:
        return number(g.getDouble(idx, 0));
      case FLOAT:
        float f = g.getFloat(idx, 0);
        return Float.isFinite(f) ? plain(new BigDecimal(Float.toString(f))) : Float.toString(f);
      case INT32:
        if (a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation
            && !((LogicalTypeAnnotation.IntLogicalTypeAnnotation) a).isSigned()) {
          return Integer.toUnsignedString(g.getInteger(idx, 0));
        }
        return Integer.toString(g.getInteger(idx, 0));
      case INT64:
        if (a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation
            && !((LogicalTypeAnnotation.IntLogicalTypeAnnotation) a).isSigned()) {
          return Long.toUnsignedString(g.getLong(idx, 0));
        }
        return Long.toString(g.getLong(idx, 0));
      case BOOLEAN:
        return Boolean.toString(g.getBoolean(idx, 0));
      case INT96:
        return int96(g.getInt96(idx, 0).toByteBuffer()).toString();
      default:
        // BINARY / FIXED_LEN_BYTE_ARRAY: strings (annotated or not, as many writers leave them)
        return g.getBinary(idx, 0).toStringUsingUTF8();
    }
  }

  /** A double as plain decimal text: shortest round-trip digits, no exponent; NaN stays "NaN". */
  private static String number(double d) {
    return Double.isFinite(d) ? plain(new BigDecimal(Double.toString(d))) : Double.toString(d);
  }

  private static String plain(BigDecimal d) {
    String s = d.stripTrailingZeros().toPlainString();
    return s.equals("-0") ? "0" : s;
  }

  /** A Parquet {@link InputFile} over a Beam filesystem channel (local, S3, GCS). */
  static final class ChannelInputFile implements InputFile {
    private final SeekableByteChannel channel;

    ChannelInputFile(SeekableByteChannel channel) {
      this.channel = channel;
    }

    @Override
    public long getLength() throws IOException {
      return channel.size();
    }

    @Override
    public SeekableInputStream newStream() {
      return new DelegatingSeekableInputStream(Channels.newInputStream(channel)) {
        @Override
        public long getPos() throws IOException {
          return channel.position();
        }

        @Override
        public void seek(long newPos) throws IOException {
          channel.position(newPos);
        }

        @Override
        public void close() {
          // the channel belongs to the caller
        }
      };
    }
  }
}

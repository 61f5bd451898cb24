package dev.tslake.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.config.TimestampParser;
import dev.tslake.model.RawRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parquet timestamps far in the future (past 2262, where epoch nanos overflow a long, up to the
 * largest INT64 of millis) cost their own row: the row's records carry the instant as text and
 * validation rejects it with the reason; the rows after it are read.
 */
class ParquetTimestampRangeTest {
  private static final long GOOD_MS = Instant.parse("2021-04-20T00:02:00Z").toEpochMilli();
  private static final long Y3000_MS = Instant.parse("3000-06-01T00:00:00Z").toEpochMilli();

  /** Row 2 is far out of range in every column, row 3 is in the year 3000, rows 1 and 4 good. */
  private static final long[] MILLIS = {GOOD_MS, Long.MAX_VALUE, Y3000_MS, GOOD_MS + 60_000};

  private static final String[] COLUMNS = {
    "ts_millis", "ts_micros", "ts_int96", "local_millis", "local_micros"
  };

  private static Path write(Path dir) throws IOException {
    MessageType schema =
        Types.buildMessage()
            .optional(PrimitiveTypeName.BINARY)
            .as(LogicalTypeAnnotation.stringType())
            .named("Symbol")
            .optional(PrimitiveTypeName.INT64)
            .as(LogicalTypeAnnotation.timestampType(true, TimeUnit.MILLIS))
            .named("ts_millis")
            .optional(PrimitiveTypeName.INT64)
            .as(LogicalTypeAnnotation.timestampType(true, TimeUnit.MICROS))
            .named("ts_micros")
            .optional(PrimitiveTypeName.INT96)
            .named("ts_int96")
            .optional(PrimitiveTypeName.INT64)
            .as(LogicalTypeAnnotation.timestampType(false, TimeUnit.MILLIS))
            .named("local_millis")
            .optional(PrimitiveTypeName.INT64)
            .as(LogicalTypeAnnotation.timestampType(false, TimeUnit.MICROS))
            .named("local_micros")
            .optional(PrimitiveTypeName.DOUBLE)
            .named("Close")
            .named("t");
    Path out = dir.resolve("far_future.parquet");
    SimpleGroupFactory f = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(new LocalOut(out))
            .withType(schema)
            .withConf(new Configuration())
            .withWriteMode(ParquetFileWriter.Mode.CREATE)
            .build()) {
      for (int i = 0; i < MILLIS.length; i++) {
        long ms = MILLIS[i];
        boolean huge = ms == Long.MAX_VALUE;
        long micros = huge ? Long.MAX_VALUE : ms * 1_000L;
        long day = Math.floorDiv(ms, 86_400_000L);
        long nanosOfDay = Math.floorMod(ms, 86_400_000L) * 1_000_000L;
        Group g =
            f.newGroup()
                .append("Symbol", "BTCUSD")
                .append("ts_millis", ms)
                .append("ts_micros", micros)
                .append(
                    "ts_int96",
                    new NanoTime(huge ? Integer.MAX_VALUE : (int) (day + 2_440_588L), nanosOfDay))
                .append("local_millis", ms)
                .append("local_micros", micros)
                .append("Close", 100.0 + i);
        w.write(g);
      }
    }
    return out;
  }

  private static List<RawRecord> read(Path file, String column, String format) throws IOException {
    SourceConfig s = Parsed.source("pq", SourceType.PARQUET);
    s.timestampColumn = column;
    s.timestampFormat = format;
    s.timeZone = "UTC";
    s.seriesColumn = "Symbol";
    s.valueColumns = new ArrayList<>(List.of("Close"));
    Parsed out = new Parsed();
    try (SeekableByteChannel ch = Files.newByteChannel(file)) {
      ParquetRows.read(new PayloadContext(s, file.toString(), null, null), ch, out);
    }
    return out.records;
  }

  @Test
  void farFutureTimestampsAreOneRejectEachAndTheRestOfTheFileLoads(@TempDir Path dir)
      throws IOException {
    Path file = write(dir);
    for (String column : COLUMNS) {
      List<String> formats =
          column.startsWith("local") ? List.of("iso") : List.of("iso", "epoch_millis");
      for (String format : formats) {
        String what = column + " as " + format;
        List<RawRecord> records = read(file, column, format);
        assertEquals(
            List.of("row 1 Close", "row 2 Close", "row 3 Close", "row 4 Close"),
            records.stream().map(r -> r.locator).collect(Collectors.toList()),
            what + ": " + records);
        assertEquals("103", records.get(3).value, what);
        TimestampParser validate = TimestampParser.of(format, "UTC");
        int rejected = 0;
        for (RawRecord r : records) {
          boolean bad;
          if (r.error != null) {
            bad = true;
          } else {
            try {
              validate.parse(r.ts);
              bad = false;
            } catch (IllegalArgumentException e) {
              bad = true;
            }
          }
          if (bad) {
            rejected++;
          }
        }
        assertEquals(2, rejected, what + ": " + records);
        assertNull(records.get(0).error, what);
        assertEquals(GOOD_MS, validate.parse(records.get(0).ts), what);
        assertEquals(GOOD_MS + 60_000, validate.parse(records.get(3).ts), what);
        assertThrows(IllegalArgumentException.class, () -> validate.parse(records.get(2).ts));
      }
    }
  }

  static final class LocalOut implements OutputFile {
    final Path path;

    LocalOut(Path path) {
      this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      OutputStream os = Files.newOutputStream(path);
      return new PositionOutputStream() {
        long pos;

        @Override
        public long getPos() {
          return pos;
        }

        @Override
        public void write(int b) throws IOException {
          os.write(b);
          pos++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          os.write(b, off, len);
          pos += len;
        }

        @Override
        public void close() throws IOException {
          os.close();
        }
      };
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return create(blockSizeHint);
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }
  }
}

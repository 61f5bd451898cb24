import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * Makes testdata/parquet/*.parquet from testdata/bitcoin/gemini_BTCUSD_1min_excel_mangled_head10000.csv.
 * Not part of the build (it needs Hadoop's Configuration to write); see testdata/SOURCES.md for
 * the command. Output is deterministic for a given parquet-hadoop version.
 */
public class MakeGeminiParquet {
  static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("M/d/uuuu H:mm");

  public static void main(String[] args) throws Exception {
    Path csv = Path.of("testdata/bitcoin/gemini_BTCUSD_1min_excel_mangled_head10000.csv");
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(csv)) {
      r.readLine(); // header: Unix Timestamp,Date,Symbol,Open,High,Low,Close,Volume
      String line;
      while ((line = r.readLine()) != null && rows.size() < 3000) {
        rows.add(line.split(",", -1));
      }
    }
    MessageType schema = Types.buildMessage()
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("Unix Timestamp")
        .optional(PrimitiveTypeName.INT64)
            .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS)).named("Date")
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("date_text")
        .optional(PrimitiveTypeName.INT64).named("epoch_ms")
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("Symbol")
        .optional(PrimitiveTypeName.DOUBLE).named("Open")
        .optional(PrimitiveTypeName.DOUBLE).named("High")
        .optional(PrimitiveTypeName.DOUBLE).named("Low")
        .optional(PrimitiveTypeName.DOUBLE).named("Close")
        .optional(PrimitiveTypeName.DOUBLE).named("Volume")
        .named("gemini_btcusd_1min");
    write(Path.of("testdata/parquet/gemini_BTCUSD_1min_head3000.parquet"), schema, rows, false,
        CompressionCodecName.UNCOMPRESSED);
    write(Path.of("testdata/parquet/gemini_BTCUSD_1min_head10_with_nulls.parquet"), schema,
        rows.subList(0, 10), true, CompressionCodecName.SNAPPY);
  }

  /** withNulls: rows 3 and 7 (1-based) have no High; row 7 has no Close either. */
  static void write(Path out, MessageType schema, List<String[]> rows, boolean withNulls,
      CompressionCodecName codec) throws IOException {
    Files.deleteIfExists(out);
    SimpleGroupFactory f = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOut(out))
        .withType(schema).withConf(new Configuration())
        .withCompressionCodec(codec)
        .withWriteMode(ParquetFileWriter.Mode.CREATE).build()) {
      int n = 0;
      for (String[] c : rows) {
        n++;
        long ms = LocalDateTime.parse(c[1], DATE).toInstant(ZoneOffset.UTC).toEpochMilli();
        Group g = f.newGroup()
            .append("Unix Timestamp", c[0])
            .append("Date", ms)
            .append("date_text", c[1])
            .append("epoch_ms", ms)
            .append("Symbol", c[2])
            .append("Open", Double.parseDouble(c[3]));
        if (!(withNulls && (n == 3 || n == 7))) {
          g.append("High", Double.parseDouble(c[4]));
        }
        g.append("Low", Double.parseDouble(c[5]));
        if (!(withNulls && n == 7)) {
          g.append("Close", Double.parseDouble(c[6]));
        }
        g.append("Volume", Double.parseDouble(c[7]));
        w.write(g);
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
      java.io.OutputStream os = Files.newOutputStream(path);
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

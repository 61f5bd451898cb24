package dev.tslake.lake;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** Writes elements as RFC 4180 CSV with a header row (Commons CSV does the quoting). */
public final class CsvSink<T> implements FileIO.Sink<T> {
  private final String[] header;
  private final SerializableFunction<T, String[]> toRow;
  private transient CSVPrinter printer;

  public CsvSink(String[] header, SerializableFunction<T, String[]> toRow) {
    this.header = header;
    this.toRow = toRow;
  }

  @Override
  public void open(WritableByteChannel channel) throws IOException {
    BufferedWriter writer =
        new BufferedWriter(
            new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8),
            1 << 16);
    printer = new CSVPrinter(writer, CSVFormat.RFC4180.builder().setHeader(header).build());
  }

  @Override
  public void write(T element) throws IOException {
    printer.printRecord((Object[]) toRow.apply(element));
  }

  @Override
  public void flush() throws IOException {
    // FileIO closes the channel itself; closing the printer here would close it twice.
    printer.flush();
  }
}

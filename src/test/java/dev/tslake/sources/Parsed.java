package dev.tslake.sources;

import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** What a parser emitted for one payload, with small lookups for the tests of this package. */
final class Parsed implements ParseOutput {
  final List<RawRecord> records = new ArrayList<>();
  final List<SeriesInfo> series = new ArrayList<>();

  @Override
  public void record(RawRecord record) {
    records.add(record);
  }

  @Override
  public void series(SeriesInfo info) {
    series.add(info);
  }

  static SourceConfig source(String name, SourceType type) {
    SourceConfig s = new SourceConfig();
    s.name = name;
    s.type = type;
    return s;
  }

  /** Parses a file the way the pipeline does: UTF-8, streamed, origin = the path. */
  static Parsed file(SourceConfig source, Path path, String hint, String vintage)
      throws IOException {
    Parsed p = new Parsed();
    try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      PayloadParsers.forType(source.type)
          .parse(new PayloadContext(source, path.toString(), hint, vintage), r, p);
    }
    return p;
  }

  static Parsed text(SourceConfig source, String payload, String hint, String vintage)
      throws IOException {
    Parsed p = new Parsed();
    PayloadParsers.forType(source.type)
        .parse(
            new PayloadContext(source, "mem://payload", hint, vintage),
            new StringReader(payload),
            p);
    return p;
  }

  List<RawRecord> errors() {
    return where(r -> r.error != null);
  }

  List<RawRecord> where(Predicate<RawRecord> p) {
    return records.stream().filter(p).collect(Collectors.toList());
  }

  List<RawRecord> series(String seriesId) {
    return where(r -> seriesId.equals(r.seriesId));
  }

  /** The only record of this series at this ts; fails when there is not exactly one. */
  RawRecord at(String seriesId, String ts) {
    List<RawRecord> found = where(r -> seriesId.equals(r.seriesId) && ts.equals(r.ts));
    if (found.size() != 1) {
      throw new AssertionError(
          found.size() + " records for " + seriesId + " at " + ts + ": " + found);
    }
    return found.get(0);
  }

  /** The single record of an unparseable payload; fails otherwise. */
  RawRecord onlyError() {
    if (records.size() != 1 || records.get(0).error == null) {
      throw new AssertionError(
          "expected exactly one unparseable record, got "
              + records.size()
              + ": "
              + records.stream().limit(3).collect(Collectors.toList()));
    }
    return records.get(0);
  }
}

package dev.tslake.lake;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads raw records back from the lake ({@code
 * raw/source=<source>/ingest_date=<date>/run_id=<run>/*.csv}: every run's files, and the files of
 * lakes written before runs had folders, directly under the date) for the configured sources, so
 * the warehouse can be rebuilt without calling any source: the landing zone / loader split of the
 * systems tslake replaces, as one option of the same graph. The lake holds each record exactly as
 * parsed (strings, origin, locator), so a replay loads what the run that wrote it loaded.
 *
 * <p>Its output has the shape of a sources step's (raw records and series metadata, the latter
 * empty: the lake holds raw records only), under tags the caller supplies ({@link
 * #withOutputTags}), so it can stand in for the sources:
 *
 * <pre>{@code
 * PCollectionTuple read =
 *     p.apply(ReadRawLake.of(lakeRoot, config, null).withOutputTags(RAW, SERIES));
 * }</pre>
 */
public final class ReadRawLake extends PTransform<PBegin, PCollectionTuple> {
  private final String lakeRoot;
  private final PipelineConfig config;
  private final @Nullable String ingestDate;
  private final @Nullable TupleTag<RawRecord> rawTag;
  private final @Nullable TupleTag<SeriesInfo> seriesTag;

  private ReadRawLake(
      String lakeRoot,
      PipelineConfig config,
      @Nullable String ingestDate,
      @Nullable TupleTag<RawRecord> rawTag,
      @Nullable TupleTag<SeriesInfo> seriesTag) {
    this.lakeRoot = lakeRoot.endsWith("/") ? lakeRoot : lakeRoot + "/";
    this.config = config;
    this.ingestDate = ingestDate;
    this.rawTag = rawTag;
    this.seriesTag = seriesTag;
  }

  /** All ingest dates when {@code ingestDate} is null. Needs {@link #withOutputTags}. */
  public static ReadRawLake of(
      String lakeRoot, PipelineConfig config, @Nullable String ingestDate) {
    return new ReadRawLake(lakeRoot, config, ingestDate, null, null);
  }

  /** The tags of the output's raw records and (always empty) series metadata. */
  public ReadRawLake withOutputTags(TupleTag<RawRecord> raw, TupleTag<SeriesInfo> series) {
    if (raw == null || series == null) {
      throw new IllegalArgumentException("ReadRawLake needs both output tags");
    }
    return new ReadRawLake(lakeRoot, config, ingestDate, raw, series);
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    if (rawTag == null || seriesTag == null) {
      throw new IllegalStateException("ReadRawLake: set the output tags with withOutputTags");
    }
    List<String> patterns = new ArrayList<>();
    for (SourceConfig s : config.sources) {
      String partition =
          lakeRoot
              + LakePaths.RAW
              + "/source="
              + LakePaths.safeSegment(s.name)
              + "/ingest_date="
              + (ingestDate == null ? "*" : LakePaths.safeSegment(ingestDate))
              + "/";
      // every run's files, and those of lakes written before runs had folders of their own
      patterns.add(partition + LakePaths.RUN_PREFIX + "*/*.csv");
      patterns.add(partition + "*.csv");
    }
    PCollectionTuple out =
        begin
            .apply("RawLakePatterns", Create.of(patterns).withCoder(StringUtf8Coder.of()))
            .apply(
                "MatchRawFiles",
                FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
            .apply("OpenRawFiles", FileIO.readMatches())
            .apply(
                "ParseRawCsv",
                ParDo.of(new ParseRawCsvFn(rawTag))
                    .withOutputTags(rawTag, TupleTagList.of(seriesTag)));
    out.get(rawTag).setCoder(RawRecord.Coder.in(out.getPipeline()));
    out.get(seriesTag).setCoder(SeriesInfo.coder());
    return out;
  }

  static final class ParseRawCsvFn extends DoFn<FileIO.ReadableFile, RawRecord> {
    private final TupleTag<RawRecord> rawTag;

    ParseRawCsvFn(TupleTag<RawRecord> rawTag) {
      this.rawTag = rawTag;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out)
        throws IOException {
      String name = file.getMetadata().resourceId().toString();
      try (Reader reader =
              new BufferedReader(
                  new InputStreamReader(
                      Channels.newInputStream(file.open()), StandardCharsets.UTF_8),
                  1 << 16);
          CSVParser csv =
              CSVFormat.RFC4180
                  .builder()
                  .setHeader()
                  .setSkipHeaderRecord(true)
                  .build()
                  .parse(reader)) {
        List<String> header = csv.getHeaderNames();
        if (!header.equals(Arrays.asList(RawRecord.CSV_HEADER))) {
          throw new IOException(
              "lake file "
                  + name
                  + " is not a tslake raw file: header "
                  + header
                  + ", expected "
                  + Arrays.asList(RawRecord.CSV_HEADER));
        }
        for (CSVRecord r : csv) {
          out.get(rawTag).output(fromRow(r));
        }
      }
    }

    /** CSV cannot tell an empty field from a missing one; the lake writes null as empty. */
    static RawRecord fromRow(CSVRecord r) {
      return new RawRecord(
          r.get(0),
          r.get(1),
          r.get(2),
          nullIfEmpty(r.get(3)),
          nullIfEmpty(r.get(4)),
          nullIfEmpty(r.get(5)),
          nullIfEmpty(r.get(6)),
          nullIfEmpty(r.get(7)));
    }

    private static @Nullable String nullIfEmpty(String s) {
      return s == null || s.isEmpty() ? null : s;
    }
  }
}

package dev.tslake.transform;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.TimestampParser;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.Reject;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Parse + validate + clean: raw strings become an observation with a UTC timestamp, a numeric value
 * (null for a missing marker) and a vintage, or a {@link Reject} with the original record and the
 * specific reason. Nothing is dropped silently: every input leaves on one of the two outputs.
 */
public final class ValidateAndClean extends PTransform<PCollection<RawRecord>, PCollectionTuple> {
  public static final TupleTag<Observation> VALID = new TupleTag<Observation>() {};
  public static final TupleTag<Reject> REJECTED = new TupleTag<Reject>() {};

  /** Longest series id accepted; longer ones are almost always a mis-mapped column. */
  static final int MAX_SERIES_ID_LENGTH = 200;

  private final PipelineConfig config;

  private ValidateAndClean(PipelineConfig config) {
    this.config = config;
  }

  public static ValidateAndClean of(PipelineConfig config) {
    return new ValidateAndClean(config);
  }

  @Override
  public PCollectionTuple expand(PCollection<RawRecord> input) {
    PCollectionTuple out =
        input.apply(
            "ParseValidateClean",
            ParDo.of(new ValidateFn(config)).withOutputTags(VALID, TupleTagList.of(REJECTED)));
    out.get(VALID).setCoder(Observation.Coder.in(input.getPipeline()));
    out.get(REJECTED).setCoder(Reject.coder());
    return out;
  }

  static final class ValidateFn extends DoFn<RawRecord, Observation> {
    private final PipelineConfig config;
    private transient Map<String, TimestampParser> timestamps;
    private final Counter valid = Metrics.counter(ValidateAndClean.class, "valid");
    private final Counter rejected = Metrics.counter(ValidateAndClean.class, "rejected");
    private final Counter missing = Metrics.counter(ValidateAndClean.class, "missing_values");

    ValidateFn(PipelineConfig config) {
      this.config = config;
    }

    @Setup
    public void setup() {
      timestamps = new HashMap<>();
      for (SourceConfig s : config.sources) {
        timestamps.put(s.name, TimestampParser.of(s.timestampFormat, s.timeZone));
      }
    }

    // counted per bundle: a metrics update per element is a lookup of the metrics container
    private transient long validN;
    private transient long rejectedN;
    private transient long missingN;

    @StartBundle
    public void startBundle() {
      validN = 0;
      rejectedN = 0;
      missingN = 0;
    }

    @ProcessElement
    public void process(@Element RawRecord r, MultiOutputReceiver out) {
      Validated result = validate(r, timestamps.get(r.source));
      if (result.isValid()) {
        Observation o = result.observation();
        if (o.value == null) {
          missingN++;
        }
        validN++;
        out.get(VALID).output(o);
      } else {
        rejectedN++;
        out.get(REJECTED).output(result.reject());
      }
    }

    @FinishBundle
    public void finishBundle() {
      valid.inc(validN);
      rejected.inc(rejectedN);
      missing.inc(missingN);
    }
  }

  /** Strips spaces and tabs only: String.trim() would also strip control characters. */
  static String trimBlanks(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
      to--;
    }
    return s.substring(from, to);
  }

  /** An {@link Observation} or a {@link Reject}: the logic, without Beam. */
  public static Validated validate(RawRecord r, @Nullable TimestampParser timestamps) {
    if (r.error != null) {
      // a request that failed for good is located at "request"; a bad payload anywhere else
      return Validated.rejected(
          new Reject("request".equals(r.locator) ? "fetch" : "parse", r.error, r));
    }
    if (timestamps == null) {
      return invalid("record of unknown source '" + r.source + "'", r);
    }
    String series = r.seriesId == null ? "" : trimBlanks(r.seriesId);
    if (series.isEmpty()) {
      return invalid("missing series id", r);
    }
    if (series.length() > MAX_SERIES_ID_LENGTH) {
      return invalid(
          "series id is "
              + series.length()
              + " characters long, more"
              + " than "
              + MAX_SERIES_ID_LENGTH,
          r);
    }
    for (int i = 0; i < series.length(); i++) {
      if (Character.isISOControl(series.charAt(i))) {
        return invalid(
            "series id contains control character U+"
                + String.format("%04X", (int) series.charAt(i)),
            r);
      }
    }
    long ts;
    Double value;
    long vintage = Observation.UNKNOWN_VINTAGE;
    try {
      ts = timestamps.parse(r.ts);
      value = NumberParser.parse(r.value);
      if (r.vintage != null && !r.vintage.isBlank()) {
        try {
          vintage = TimestampParser.parseIsoInstant(r.vintage);
        } catch (IllegalArgumentException e) {
          return invalid("vintage '" + r.vintage + "' is not an ISO date or instant", r);
        }
      }
    } catch (IllegalArgumentException e) {
      return invalid(e.getMessage(), r);
    }
    return Validated.valid(
        new Observation(r.source, series, ts, value, vintage, r.origin, r.locator));
  }

  private static Validated invalid(String reason, RawRecord r) {
    return Validated.rejected(new Reject("validate", reason, r));
  }
}

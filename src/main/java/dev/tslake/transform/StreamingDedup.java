package dev.tslake.transform;

import dev.tslake.model.Observation;
import java.util.Objects;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Streaming counterpart of {@link DedupLatestVintage}: across polls, one observation per (source,
 * series_id, ts) goes on, the first one seen and then each newer vintage (or, of the same vintage,
 * another value); every other record (a re-polled identical point, an older vintage) is counted
 * {@link #SUPERSEDED}.
 *
 * <p>State is bounded: a stateful DoFn keyed by (source, series_id, ts) holds only the newest
 * observation seen for the key, and an event-time timer at {@code max(ts, element timestamp) +
 * allowedLateness} (of the record that filled the empty key) clears it once the watermark has
 * passed that point. Event time, not processing time: how long a point may still be revised is a
 * property of the data (a point is final some time after its timestamp), and the watermark makes
 * the expiry reproducible under {@code TestStream} and independent of how fast a backlog is
 * replayed. State thus holds the keys of at most {@code allowedLateness} of data, whatever the
 * number of polls.
 *
 * <p>A record arriving after its key expired is emitted again (nothing remembers it): the warehouse
 * then decides, as {@code observations}' upsert replaces a stored row only when the incoming
 * vintage is not older ({@code COALESCE(incoming.vintage, -inf) >= COALESCE(stored.vintage, -inf)})
 * and only when it changes the row, so an old vintage never overwrites a newer one and an identical
 * re-poll writes nothing.
 *
 * <p>Input may be in any windowing; it is re-windowed into the global window (the state is per key,
 * not per window). {@link #SUPERSEDED} holds one {@code 1L} per superseded record, with the
 * record's timestamp, so a per-pane sum counts them; counter {@code StreamingDedup/superseded} too.
 */
public final class StreamingDedup extends PTransform<PCollection<Observation>, PCollectionTuple> {
  public static final TupleTag<Observation> LATEST = new TupleTag<Observation>() {};
  public static final TupleTag<Long> SUPERSEDED = new TupleTag<Long>() {};

  /** Default lifetime of a key's state after its point's time. */
  public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.standardDays(2);

  private final Duration allowedLateness;

  private StreamingDedup(Duration allowedLateness) {
    this.allowedLateness = allowedLateness;
  }

  public static StreamingDedup create() {
    return new StreamingDedup(DEFAULT_ALLOWED_LATENESS);
  }

  /** How long after a point's time its newest vintage is remembered; must not be negative. */
  public StreamingDedup withAllowedLateness(Duration lateness) {
    if (lateness == null || lateness.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("allowed lateness must not be negative: " + lateness);
    }
    return new StreamingDedup(lateness);
  }

  @Override
  public PCollectionTuple expand(PCollection<Observation> input) {
    PCollectionTuple out =
        input
            .apply("GlobalWindow", Window.<Observation>into(new GlobalWindows()))
            .apply(
                "KeyByPoint",
                WithKeys.<String, Observation>of(Observation::key)
                    .withKeyType(TypeDescriptors.strings()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), Observation.Coder.of()))
            .apply(
                "KeepNewestVintage",
                ParDo.of(new NewestFn(allowedLateness))
                    .withOutputTags(LATEST, TupleTagList.of(SUPERSEDED)));
    out.get(LATEST).setCoder(Observation.Coder.of());
    out.get(SUPERSEDED).setCoder(VarLongCoder.of());
    return out;
  }

  /**
   * Whether {@code incoming} replaces {@code stored}: a newer vintage, or the same vintage with
   * another value (a corrected re-publication, which the warehouse's {@code >=} rule also takes).
   */
  static boolean replaces(Observation incoming, Observation stored) {
    if (incoming.vintage != stored.vintage) {
      return incoming.vintage > stored.vintage;
    }
    return !Objects.equals(incoming.value, stored.value);
  }

  static final class NewestFn extends DoFn<KV<String, Observation>, Observation> {
    private final Duration allowedLateness;
    private final Counter superseded = Metrics.counter(StreamingDedup.class, "superseded");
    private final Counter expired = Metrics.counter(StreamingDedup.class, "expired_keys");

    @StateId("newest")
    private final StateSpec<ValueState<Observation>> newestSpec =
        StateSpecs.value(Observation.Coder.of());

    @TimerId("expire")
    private final TimerSpec expireSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    NewestFn(Duration allowedLateness) {
      this.allowedLateness = allowedLateness;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Observation> element,
        @Timestamp Instant timestamp,
        @StateId("newest") ValueState<Observation> newest,
        @TimerId("expire") Timer expire,
        MultiOutputReceiver out) {
      Observation o = element.getValue();
      Observation stored = newest.read();
      if (stored != null && !replaces(o, stored)) {
        superseded.inc();
        out.get(SUPERSEDED).output(1L);
        return;
      }
      newest.write(o);
      out.get(LATEST).output(o);
      if (stored == null) {
        long base = Math.max(o.ts, timestamp.getMillis());
        long at =
            Math.min(
                base + allowedLateness.getMillis(),
                GlobalWindow.INSTANCE.maxTimestamp().getMillis());
        // the timer outputs nothing: it must not hold back the output watermark
        expire
            .withNoOutputTimestamp()
            .set(new Instant(Math.max(at, BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis())));
      }
    }

    @OnTimer("expire")
    public void onExpire(@StateId("newest") ValueState<Observation> newest) {
      expired.inc();
      newest.clear();
    }
  }
}

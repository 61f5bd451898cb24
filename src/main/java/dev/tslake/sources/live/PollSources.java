package dev.tslake.sources.live;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.model.FetchOutcome;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.sources.ReadSources;
import dev.tslake.sources.Ticks;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The unbounded counterpart of {@link FetchSources}, for streaming runs: every live source with a
 * {@code poll} interval is fetched again at that interval, producing the same {@link
 * ReadSources#RAW}, {@link ReadSources#SERIES} and {@link FetchSources#OUTCOMES} streams (one
 * outcome per request per poll) with the same fetch and parse code ({@link
 * FetchSources.FetchingFn}).
 *
 * <p>One {@link Ticks} source per polled source (the first tick at once, then one per {@code poll}
 * interval, no burst of missed ticks after an outage; ending {@code stopAfter} after its first tick
 * when set, so the run then finishes by itself) ticks a stateful step keyed by the source name. Its
 * state holds, per FRED series, the newest observation date of the last complete fetch (seeded from
 * {@code fetch_state} at launch, advanced only by a complete fetch): a poll asks FRED for
 * observations from the day after it, less the source's {@code lookback}. A failed fetch yields
 * rejected records and a failed outcome, leaves the state as it was, and the next poll asks again.
 * A series' metadata ({@code /fred/series}) is fetched until it succeeds once. Rate limits hold
 * across polls: each worker keeps one {@link RateLimiter} per source for the life of the JVM, not
 * one per poll; the polls of a source run one after the other (one key).
 */
public final class PollSources extends PTransform<PBegin, PCollectionTuple> {
  private final PipelineConfig config;
  private final ApiSettings api;
  private final Map<String, LocalDate> completeThrough;
  private final java.time.@Nullable Duration stopAfter;

  private PollSources(
      PipelineConfig config,
      ApiSettings api,
      Map<String, LocalDate> completeThrough,
      java.time.@Nullable Duration stopAfter) {
    this.config = config;
    this.api = api;
    this.completeThrough = new HashMap<>(completeThrough);
    this.stopAfter = stopAfter;
  }

  /**
   * @param completeThrough per "source\0series", as {@link RequestPlanner#plan}: the warehouse's
   *     {@code fetch_state} ({@code WarehouseQueries.fetchedThrough}); empty for a full refetch
   * @param stopAfter the polls of a source end this long after its first one; null: never
   */
  public static PollSources of(
      PipelineConfig config,
      ApiSettings api,
      Map<String, LocalDate> completeThrough,
      java.time.@Nullable Duration stopAfter) {
    return new PollSources(config, api, completeThrough, stopAfter);
  }

  /** The sources this transform polls: live ones with a {@code poll} interval. */
  public static List<SourceConfig> polled(PipelineConfig config) {
    List<SourceConfig> out = new ArrayList<>();
    for (SourceConfig s : config.sources) {
      if (s.isLive() && s.poll != null) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    PCollectionList<KV<String, Instant>> ticks = PCollectionList.empty(begin.getPipeline());
    for (SourceConfig s : polled(config)) {
      Ticks impulse =
          Ticks.every(org.joda.time.Duration.millis(s.pollInterval().toMillis()))
              .stoppingAfter(
                  stopAfter == null ? null : org.joda.time.Duration.millis(stopAfter.toMillis()));
      String name = s.name;
      ticks =
          ticks.and(
              begin
                  .apply("Poll-" + name, impulse.read())
                  .apply(
                      "Key-" + name,
                      MapElements.into(
                              TypeDescriptors.kvs(
                                  TypeDescriptors.strings(), TypeDescriptor.of(Instant.class)))
                          .via((Instant t) -> KV.of(name, t)))
                  .setCoder(KvCoder.of(StringUtf8Coder.of(), InstantCoder.of())));
    }
    PCollection<KV<String, Instant>> all =
        ticks.size() == 0
            ? begin.apply(
                "NoPolledSources",
                Create.empty(KvCoder.of(StringUtf8Coder.of(), InstantCoder.of())))
            : ticks.apply("AllPolls", Flatten.pCollections());
    PCollectionTuple out =
        all.apply(
            "FetchPoll",
            ParDo.of(new PollFn(config, api, completeThrough))
                .withOutputTags(
                    ReadSources.RAW,
                    TupleTagList.of(ReadSources.SERIES).and(FetchSources.OUTCOMES)));
    out.get(ReadSources.RAW).setCoder(RawRecord.Coder.of());
    out.get(ReadSources.SERIES).setCoder(SeriesInfo.coder());
    out.get(FetchSources.OUTCOMES).setCoder(FetchOutcome.coder());
    return out;
  }

  /**
   * Limiters of this JVM, by source name and limits: they outlive bundles and DoFn instances, so a
   * source's rate holds across polls.
   */
  private static final Map<String, RateLimiter> LIMITERS = new ConcurrentHashMap<>();

  static RateLimiter limiter(SourceConfig source) {
    double rate = FetchSources.rate(source);
    int concurrency = FetchSources.concurrency(source);
    return LIMITERS.computeIfAbsent(
        source.name + '\u0000' + rate + '\u0000' + concurrency,
        k -> new RateLimiter(rate, concurrency));
  }

  /** One poll of one source: plan what is new, fetch, parse, advance the state. */
  static final class PollFn extends FetchSources.FetchingFn<KV<String, Instant>> {
    private final Map<String, LocalDate> seed;

    @StateId("through")
    private final StateSpec<ValueState<Map<String, String>>> throughSpec =
        StateSpecs.value(MapCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));

    @StateId("described")
    private final StateSpec<ValueState<List<String>>> describedSpec =
        StateSpecs.value(ListCoder.of(StringUtf8Coder.of()));

    PollFn(PipelineConfig config, ApiSettings api, Map<String, LocalDate> seed) {
      super(config, api);
      this.seed = seed;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Instant> tick,
        @StateId("through") ValueState<Map<String, String>> throughState,
        @StateId("described") ValueState<List<String>> describedState,
        MultiOutputReceiver out)
        throws Exception {
      SourceConfig source = config.source(tick.getKey());
      // per series: newest date of the last complete fetch, from this run's polls or fetch_state
      Map<String, String> through = throughState.read();
      boolean polledBefore = through != null;
      if (through == null) {
        through = new LinkedHashMap<>();
        for (String id : source.series) {
          LocalDate d = seed.get(source.name + '\u0000' + id);
          if (d != null) {
            through.put(id, d.toString());
          }
        }
      }
      List<String> described = describedState.read();
      described = described == null ? new ArrayList<>() : new ArrayList<>(described);
      List<ApiRequest> requests = plan(source, through, polledBefore, described);
      List<FetchOutcome> outcomes =
          fetchAll(source, requests, limiter(source), FetchSources.concurrency(source), out);
      Map<String, String> next = new LinkedHashMap<>(through);
      for (int i = 0; i < requests.size(); i++) {
        ApiRequest r = requests.get(i);
        FetchOutcome o = outcomes.get(i);
        if (!o.complete || r.seriesIdHint == null) {
          continue; // a failed fetch changes nothing: the next poll asks again
        }
        if (r.kind == ApiRequest.Kind.FRED_SERIES) {
          described.add(r.seriesIdHint);
        } else if (r.kind == ApiRequest.Kind.FRED_OBSERVATIONS && o.completeThrough != null) {
          next.merge(r.seriesIdHint, o.completeThrough, (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
      }
      throughState.write(next);
      describedState.write(described);
    }

    /**
     * This poll's requests: FRED observations after {@code through} (less lookback), a series'
     * metadata until it was fetched once. The first poll plans exactly as a batch run; later polls
     * of a series this run already fetched completely ignore {@code observationStart} (it bounds
     * the first fetch only).
     */
    private List<ApiRequest> plan(
        SourceConfig source,
        Map<String, String> through,
        boolean polledBefore,
        List<String> described) {
      Map<String, LocalDate> ct = new HashMap<>();
      through.forEach((id, d) -> ct.put(source.name + '\u0000' + id, LocalDate.parse(d)));
      List<ApiRequest> first = RequestPlanner.plan(source, api, ct, false);
      List<ApiRequest> later = first;
      if (polledBefore && source.observationStart != null) {
        SourceConfig incremental = SerializableUtils.clone(source);
        incremental.observationStart = null;
        later = RequestPlanner.plan(incremental, api, ct, false);
      }
      List<ApiRequest> out = new ArrayList<>();
      for (int i = 0; i < first.size(); i++) {
        ApiRequest r = first.get(i);
        if (r.kind == ApiRequest.Kind.FRED_SERIES && described.contains(r.seriesIdHint)) {
          continue;
        }
        boolean incremental =
            r.kind == ApiRequest.Kind.FRED_OBSERVATIONS && through.containsKey(r.seriesIdHint);
        out.add(incremental ? later.get(i) : r);
      }
      return out;
    }
  }
}

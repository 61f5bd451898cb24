package dev.tslake.sources.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.config.PipelineConfig;
import dev.tslake.config.SourceConfig;
import dev.tslake.config.SourceType;
import dev.tslake.model.FetchOutcome;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.sources.ParseOutput;
import dev.tslake.sources.PayloadContext;
import dev.tslake.sources.PayloadParsers;
import dev.tslake.sources.ReadSources;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live sources box: fetches every planned request over HTTP and parses the answers with the
 * same payload parsers that read recorded files, producing the same raw records (origin = the
 * request URL, secrets removed).
 *
 * <p>Rate limits hold for the whole run: all requests of a source are one group, fetched by one
 * worker through one {@link RateLimiter} (at most {@code maxRequestsPerSecond} starts per second
 * and {@code maxConcurrentRequests} in flight). Different sources fetch in parallel on different
 * workers. A request that fails for good becomes a rejected record with the URL (secrets removed),
 * status and reason, and the run goes on; with {@code --failOnSourceError} it fails the run
 * instead.
 */
public final class FetchSources extends PTransform<PBegin, PCollectionTuple> {
  private static final Logger LOG = LoggerFactory.getLogger(FetchSources.class);
  public static final String METRICS = "tslake.http";

  /** How each planned request ended: complete (how far) or failed for good (URL and reason). */
  public static final TupleTag<FetchOutcome> OUTCOMES = new TupleTag<FetchOutcome>() {};

  private final PipelineConfig config;
  private final ApiSettings api;
  private final List<ApiRequest> requests;

  private FetchSources(PipelineConfig config, ApiSettings api, List<ApiRequest> requests) {
    this.config = config;
    this.api = api;
    this.requests = requests;
  }

  public static FetchSources of(PipelineConfig config, ApiSettings api, List<ApiRequest> requests) {
    return new FetchSources(config, api, requests);
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    PCollectionTuple out =
        begin
            .apply(
                "PlannedRequests",
                Create.of(requests).withCoder(SerializableCoder.of(ApiRequest.class)))
            .apply(
                "BySource",
                WithKeys.of((ApiRequest r) -> r.source).withKeyType(TypeDescriptors.strings()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(ApiRequest.class)))
            .apply("OneFetcherPerSource", GroupByKey.create())
            .apply(
                "Fetch",
                ParDo.of(new FetchFn(config, api))
                    .withOutputTags(
                        ReadSources.RAW, TupleTagList.of(ReadSources.SERIES).and(OUTCOMES)));
    out.get(ReadSources.RAW).setCoder(RawRecord.Coder.in(out.getPipeline()));
    out.get(ReadSources.SERIES).setCoder(SeriesInfo.coder());
    out.get(OUTCOMES).setCoder(FetchOutcome.coder());
    return out;
  }

  /** Default limits follow each API's published terms. */
  static double defaultRate(SourceType type) {
    switch (type) {
      case FRED:
        return 2.0; // 120 requests per minute
      case ALPHAVANTAGE:
        return 5.0 / 60; // free tier: 5 per minute
      case EDGAR:
        return 10.0; // SEC fair access: 10 per second
      case CENSUS:
        return 5.0;
      default:
        return 1.0;
    }
  }

  static int defaultConcurrency(SourceType type) {
    switch (type) {
      case FRED:
      case EDGAR:
      case CENSUS:
        return 2;
      default:
        return 1;
    }
  }

  /** Requests per second for a source: its {@code maxRequestsPerSecond} or the type's default. */
  static double rate(SourceConfig source) {
    return source.maxRequestsPerSecond != null
        ? source.maxRequestsPerSecond
        : defaultRate(source.type);
  }

  /** Requests in flight for a source: its {@code maxConcurrentRequests} or the type's default. */
  static int concurrency(SourceConfig source) {
    return source.maxConcurrentRequests != null
        ? source.maxConcurrentRequests
        : defaultConcurrency(source.type);
  }

  /** The batch fetch: all of a source's planned requests, through one limiter for the run. */
  static final class FetchFn extends FetchingFn<KV<String, Iterable<ApiRequest>>> {
    FetchFn(PipelineConfig config, ApiSettings api) {
      super(config, api);
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<ApiRequest>> group, MultiOutputReceiver out)
        throws Exception {
      SourceConfig source = config.source(group.getKey());
      fetchAll(
          source,
          group.getValue(),
          new RateLimiter(rate(source), concurrency(source)),
          concurrency(source),
          out);
    }
  }

  /**
   * What the batch fetch ({@link FetchFn}) and the polls ({@link PollSources}) share: the HTTP
   * client, the secrets, the counters, and fetching and parsing a source's requests into {@link
   * ReadSources#RAW}, {@link ReadSources#SERIES} and {@link #OUTCOMES}.
   */
  abstract static class FetchingFn<InT> extends DoFn<InT, RawRecord> {
    final PipelineConfig config;
    final ApiSettings api;
    private final Counter requestCount = Metrics.counter(METRICS, "requests");
    private final Counter retryCount = Metrics.counter(METRICS, "retries");
    private final Counter failureCount = Metrics.counter(METRICS, "failures");
    private final Distribution latency = Metrics.distribution(METRICS, "latency_ms");
    private transient HttpClient client;
    private transient Secrets secrets;

    FetchingFn(PipelineConfig config, ApiSettings api) {
      this.config = config;
      this.api = api;
    }

    @Setup
    public void setup() {
      client = HttpFetcher.newClient(api);
      secrets = api.secrets();
    }

    /**
     * Fetches {@code requests} of {@code source} through {@code limiter} with up to {@code
     * concurrency} in flight, emitting each request's records, series and outcome in request order;
     * returns the outcomes, one per request, in that order.
     */
    List<FetchOutcome> fetchAll(
        SourceConfig source,
        Iterable<ApiRequest> requests,
        RateLimiter limiter,
        int concurrency,
        MultiOutputReceiver out)
        throws Exception {
      List<FetchOutcome> outcomes = new ArrayList<>();
      HttpFetcher fetcher = new HttpFetcher(client, api);
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      try {
        List<Future<Fetched>> pending = new ArrayList<>();
        for (ApiRequest r : requests) {
          pending.add(pool.submit(() -> fetch(source, r, fetcher, limiter)));
        }
        // Beam receivers are not thread-safe: results are emitted from this thread, in order.
        for (Future<Fetched> f : pending) {
          Fetched fetched;
          try {
            fetched = f.get();
          } catch (ExecutionException e) {
            throw new IllegalStateException(
                "source '" + source.name + "': " + secrets.redact(String.valueOf(e.getCause())),
                null);
          }
          if (fetched.failure != null && api.failOnSourceError) {
            throw new IllegalStateException(
                "source '"
                    + source.name
                    + "' failed and"
                    + " --failOnSourceError is set: "
                    + fetched.failure);
          }
          fetched.records.forEach(out.get(ReadSources.RAW)::output);
          fetched.series.forEach(out.get(ReadSources.SERIES)::output);
          out.get(OUTCOMES).output(fetched.outcome);
          outcomes.add(fetched.outcome);
        }
      } finally {
        pool.shutdownNow();
        fetcher.flushMetrics(requestCount, retryCount, failureCount, latency);
      }
      return outcomes;
    }

    /** Everything one request (and, for FRED, its further pages) produced. */
    static final class Fetched implements ParseOutput {
      final List<RawRecord> records = new ArrayList<>();
      final List<SeriesInfo> series = new ArrayList<>();
      String failure;
      FetchOutcome outcome;

      @Override
      public void record(RawRecord record) {
        records.add(record);
      }

      @Override
      public void series(SeriesInfo info) {
        series.add(info);
      }
    }

    private Fetched fetch(
        SourceConfig source, ApiRequest r, HttpFetcher fetcher, RateLimiter limiter)
        throws InterruptedException, IOException {
      Fetched out = new Fetched();
      Map<String, String> headers = new HashMap<>();
      if (r.kind == ApiRequest.Kind.EDGAR) {
        headers.put("User-Agent", api.edgarUserAgent);
      } else {
        headers.put("User-Agent", "tslake (https://github.com/tslake)");
      }
      Predicate<String> throttled =
          r.kind == ApiRequest.Kind.ALPHAVANTAGE
              ? FetchSources::isAlphaVantageThrottle
              : body -> false;
      String shown = secrets.redact(r.url);
      if (r.kind != ApiRequest.Kind.FRED_OBSERVATIONS) {
        fetchOne(source, r, r.url, fetcher, limiter, headers, throttled, out);
        out.outcome =
            out.failure == null
                ? FetchOutcome.complete(source.name, null, shown, null)
                : FetchOutcome.failed(source.name, null, shown, out.failure);
        return out;
      }
      // FRED pages with limit/offset until `count` observations have been read. The offset
      // advances by what the page held (the server may cap pages below our limit); a page that
      // fails for good ends the series as incomplete: nothing after it is guessed at.
      long offset = 0;
      String newest = null;
      while (true) {
        String page = r.url + "&limit=" + RequestPlanner.FRED_PAGE_LIMIT + "&offset=" + offset;
        JsonNode head = fetchOne(source, r, page, fetcher, limiter, headers, throttled, out);
        if (out.failure != null || head == null) {
          String why = out.failure != null ? out.failure : "unreadable page " + shownPage(page);
          out.outcome = FetchOutcome.failed(source.name, r.seriesIdHint, shown, why);
          return out;
        }
        JsonNode observations = head.path("observations");
        int got = observations.size();
        for (JsonNode o : observations) {
          String date = o.path("date").asText("");
          if (date.matches("\\d{4}-\\d{2}-\\d{2}")
              && (newest == null || date.compareTo(newest) > 0)) {
            newest = date;
          }
        }
        long count = head.path("count").asLong(-1);
        offset += got;
        if (count >= 0 && got == 0 && offset < count) {
          String why =
              "FRED announced "
                  + count
                  + " observations but the page at offset "
                  + offset
                  + " held none: "
                  + shownPage(page);
          out.failure = why;
          out.outcome = FetchOutcome.failed(source.name, r.seriesIdHint, shown, why);
          return out;
        }
        if (count < 0 || got == 0 || offset >= count) {
          out.outcome = FetchOutcome.complete(source.name, r.seriesIdHint, shown, newest);
          return out;
        }
      }
    }

    private String shownPage(String page) {
      return secrets.redact(page);
    }

    /** Fetches and parses one URL; returns the parsed JSON head when the body was JSON. */
    private JsonNode fetchOne(
        SourceConfig source,
        ApiRequest r,
        String url,
        HttpFetcher fetcher,
        RateLimiter limiter,
        Map<String, String> headers,
        Predicate<String> throttled,
        Fetched out)
        throws InterruptedException, IOException {
      String shown = secrets.redact(url);
      HttpFetcher.Result result =
          fetcher.get(withKey(r.kind, url), headers, limiter, throttled, HttpFetcher::notJson);
      if (!result.ok()) {
        String reason = secrets.redact(result.failure);
        out.failure = reason;
        LOG.warn("source '{}': {}", source.name, reason);
        out.record(
            RawRecord.unparseable(
                source.name,
                shown,
                "request",
                r.seriesIdHint,
                "request failed: " + reason,
                secrets.redact(RawRecord.excerpt(result.body))));
        return null;
      }
      PayloadContext ctx = new PayloadContext(source, shown, r.seriesIdHint, null);
      PayloadParsers.forType(source.type).parse(ctx, new StringReader(result.body), out);
      if (r.kind == ApiRequest.Kind.FRED_OBSERVATIONS) {
        try {
          return MAPPER.readTree(result.body);
        } catch (IOException e) {
          return null; // the parser has already turned it into a rejected record
        }
      }
      return null;
    }

    private URI withKey(ApiRequest.Kind kind, String url) {
      String key;
      String param;
      switch (kind) {
        case FRED_OBSERVATIONS:
        case FRED_SERIES:
          key = api.fredApiKey();
          param = "api_key";
          break;
        case ALPHAVANTAGE:
          key = api.alphaVantageApiKey();
          param = "apikey";
          break;
        case CENSUS:
          key = api.censusApiKey();
          param = "key";
          break;
        default:
          key = null;
          param = null;
      }
      String full =
          key == null
              ? url
              : url
                  + (url.contains("?") ? "&" : "?")
                  + param
                  + "="
                  + java.net.URLEncoder.encode(key, java.nio.charset.StandardCharsets.UTF_8);
      return URI.create(full);
    }
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Alpha Vantage answers "slow down" with HTTP 200 and a Note/Information body, no data. */
  static boolean isAlphaVantageThrottle(String body) {
    if (body == null || body.length() > 4096) {
      return false;
    }
    try {
      JsonNode n = MAPPER.readTree(body);
      return n != null
          && n.isObject()
          && (n.has("Note") || n.has("Information"))
          && !n.has("Meta Data");
    } catch (IOException e) {
      return false;
    }
  }
}

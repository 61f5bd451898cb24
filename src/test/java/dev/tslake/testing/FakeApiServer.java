package dev.tslake.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A local HTTP server that plays the public APIs tslake fetches from (FRED, Alpha Vantage, Census,
 * SEC EDGAR, CoinDesk) on their real paths, from recorded responses, with scriptable faults and a
 * server-side request log.
 *
 * <pre>{@code
 * try (FakeApiServer server = FakeApiServer.start()) {
 *   server.fredObservations("DGS2", Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json"), 5000);
 *   server.fail("/fred/", Fault.status(429).retryAfterSeconds(1), Fault.status(503));
 *   runClientAgainst(server.baseUrl());
 *   assertEquals(3, server.count("/fred/series/observations"));
 *   assertTrue(server.maxConcurrent() <= 2);
 * }
 * }</pre>
 *
 * <p>Routes match on the exact path plus an optional query predicate, first registered first; an
 * unmatched request gets 404 (or FRED's "series does not exist" 400 under {@code /fred/}). Faults
 * are matched on a path prefix (plus optional query predicate), consumed in order, then requests
 * are served normally. Query maps hold URL-decoded values, the first one for a repeated key.
 */
public final class FakeApiServer implements AutoCloseable {

  /** FRED's answer when {@code api_key} is missing. */
  public static final String FRED_MISSING_API_KEY =
      "{\"error_code\":400,\"error_message\":\"Bad Request.  Variable api_key is not set. Read"
          + " https://fred.stlouisfed.org/docs/api/api_key.html for more information.\"}";

  /** FRED's answer for an unknown series id. */
  public static final String FRED_SERIES_DOES_NOT_EXIST =
      "{\"error_code\":400,\"error_message\":\"Bad Request.  The series does not exist.\"}";

  /** Alpha Vantage's answer (HTTP 200) when {@code apikey} is missing. */
  public static final String ALPHA_VANTAGE_MISSING_API_KEY =
      "{\n    \"Error Message\": \"the parameter apikey is invalid or missing. Please claim your"
          + " free API key on (https://www.alphavantage.co/support/#api-key). It should take less"
          + " than 20 seconds.\"\n}";

  /** SEC's 403 page for requests without a declared User-Agent. */
  public static final String SEC_UNDECLARED_TOOL_HTML =
      "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\""
          + " \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
          + "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
          + "<head>\n<title>SEC.gov | Your Request Originates from an Undeclared Automated"
          + " Tool</title>\n</head>\n<body>\n"
          + "<h1>Your Request Originates from an Undeclared Automated Tool</h1>\n"
          + "<p>To allow for equitable access to all users, SEC reserves the right to limit"
          + " requests originating from undeclared automated tools. Your request has been"
          + " identified as part of a network of automated tools outside of the acceptable policy"
          + " and will be managed until action is taken to declare your traffic.</p>\n"
          + "<p>Please declare your traffic by updating your user agent to include company"
          + " specific information.</p>\n"
          + "<p>For best practices on efficiently downloading information from SEC.gov, including"
          + " the latest EDGAR filings, visit sec.gov/developer.</p>\n"
          + "<p>Reference ID: 0.fake.0</p>\n</body>\n</html>\n";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int THREADS = 16;

  private final HttpServer http;
  private final ExecutorService executor;
  private final CountDownLatch closing = new CountDownLatch(1);
  private final List<Route> routes = new CopyOnWriteArrayList<>();
  private final List<FaultScript> faultScripts = new ArrayList<>(); // guarded by itself
  private final List<Entry> log = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();

  private FakeApiServer(HttpServer http, ExecutorService executor) {
    this.http = http;
    this.executor = executor;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * The config of the continuous e2e runs: FRED series {@code GROW} polled every second ("fred",
   * monthly windows; serve it with {@link #growingFredSeries}), the CoinDesk price polled every
   * second ("btc", minute and hour windows; {@link #movingCoinDesk}), and CSV files dropped into
   * {@code watched} ("drops": {@code ts,series,value} with {@code yyyy-MM-dd HH:mm:ss} UTC times,
   * the folder listed every second) with {@code dropWindows}.
   */
  public static String continuousConfig(Path watched, String... dropWindows) {
    return "{\"sources\":["
        + "{\"name\":\"fred\",\"type\":\"fred\",\"series\":[\"GROW\"],\"poll\":\"PT1S\","
        + "\"windows\":[\"P1M\"]},"
        + "{\"name\":\"btc\",\"type\":\"coindesk\",\"poll\":\"PT1S\","
        + "\"windows\":[\"PT1M\",\"PT1H\"]},"
        + "{\"name\":\"drops\",\"type\":\"csv\",\"files\":[\""
        + watched.toString().replace("\\", "/")
        + "/*.csv\"],\"watch\":\"PT1S\",\"timestampColumn\":\"ts\","
        + "\"timestampFormat\":\"yyyy-MM-dd HH:mm:ss\",\"timeZone\":\"UTC\","
        + "\"seriesColumn\":\"series\",\"valueColumns\":[\"value\"],"
        + "\"windows\":[\""
        + String.join("\",\"", dropWindows)
        + "\"]}]}";
  }

  /** Starts a server on 127.0.0.1 and an ephemeral port, with 16 handler threads. */
  public static FakeApiServer start() {
    try {
      HttpServer http =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      AtomicInteger n = new AtomicInteger();
      ExecutorService executor =
          Executors.newFixedThreadPool(
              THREADS,
              r -> {
                Thread t = new Thread(r, "fake-api-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      FakeApiServer server = new FakeApiServer(http, executor);
      http.setExecutor(executor);
      http.createContext("/", server::handle);
      http.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Base URL without trailing slash, e.g. {@code http://127.0.0.1:54321}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + http.getAddress().getPort();
  }

  /** Stops the server at once, releasing stalled handlers; idempotent. */
  @Override
  public synchronized void close() {
    if (closing.getCount() == 0) {
      return;
    }
    closing.countDown();
    http.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- routes

  /** Serves requests to exactly {@code path} (any query) with {@code handler}. */
  public FakeApiServer route(String path, Handler handler) {
    return route(path, q -> true, handler);
  }

  /** Serves requests to exactly {@code path} whose query matches {@code whenQuery}. */
  public FakeApiServer route(
      String path, Predicate<Map<String, String>> whenQuery, Handler handler) {
    routes.add(new Route(path, whenQuery, handler));
    return this;
  }

  /** Answers 200 application/json {@code body} on {@code path} for a matching query. */
  public FakeApiServer json(String path, Predicate<Map<String, String>> whenQuery, String body) {
    return route(path, whenQuery, r -> Response.json(200, body));
  }

  /** Answers 200 application/json with the file's bytes on {@code path} for a matching query. */
  public FakeApiServer jsonFile(String path, Predicate<Map<String, String>> whenQuery, Path file) {
    byte[] body = read(file);
    return route(path, whenQuery, r -> new Response(200, "application/json", body, Map.of()));
  }

  /** Answers 200 with the file's bytes (content type from the extension) for a matching query. */
  public FakeApiServer fileRoute(String path, Predicate<Map<String, String>> whenQuery, Path file) {
    byte[] body = read(file);
    String type = contentTypeOf(file);
    return route(path, whenQuery, r -> new Response(200, type, body, Map.of()));
  }

  /**
   * Serves {@code GET /fred/series/observations?series_id=X&file_type=json&api_key=K
   * [&limit=L][&offset=O][&observation_start=D][&observation_end=D][&sort_order=asc|desc]} from a
   * recorded FRED response, paging like the real API; limits above {@code pageSize} are capped.
   */
  public FakeApiServer fredObservations(String seriesId, Path recordedResponse, int pageSize) {
    return fredObservations(seriesId, q -> true, recordedResponse, pageSize);
  }

  /**
   * As {@link #fredObservations(String, Path, int)}, only for requests whose query also matches
   * {@code whenQuery} (e.g. ALFRED's {@code realtime_start}/{@code realtime_end}).
   */
  public FakeApiServer fredObservations(
      String seriesId,
      Predicate<Map<String, String>> whenQuery,
      Path recordedResponse,
      int pageSize) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("pageSize must be >= 1");
    }
    ObjectNode recorded = (ObjectNode) readJson(recordedResponse);
    List<JsonNode> all = new ArrayList<>();
    recorded.withArray("observations").forEach(all::add);
    all.sort(Comparator.comparing(o -> o.path("date").asText()));
    return route(
        "/fred/series/observations",
        q -> seriesId.equals(q.get("series_id")) && whenQuery.test(q),
        r -> fredPage(recorded, all, pageSize, r.query()));
  }

  /** Serves {@code GET /fred/series?series_id=X&api_key=K} from recorded series metadata. */
  public FakeApiServer fredSeries(String seriesId, Path recordedMetadata) {
    byte[] body = read(recordedMetadata);
    return route(
        "/fred/series",
        q -> seriesId.equals(q.get("series_id")),
        r -> fredPreconditions(r.query(), new Response(200, "application/json", body, Map.of())));
  }

  /**
   * Serves {@code GET /query?function=F&symbol=S&apikey=K[&outputsize=...]} from a file; a missing
   * apikey gets Alpha Vantage's 200 error JSON.
   */
  public FakeApiServer alphaVantage(String function, String symbol, Path file) {
    byte[] body = read(file);
    return route(
        "/query",
        q -> function.equals(q.get("function")) && symbol.equals(q.get("symbol")),
        r ->
            blank(r.query().get("apikey"))
                ? Response.json(200, ALPHA_VANTAGE_MISSING_API_KEY)
                : new Response(200, "application/json", body, Map.of()));
  }

  /**
   * Serves {@code GET /data/<dataset>?get=...&for=...} (matching {@code whenQuery}) from a file.
   */
  public FakeApiServer census(String dataset, Predicate<Map<String, String>> whenQuery, Path file) {
    return fileRoute(
        "/data/" + dataset,
        q -> q.containsKey("get") && q.containsKey("for") && whenQuery.test(q),
        file);
  }

  /**
   * Serves an EDGAR path (e.g. {@code /api/xbrl/companyfacts/CIK0000320193.json}) from a file;
   * without a User-Agent containing an e-mail ({@code @}) answers the SEC's 403 HTML page.
   */
  public FakeApiServer edgar(String path, Path file) {
    byte[] body = read(file);
    return route(
        path,
        r -> {
          String ua = r.header("User-Agent");
          return ua == null || !ua.contains("@")
              ? Response.of(403, "text/html", SEC_UNDECLARED_TOOL_HTML)
              : new Response(200, "application/json", body, Map.of());
        });
  }

  /** Serves {@code GET /v1/bpi/currentprice.json} from a recorded CoinDesk file. */
  public FakeApiServer coinDesk(Path file) {
    return jsonFile("/v1/bpi/currentprice.json", q -> true, file);
  }

  // ---------------------------------------------------------------- moving data (polls)

  /**
   * A CoinDesk {@code currentprice} endpoint that moves like the real one (the price changes every
   * second), deterministically: the n-th request (from 0) answers {@code updatedISO} = {@code
   * start} plus n seconds and a USD rate of 100 + n. The handle lists what was served.
   */
  public Moving movingCoinDesk(java.time.Instant start) {
    Moving m = new Moving();
    route(
        "/v1/bpi/currentprice.json",
        r -> {
          int n = m.requests.getAndIncrement();
          String updated = start.plusSeconds(n).toString();
          m.record(List.of(updated));
          return Response.json(
              200,
              "{\"time\":{\"updatedISO\":\""
                  + updated
                  + "\"},\"bpi\":{\"USD\":{\"code\":\"USD\",\"rate_float\":"
                  + (100 + n)
                  + "}}}");
        });
    return m;
  }

  /**
   * A FRED series that gains observations as it is asked: the k-th observations request (from 0)
   * sees {@code initial + k / everyRequests} daily observations from {@code first} (value = the
   * index), filtered by {@code observation_start} and paged like {@link #fredObservations}. Also
   * serves its {@code /fred/series} metadata. The handle lists, per observations request, the
   * {@code observation_start} asked (or null) and the dates served.
   */
  public Moving growingFredSeries(
      String seriesId, java.time.LocalDate first, int initial, int everyRequests) {
    Moving m = new Moving();
    route(
        "/fred/series",
        q -> seriesId.equals(q.get("series_id")),
        r ->
            fredPreconditions(
                r.query(),
                Response.json(
                    200,
                    "{\"seriess\":[{\"id\":\""
                        + seriesId
                        + "\",\"title\":\"Growing "
                        + seriesId
                        + "\",\"frequency\":\"Daily\",\"frequency_short\":\"D\","
                        + "\"units\":\"Index\",\"units_short\":\"Index\"}]}")));
    route(
        "/fred/series/observations",
        q -> seriesId.equals(q.get("series_id")),
        r -> {
          if (blank(r.query().get("api_key"))) {
            return Response.json(400, FRED_MISSING_API_KEY);
          }
          int k = m.requests.getAndIncrement();
          int n = initial + k / everyRequests;
          ObjectNode recorded = MAPPER.createObjectNode();
          List<JsonNode> all = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            ObjectNode o = MAPPER.createObjectNode();
            o.put("realtime_start", "2026-01-01");
            o.put("realtime_end", "9999-12-31");
            o.put("date", first.plusDays(i).toString());
            o.put("value", Integer.toString(i));
            all.add(o);
          }
          Response page = fredPage(recorded, all, 100_000, r.query());
          List<String> dates = new ArrayList<>();
          String from = r.query().get("observation_start");
          m.ask(from == null ? "" : from);
          for (JsonNode o : MAPPER.readTree(page.body()).path("observations")) {
            dates.add(o.path("date").asText());
          }
          m.record(dates);
          return page;
        });
    return m;
  }

  /** What a moving endpoint served: per request, its items (snapshot times or dates). */
  public static final class Moving {
    private final AtomicInteger requests = new AtomicInteger();
    private final List<List<String>> served = new CopyOnWriteArrayList<>();
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final List<java.time.Instant> servedAt = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong servedItems =
        new java.util.concurrent.atomic.AtomicLong();
    private final java.util.Set<String> distinct =
        java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean summaryOnly;

    /**
     * From now on, keeps only the number of items served and the distinct items, not each request's
     * list (for long runs: a soak test must not measure the fake's own record of what it served).
     */
    public Moving summaryOnly() {
      summaryOnly = true;
      return this;
    }

    private synchronized void record(List<String> items) {
      servedItems.addAndGet(items.size());
      distinct.addAll(items);
      if (!summaryOnly) {
        servedAt.add(java.time.Instant.now());
        served.add(items);
      }
    }

    private void ask(String from) {
      if (!summaryOnly) {
        asked.add(from);
      }
    }

    /** How many items (snapshot times or dates) all requests served, repeats included. */
    public long servedItems() {
      return servedItems.get();
    }

    /** The distinct items served. */
    public java.util.Set<String> distinctServed() {
      return java.util.Set.copyOf(distinct);
    }

    /** How many requests were answered. */
    public int requestCount() {
      return requests.get();
    }

    /** Per request in arrival order, what it served. */
    public List<List<String>> served() {
      return List.copyOf(served);
    }

    /** Per request in arrival order, when it was answered (wall clock; same order as served). */
    public List<java.time.Instant> servedAt() {
      return List.copyOf(servedAt);
    }

    /** FRED: per observations request, the {@code observation_start} asked ("" when none). */
    public List<String> asked() {
      return List.copyOf(asked);
    }
  }

  // ---------------------------------------------------------------- faults

  /** Injects {@code faults}, in order, into the next requests whose path starts with the prefix. */
  public FakeApiServer fail(String pathPrefix, Fault... faults) {
    return fail(pathPrefix, q -> true, faults);
  }

  /** Like {@link #fail(String, Fault...)} but only for requests whose query also matches. */
  public FakeApiServer fail(
      String pathPrefix, Predicate<Map<String, String>> whenQuery, Fault... faults) {
    synchronized (faultScripts) {
      faultScripts.add(
          new FaultScript(pathPrefix, whenQuery, new ArrayDeque<>(Arrays.asList(faults))));
    }
    return this;
  }

  /**
   * Every {@code n}th request (n >= 2) whose path starts with the prefix and whose query matches
   * fails once with the next of {@code kinds} (cycling); the requests in between, retries included,
   * are served normally. Counts from the next matching request; {@link #pendingFaults()} does not
   * include these.
   */
  public FakeApiServer failEveryNth(
      String pathPrefix, Predicate<Map<String, String>> whenQuery, int n, Fault... kinds) {
    if (n < 2 || kinds.length == 0) {
      throw new IllegalArgumentException("n must be >= 2 and at least one fault given");
    }
    synchronized (faultScripts) {
      everyNth.add(new EveryNth(pathPrefix, whenQuery, n, List.of(kinds)));
    }
    return this;
  }

  private record EveryNth(
      String prefix, Predicate<Map<String, String>> whenQuery, int n, List<Fault> kinds) {
    private static final java.util.Map<EveryNth, int[]> COUNTS =
        java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    Fault next(Request r) {
      if (!r.path().startsWith(prefix) || !whenQuery.test(r.query())) {
        return null;
      }
      int[] count = COUNTS.computeIfAbsent(this, k -> new int[2]);
      count[0]++;
      if (count[0] % n != 0) {
        return null;
      }
      return kinds.get(count[1]++ % kinds.size());
    }
  }

  private final List<EveryNth> everyNth = new ArrayList<>(); // guarded by faultScripts

  /** Number of scripted faults not yet consumed. */
  public int pendingFaults() {
    synchronized (faultScripts) {
      return faultScripts.stream().mapToInt(s -> s.faults.size()).sum();
    }
  }

  // ---------------------------------------------------------------- request log

  /** Snapshot of every request so far, in arrival order (in-flight ones have status 0). */
  public List<Recorded> requests() {
    List<Recorded> out = new ArrayList<>();
    for (Entry e : log) {
      out.add(e.snapshot());
    }
    return out;
  }

  /** Forgets logged requests and resets {@link #maxConcurrent()} to what is in flight now. */
  public void clearRequests() {
    log.clear();
    maxInFlight.set(inFlight.get());
  }

  /** Maximum number of requests in flight at the same moment, measured server-side. */
  public int maxConcurrent() {
    return maxInFlight.get();
  }

  /** Max number of requests under the prefix started within any window, divided by its seconds. */
  public double maxRate(String pathPrefix, Duration window) {
    long w = window.toNanos();
    if (w <= 0) {
      throw new IllegalArgumentException("window must be positive");
    }
    long[] starts =
        log.stream()
            .filter(e -> e.path.startsWith(pathPrefix))
            .mapToLong(e -> e.startNanos)
            .sorted()
            .toArray();
    int best = 0;
    for (int i = 0, j = 0; j < starts.length; j++) {
      while (starts[j] - starts[i] >= w) {
        i++;
      }
      best = Math.max(best, j - i + 1);
    }
    return best / (w / 1e9);
  }

  /** Number of requests whose path starts with the prefix. */
  public long count(String pathPrefix) {
    return count(pathPrefix, q -> true);
  }

  /** Number of requests whose path starts with the prefix and whose query matches. */
  public long count(String pathPrefix, Predicate<Map<String, String>> query) {
    return log.stream().filter(e -> e.path.startsWith(pathPrefix) && query.test(e.query)).count();
  }

  // ---------------------------------------------------------------- types

  /** Produces a response for a request; may block (e.g. to simulate a slow API). */
  @FunctionalInterface
  public interface Handler {
    Response handle(Request request) throws Exception;
  }

  /** An incoming request as a handler sees it (headers are case-insensitive). */
  public record Request(
      String method,
      String path,
      Map<String, String> query,
      String rawQuery,
      Map<String, List<String>> headers) {

    /** First value of a header, or null. */
    public String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  /** A response to send; empty body allowed. */
  public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

    /** A response with a UTF-8 string body. */
    public static Response of(int status, String contentType, String body) {
      return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** An application/json response. */
    public static Response json(int status, String body) {
      return of(status, "application/json", body);
    }

    /** This response with one more header. */
    public Response withHeader(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Response(status, contentType, body, h);
    }
  }

  /**
   * One logged request: times are {@link System#nanoTime()}; {@code endNanos} and {@code status}
   * are 0 while in flight; {@code fault} describes the injected fault, or null.
   */
  public record Recorded(
      String method,
      String path,
      Map<String, String> query,
      String rawQuery,
      Map<String, List<String>> headers,
      long startNanos,
      long endNanos,
      int status,
      String fault) {

    /** First value of a header (case-insensitive), or null. */
    public String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Whether a fault was injected into this request. */
    public boolean faulted() {
      return fault != null;
    }
  }

  /** A scripted fault; build with the static factories. */
  public static final class Fault {
    private enum Kind {
      STATUS,
      STALL,
      TRUNCATED,
      BODY,
      TRICKLE,
      HUGE
    }

    private final Kind kind;
    private final int status;
    private final Integer retryAfterSeconds;
    private final Duration stall;
    private final String contentType;
    private final String body;

    private Fault(
        Kind kind, int status, Integer retryAfter, Duration stall, String type, String body) {
      this.kind = kind;
      this.status = status;
      this.retryAfterSeconds = retryAfter;
      this.stall = stall;
      this.contentType = type;
      this.body = body;
    }

    /** An error status (e.g. 429, 500, 503) with a short text body and no Retry-After. */
    public static Fault status(int status) {
      return new Fault(Kind.STATUS, status, null, null, null, null);
    }

    /** This status fault with a {@code Retry-After: seconds} header. */
    public Fault retryAfterSeconds(int seconds) {
      if (kind != Kind.STATUS) {
        throw new IllegalStateException("retryAfterSeconds applies to status faults only");
      }
      return new Fault(kind, status, seconds, null, null, null);
    }

    /**
     * Accepts the request and answers normally only after {@code d} (or never, if closed first).
     */
    public static Fault stall(Duration d) {
      return new Fault(Kind.STALL, 0, null, Objects.requireNonNull(d), null, null);
    }

    /**
     * Status 200 and the normal Content-Length, but the body comes one byte every {@code every}
     * (until the client gives up or the server closes): a read timeout per read never fires.
     */
    public static Fault trickle(Duration every) {
      return new Fault(Kind.TRICKLE, 200, null, Objects.requireNonNull(every), null, null);
    }

    /** Status 200 and a well-formed JSON body of {@code bytes} bytes (a body past any sane cap). */
    public static Fault huge(int bytes) {
      StringBuilder b = new StringBuilder(bytes).append("{\"pad\":\"");
      while (b.length() < bytes - 2) {
        b.append('x');
      }
      return body(200, "application/json", b.append("\"}").toString());
    }

    /** Status 200 with the normal body cut in half (Content-Length matches the half). */
    public static Fault truncated() {
      return new Fault(Kind.TRUNCATED, 0, null, null, null, null);
    }

    /** An arbitrary answer, e.g. an HTML error page or an empty body with status 200. */
    public static Fault body(int status, String contentType, String body) {
      return new Fault(Kind.BODY, status, null, null, contentType, Objects.requireNonNull(body));
    }

    /** Alpha Vantage's 200 rate-limit "Note" answer. */
    public static Fault alphaVantageNote() {
      return body(
          200,
          "application/json",
          "{\n    \"Note\": \"Thank you for using Alpha Vantage! Our standard API call frequency is 5"
              + " calls per minute and 500 calls per day. Please visit"
              + " https://www.alphavantage.co/premium/ if you would like to target a higher API"
              + " call frequency.\"\n}");
    }

    /** Alpha Vantage's 200 premium-endpoint "Information" answer. */
    public static Fault alphaVantageInformation() {
      return body(
          200,
          "application/json",
          "{\n    \"Information\": \"Thank you for using Alpha Vantage! This is a premium endpoint."
              + " You may subscribe to any of the premium plans at"
              + " https://www.alphavantage.co/premium/ to instantly unlock all premium"
              + " endpoints\"\n}");
    }

    @Override
    public String toString() {
      switch (kind) {
        case STATUS:
          return "status "
              + status
              + (retryAfterSeconds == null ? "" : " retry-after " + retryAfterSeconds);
        case STALL:
          return "stall " + stall;
        case TRUNCATED:
          return "truncated";
        case TRICKLE:
          return "trickle " + stall;
        default:
          return "body " + status + " " + contentType;
      }
    }
  }

  // ---------------------------------------------------------------- internals

  private record Route(String path, Predicate<Map<String, String>> whenQuery, Handler handler) {}

  private record FaultScript(
      String prefix, Predicate<Map<String, String>> whenQuery, Deque<Fault> faults) {}

  private static final class Entry {
    final String method;
    final String path;
    final Map<String, String> query;
    final String rawQuery;
    final Map<String, List<String>> headers;
    final long startNanos;
    volatile long endNanos;
    volatile int status;
    volatile String fault;

    Entry(Request r, long startNanos) {
      this.method = r.method();
      this.path = r.path();
      this.query = r.query();
      this.rawQuery = r.rawQuery();
      this.headers = r.headers();
      this.startNanos = startNanos;
    }

    Recorded snapshot() {
      return new Recorded(
          method, path, query, rawQuery, headers, startNanos, endNanos, status, fault);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    long start = System.nanoTime();
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    boolean[] finished = {false};
    Entry entry = null;
    try {
      try (InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
      }
      Request request = toRequest(ex);
      entry = new Entry(request, start);
      log.add(entry);
      Fault fault = takeFault(request);
      if (fault != null) {
        entry.fault = fault.toString();
      }
      if (fault != null && fault.kind == Fault.Kind.TRICKLE) {
        trickle(ex, dispatch(request), fault.stall);
        return;
      }
      Response response = respond(request, fault);
      if (response == null) {
        return; // server closing during a stall: drop the connection
      }
      send(ex, response, entry, finished);
    } catch (Exception e) {
      if (!finished[0] && closing.getCount() > 0) {
        try {
          send(ex, Response.of(500, "text/plain", "fake server error: " + e), entry, finished);
        } catch (IOException ignored) {
          // client went away
        }
      }
    } finally {
      if (!finished[0]) {
        finish(entry, 0, finished);
      }
      ex.close();
    }
  }

  private Response respond(Request request, Fault fault) throws Exception {
    if (fault == null) {
      return dispatch(request);
    }
    switch (fault.kind) {
      case STATUS:
        Response r = Response.of(fault.status, "text/plain", reason(fault.status));
        return fault.retryAfterSeconds == null
            ? r
            : r.withHeader("Retry-After", String.valueOf(fault.retryAfterSeconds));
      case STALL:
        if (closing.await(fault.stall.toNanos(), TimeUnit.NANOSECONDS)) {
          return null;
        }
        return dispatch(request);
      case TRUNCATED:
        Response full = dispatch(request);
        return new Response(
            200,
            full.contentType(),
            Arrays.copyOf(full.body(), full.body().length / 2),
            full.headers());
      default:
        return Response.of(fault.status, fault.contentType, fault.body);
    }
  }

  /** Sends the headers, then one byte per {@code every} until done, closed or the client left. */
  private void trickle(HttpExchange ex, Response response, Duration every) throws IOException {
    if (response.contentType() != null) {
      ex.getResponseHeaders().set("Content-Type", response.contentType());
    }
    byte[] body = response.body();
    ex.sendResponseHeaders(200, body.length);
    OutputStream out = ex.getResponseBody();
    try {
      for (byte b : body) {
        out.write(b);
        out.flush();
        if (closing.await(every.toNanos(), TimeUnit.NANOSECONDS)) {
          return;
        }
      }
      out.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client gave up: what a trickle is for
    }
  }

  private Response dispatch(Request request) throws Exception {
    for (Route route : routes) {
      if (route.path.equals(request.path()) && route.whenQuery.test(request.query())) {
        return route.handler.handle(request);
      }
    }
    if (request.path().startsWith("/fred/")) {
      return fredPreconditions(request.query(), Response.json(400, FRED_SERIES_DOES_NOT_EXIST));
    }
    return Response.of(404, "text/plain", "fake api: no route for " + request.path());
  }

  private Fault takeFault(Request request) {
    synchronized (faultScripts) {
      for (FaultScript s : faultScripts) {
        if (!s.faults.isEmpty()
            && request.path().startsWith(s.prefix)
            && s.whenQuery.test(request.query())) {
          return s.faults.poll();
        }
      }
      for (EveryNth e : everyNth) {
        Fault f = e.next(request);
        if (f != null) {
          return f;
        }
      }
    }
    return null;
  }

  /**
   * Sends the response; the request is marked finished (end time, in-flight decrement) just before
   * the last byte goes out, so a client that waits for the whole body never overlaps with it.
   */
  private void send(HttpExchange ex, Response response, Entry entry, boolean[] finished)
      throws IOException {
    if (response.contentType() != null) {
      ex.getResponseHeaders().set("Content-Type", response.contentType());
    }
    response.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    byte[] body = response.body();
    if (body.length == 0) {
      finish(entry, response.status(), finished);
      ex.sendResponseHeaders(response.status(), -1);
      return;
    }
    ex.sendResponseHeaders(response.status(), body.length);
    OutputStream out = ex.getResponseBody();
    out.write(body, 0, body.length - 1);
    finish(entry, response.status(), finished);
    out.write(body, body.length - 1, 1);
    out.close();
  }

  private void finish(Entry entry, int status, boolean[] finished) {
    finished[0] = true;
    if (entry != null) {
      entry.status = status;
      entry.endNanos = System.nanoTime();
    }
    inFlight.decrementAndGet();
  }

  private static Request toRequest(HttpExchange ex) {
    String rawQuery = ex.getRequestURI().getRawQuery();
    Map<String, String> query = new LinkedHashMap<>();
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = decode(eq < 0 ? pair : pair.substring(0, eq));
        String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
        query.putIfAbsent(k, v);
      }
    }
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    ex.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
    return new Request(
        ex.getRequestMethod(),
        ex.getRequestURI().getPath(),
        Collections.unmodifiableMap(query),
        rawQuery,
        Collections.unmodifiableMap(headers));
  }

  private static Response fredPreconditions(Map<String, String> q, Response otherwise) {
    return blank(q.get("api_key")) ? Response.json(400, FRED_MISSING_API_KEY) : otherwise;
  }

  private static Response fredPage(
      ObjectNode recorded, List<JsonNode> all, int pageSize, Map<String, String> q) {
    if (blank(q.get("api_key"))) {
      return Response.json(400, FRED_MISSING_API_KEY);
    }
    if (!"json".equals(q.get("file_type"))) {
      // The real API would answer XML; the fake only has JSON, so make the omission loud.
      return fredError("Bad Request.  The fake FRED server only serves file_type=json.");
    }
    int limit;
    int offset;
    try {
      limit = q.containsKey("limit") ? Integer.parseInt(q.get("limit")) : 100000;
      offset = q.containsKey("offset") ? Integer.parseInt(q.get("offset")) : 0;
    } catch (NumberFormatException e) {
      return fredError("Bad Request.  Variables limit and offset must be integers.");
    }
    if (limit < 1 || limit > 100000) {
      return fredError("Bad Request.  Variable limit is not between 1 and 100000.");
    }
    if (offset < 0) {
      return fredError("Bad Request.  Variable offset is negative.");
    }
    int served = Math.min(limit, pageSize);
    String from = q.get("observation_start");
    String to = q.get("observation_end");
    List<JsonNode> selected = new ArrayList<>();
    for (JsonNode o : all) {
      String date = o.path("date").asText();
      if ((from == null || date.compareTo(from) >= 0) && (to == null || date.compareTo(to) <= 0)) {
        selected.add(o);
      }
    }
    String sortOrder = q.getOrDefault("sort_order", "asc");
    if ("desc".equals(sortOrder)) {
      Collections.reverse(selected);
    }
    ObjectNode page = recorded.deepCopy();
    if (from != null) {
      page.put("observation_start", from);
    }
    if (to != null) {
      page.put("observation_end", to);
    }
    if (page.has("sort_order")) {
      page.put("sort_order", sortOrder);
    }
    page.put("count", selected.size());
    page.put("offset", offset);
    page.put("limit", served);
    ArrayNode observations = page.putArray("observations");
    for (int i = offset; i < selected.size() && i < (long) offset + served; i++) {
      observations.add(selected.get(i));
    }
    try {
      return Response.json(200, MAPPER.writeValueAsString(page));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Response fredError(String message) {
    ObjectNode err = MAPPER.createObjectNode();
    err.put("error_code", 400);
    err.put("error_message", message);
    return Response.json(400, err.toString());
  }

  private static String reason(int status) {
    switch (status) {
      case 429:
        return "Too Many Requests";
      case 500:
        return "Internal Server Error";
      case 502:
        return "Bad Gateway";
      case 503:
        return "Service Unavailable";
      case 504:
        return "Gateway Timeout";
      default:
        return "Error " + status;
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String contentTypeOf(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".json")) {
      return "application/json";
    } else if (name.endsWith(".csv")) {
      return "text/csv";
    } else if (name.endsWith(".html") || name.endsWith(".htm")) {
      return "text/html";
    }
    return "text/plain";
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode readJson(Path file) {
    try {
      return MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

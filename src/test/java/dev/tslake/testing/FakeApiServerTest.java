package dev.tslake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.testing.FakeApiServer.Fault;
import dev.tslake.testing.FakeApiServer.Recorded;
import dev.tslake.testing.FakeApiServer.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeApiServerTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path DGS2 = Path.of("testdata/fred/DGS2_obs_asc_full_2022-12-09.json");
  private static final Path DGS2_META =
      Path.of("testdata/fred/series_metadata_DGS2_2022-12-09.json");
  private static final Path AV_AAPL =
      Path.of("testdata/alphavantage/TIME_SERIES_DAILY_AAPL_compact_2017-04-27.json");
  private static final Path COINDESK =
      Path.of("testdata/bitcoin/coindesk/quannxxii_2023-12-07T2029.json");
  private static final String FRED_OBS = "/fred/series/observations";

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private FakeApiServer server;

  @BeforeEach
  void start() {
    server = FakeApiServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // ------------------------------------------------------------------ FRED

  @Test
  void fredPagingConcatenatesToTheRecordedObservations() throws Exception {
    server.fredObservations("DGS2", DGS2, 5000);
    JsonNode original = MAPPER.readTree(DGS2.toFile()).get("observations");
    assertEquals(12138, original.size());

    List<JsonNode> collected = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    int offset = 0;
    int count;
    do {
      JsonNode page = getJson(fredUrl("DGS2", "&limit=100000&offset=" + offset), 200);
      count = page.get("count").asInt();
      assertEquals(12138, count);
      assertEquals(offset, page.get("offset").asInt());
      assertEquals(5000, page.get("limit").asInt(), "limit capped to pageSize");
      page.get("observations").forEach(collected::add);
      pageSizes.add(page.get("observations").size());
      offset += page.get("observations").size();
    } while (offset < count);

    assertEquals(List.of(5000, 5000, 2138), pageSizes);
    List<JsonNode> expected = new ArrayList<>();
    original.forEach(expected::add);
    assertEquals(expected, collected);
    assertEquals(3, server.count(FRED_OBS));
    assertEquals(3, server.count(FRED_OBS, q -> "DGS2".equals(q.get("series_id"))));
    assertTrue(server.requests().stream().allMatch(r -> r.status() == 200 && !r.faulted()));

    // a limit below pageSize is honoured; an offset past the end gives an empty page
    JsonNode small = getJson(fredUrl("DGS2", "&limit=10&offset=12135"), 200);
    assertEquals(3, small.get("observations").size());
    assertEquals(10, small.get("limit").asInt());
    assertEquals(0, getJson(fredUrl("DGS2", "&offset=20000"), 200).get("observations").size());
  }

  @Test
  void fredObservationStartFilters() throws Exception {
    server.fredObservations("DGS2", DGS2, 100000);
    JsonNode original = MAPPER.readTree(DGS2.toFile()).get("observations");
    List<String> expectedDates = new ArrayList<>();
    original.forEach(
        o -> {
          if (o.get("date").asText().compareTo("2022-11-01") >= 0) {
            expectedDates.add(o.get("date").asText());
          }
        });
    assertTrue(
        expectedDates.size() > 10 && expectedDates.size() < 40, "sanity: " + expectedDates.size());

    JsonNode page = getJson(fredUrl("DGS2", "&observation_start=2022-11-01"), 200);
    assertEquals(expectedDates.size(), page.get("count").asInt());
    assertEquals("2022-11-01", page.get("observation_start").asText());
    List<String> dates = new ArrayList<>();
    page.get("observations").forEach(o -> dates.add(o.get("date").asText()));
    assertEquals(expectedDates, dates);

    // filter + paging together: offset is within the filtered list
    JsonNode second =
        getJson(fredUrl("DGS2", "&observation_start=2022-11-01&limit=5&offset=5"), 200);
    assertEquals(expectedDates.size(), second.get("count").asInt());
    assertEquals(expectedDates.get(5), second.get("observations").get(0).get("date").asText());
    assertEquals(5, second.get("observations").size());
  }

  @Test
  void fredMissingApiKeyGetsFredsError() throws Exception {
    server.fredObservations("DGS2", DGS2, 5000);
    server.fredSeries("DGS2", DGS2_META);
    String expected =
        "{\"error_code\":400,\"error_message\":\"Bad Request.  Variable api_key is not set. Read"
            + " https://fred.stlouisfed.org/docs/api/api_key.html for more information.\"}";
    HttpResponse<String> obs = get(server.baseUrl() + FRED_OBS + "?series_id=DGS2&file_type=json");
    assertEquals(400, obs.statusCode());
    assertEquals(expected, obs.body());
    assertEquals("application/json", obs.headers().firstValue("Content-Type").orElse(""));
    assertEquals(
        400, get(server.baseUrl() + "/fred/series?series_id=DGS2&file_type=json").statusCode());

    HttpResponse<String> meta =
        get(server.baseUrl() + "/fred/series?series_id=DGS2&api_key=k&file_type=json");
    assertEquals(200, meta.statusCode());
    assertEquals(Files.readString(DGS2_META), meta.body());
    HttpResponse<String> unknown = get(fredUrl("NOPE", ""));
    assertEquals(400, unknown.statusCode());
    assertTrue(unknown.body().contains("The series does not exist"), unknown.body());
  }

  // ------------------------------------------------------------------ faults

  @Test
  void status429WithAndWithoutRetryAfterThenNormal() throws Exception {
    server.fredObservations("DGS2", DGS2, 5000);
    server.fail("/fred/", Fault.status(429), Fault.status(429).retryAfterSeconds(1));
    String url = fredUrl("DGS2", "&limit=1");

    HttpResponse<String> first = get(url);
    assertEquals(429, first.statusCode());
    assertTrue(first.headers().firstValue("Retry-After").isEmpty());
    HttpResponse<String> second = get(url);
    assertEquals(429, second.statusCode());
    assertEquals("1", second.headers().firstValue("Retry-After").orElse(null));
    assertEquals(200, get(url).statusCode());

    assertEquals(0, server.pendingFaults());
    List<Recorded> log = server.requests();
    assertEquals(3, log.size());
    assertEquals(List.of(429, 429, 200), log.stream().map(Recorded::status).toList());
    assertEquals(2, log.stream().filter(Recorded::faulted).count());
  }

  @Test
  void status503And500ConsumedInOrderOnlyForMatchingPrefixAndQuery() throws Exception {
    server.fredObservations("DGS2", DGS2, 5000);
    server.fredSeries("DGS2", DGS2_META);
    server.fail(
        FRED_OBS, q -> "DGS2".equals(q.get("series_id")), Fault.status(503), Fault.status(500));

    assertEquals(200, get(server.baseUrl() + "/fred/series?series_id=DGS2&api_key=k").statusCode());
    assertEquals(503, get(fredUrl("DGS2", "&limit=1")).statusCode());
    assertEquals(
        400, get(fredUrl("OTHER", "&limit=1")).statusCode(), "query predicate not matched");
    assertEquals(500, get(fredUrl("DGS2", "&limit=1")).statusCode());
    assertEquals(200, get(fredUrl("DGS2", "&limit=1")).statusCode());
    assertEquals(
        List.of(200, 503, 400, 500, 200),
        server.requests().stream().map(Recorded::status).toList());
  }

  @Test
  void stallMakesTheClientTimeOutAndCloseReleasesTheThread() throws Exception {
    server.fredObservations("DGS2", DGS2, 5000);
    server.fail("/fred/", Fault.stall(Duration.ofSeconds(2)));
    HttpRequest stalled =
        HttpRequest.newBuilder(URI.create(fredUrl("DGS2", "&limit=1")))
            .timeout(Duration.ofMillis(200))
            .build();

    long t0 = System.nanoTime();
    assertThrows(
        HttpTimeoutException.class,
        () -> client.send(stalled, HttpResponse.BodyHandlers.ofString()));
    long waitedMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(waitedMs >= 150 && waitedMs < 1500, "timed out after " + waitedMs + " ms");

    Recorded r = server.requests().get(0);
    assertEquals("stall PT2S", r.fault());
    assertEquals(0, r.status(), "still stalled server-side");

    // the fault was consumed: the next request is served normally
    assertEquals(200, get(fredUrl("DGS2", "&limit=1")).statusCode());

    long c0 = System.nanoTime();
    server.close();
    long closeMs = (System.nanoTime() - c0) / 1_000_000;
    assertTrue(closeMs < 1000, "close took " + closeMs + " ms");
    assertTrue(server.requests().get(0).endNanos() > 0, "stalled handler released by close()");
  }

  @Test
  void truncatedBodyFailsToParse() throws Exception {
    server.fredObservations("DGS2", DGS2, 5000);
    String url = fredUrl("DGS2", "&limit=50");
    String full = get(url).body();
    MAPPER.readTree(full);

    server.fail("/fred/", Fault.truncated());
    HttpResponse<String> cut = get(url);
    assertEquals(200, cut.statusCode());
    assertEquals(full.length() / 2, cut.body().length());
    assertEquals(full.substring(0, full.length() / 2), cut.body());
    assertThrows(JsonProcessingException.class, () -> MAPPER.readTree(cut.body()));
    assertEquals("truncated", server.requests().get(1).fault());
  }

  @Test
  void alphaVantageNoteInformationAndArbitraryBodies() throws Exception {
    server.alphaVantage("TIME_SERIES_DAILY", "AAPL", AV_AAPL);
    server.fail(
        "/query",
        Fault.alphaVantageNote(),
        Fault.alphaVantageInformation(),
        Fault.body(200, "text/html", "<html><body>Service temporarily unavailable</body></html>"),
        Fault.body(200, "application/json", ""));
    String url =
        server.baseUrl()
            + "/query?function=TIME_SERIES_DAILY&symbol=AAPL&apikey=demo&outputsize=compact";

    HttpResponse<String> note = get(url);
    assertEquals(200, note.statusCode());
    JsonNode noteJson = MAPPER.readTree(note.body());
    assertTrue(
        noteJson
            .get("Note")
            .asText()
            .startsWith(
                "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute"));
    assertTrue(
        MAPPER.readTree(get(url).body()).get("Information").asText().contains("premium endpoint"));
    HttpResponse<String> html = get(url);
    assertEquals(200, html.statusCode());
    assertEquals("text/html", html.headers().firstValue("Content-Type").orElse(""));
    HttpResponse<String> empty = get(url);
    assertEquals(200, empty.statusCode());
    assertEquals("", empty.body());

    JsonNode real = MAPPER.readTree(get(url).body());
    assertTrue(real.has("Time Series (Daily)"));
    assertEquals("AAPL", real.get("Meta Data").get("2. Symbol").asText());
    assertEquals(5, server.count("/query"));
    assertEquals(4, server.requests().stream().filter(Recorded::faulted).count());

    // missing apikey: AV answers 200 with an error message; unknown symbol: no route
    assertTrue(
        get(server.baseUrl() + "/query?function=TIME_SERIES_DAILY&symbol=AAPL")
            .body()
            .contains("apikey is invalid or missing"));
    assertEquals(
        404,
        get(server.baseUrl() + "/query?function=TIME_SERIES_DAILY&symbol=MSFT&apikey=demo")
            .statusCode());
  }

  // ------------------------------------------------------------------ measurements

  @Test
  void maxConcurrentCountsOverlappingRequests() throws Exception {
    server.route(
        "/slow",
        r -> {
          Thread.sleep(200);
          return Response.of(200, "text/plain", "ok");
        });
    int threads = 4;
    CyclicBarrier barrier = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () -> {
                  barrier.await(5, TimeUnit.SECONDS);
                  return get(server.baseUrl() + "/slow").statusCode();
                }));
      }
      for (Future<Integer> f : results) {
        assertEquals(200, f.get(10, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(4, server.maxConcurrent());
    for (Recorded r : server.requests()) {
      assertTrue(
          r.endNanos() - r.startNanos() >= 190_000_000L, "took " + (r.endNanos() - r.startNanos()));
    }

    server.clearRequests();
    assertEquals(0, server.maxConcurrent());
    for (int i = 0; i < 4; i++) {
      assertEquals(200, get(server.baseUrl() + "/slow").statusCode());
    }
    assertEquals(1, server.maxConcurrent());
    assertEquals(4, server.requests().size());
  }

  @Test
  void maxRateIsTheBusiestSlidingWindow() throws Exception {
    server.route("/r", r -> Response.of(200, "text/plain", "ok"));
    for (int i = 0; i < 5; i++) {
      get(server.baseUrl() + "/r?i=" + i);
    }
    Thread.sleep(1100);
    for (int i = 0; i < 3; i++) {
      get(server.baseUrl() + "/r?j=" + i);
    }
    assertEquals(5.0, server.maxRate("/r", Duration.ofSeconds(1)), 1e-9);
    assertEquals(8 / 10.0, server.maxRate("/r", Duration.ofSeconds(10)), 1e-9);
    assertEquals(0.0, server.maxRate("/other", Duration.ofSeconds(1)), 1e-9);
    assertEquals(3, server.count("/r", q -> q.containsKey("j")));
  }

  // ------------------------------------------------------------------ other APIs, recording

  @Test
  void edgarRequiresAUserAgentWithAContact(@TempDir Path dir) throws Exception {
    Path facts = dir.resolve("CIK0000320193.json");
    Files.writeString(facts, "{\"cik\":320193,\"entityName\":\"Apple Inc.\",\"facts\":{}}");
    String path = "/api/xbrl/companyfacts/CIK0000320193.json";
    server.edgar(path, facts);

    HttpResponse<String> denied = get(server.baseUrl() + path); // Java-http-client/17 default UA
    assertEquals(403, denied.statusCode());
    assertTrue(denied.body().contains("Your Request Originates from an Undeclared Automated Tool"));
    assertEquals("text/html", denied.headers().firstValue("Content-Type").orElse(""));

    HttpRequest noEmail =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
            .header("User-Agent", "tslake")
            .build();
    assertEquals(403, client.send(noEmail, HttpResponse.BodyHandlers.ofString()).statusCode());

    HttpRequest declared =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
            .header("User-Agent", "tslake tests ops@example.com")
            .build();
    HttpResponse<String> ok = client.send(declared, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ok.statusCode());
    assertEquals(Files.readString(facts), ok.body());
    assertEquals("tslake tests ops@example.com", server.requests().get(2).header("user-agent"));
  }

  @Test
  void recordsRequestsAndServesGenericRoutes() throws Exception {
    server.coinDesk(COINDESK);
    server.json(
        "/data/2021/acs/acs5", q -> "NAME,B01001_001E".equals(q.get("get")), "[[\"NAME\"]]");

    HttpRequest req =
        HttpRequest.newBuilder(
                URI.create(
                    server.baseUrl()
                        + "/data/2021/acs/acs5?get=NAME,B01001_001E&for=state:*&key=k%20x"))
            .header("X-Test", "yes")
            .build();
    HttpResponse<String> census = client.send(req, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, census.statusCode());
    assertEquals("[[\"NAME\"]]", census.body());
    HttpResponse<String> btc = get(server.baseUrl() + "/v1/bpi/currentprice.json");
    assertEquals(Files.readString(COINDESK), btc.body());
    assertEquals(404, get(server.baseUrl() + "/nothing/here").statusCode());

    List<Recorded> log = server.requests();
    assertEquals(3, log.size());
    Recorded first = log.get(0);
    assertEquals("GET", first.method());
    assertEquals("/data/2021/acs/acs5", first.path());
    assertEquals("state:*", first.query().get("for"));
    assertEquals("k x", first.query().get("key"));
    assertEquals("get=NAME,B01001_001E&for=state:*&key=k%20x", first.rawQuery());
    assertEquals("yes", first.header("x-test"));
    assertEquals(200, first.status());
    assertNull(first.fault());
    assertTrue(first.endNanos() >= first.startNanos() && first.startNanos() > 0);
    assertTrue(log.get(1).startNanos() >= first.endNanos(), "sequential requests do not overlap");
    assertEquals(404, log.get(2).status());
    assertFalse(log.get(2).faulted());
  }

  // ------------------------------------------------------------------ helpers

  private String fredUrl(String seriesId, String extra) {
    return server.baseUrl()
        + FRED_OBS
        + "?series_id="
        + seriesId
        + "&api_key=testkey&file_type=json"
        + extra;
  }

  private HttpResponse<String> get(String url) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String url, int expectedStatus) throws Exception {
    HttpResponse<String> response = get(url);
    assertEquals(expectedStatus, response.statusCode(), response.body());
    return MAPPER.readTree(response.body());
  }
}

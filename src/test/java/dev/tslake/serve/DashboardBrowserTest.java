package dev.tslake.serve;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.testing.Browser;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The dashboard in a real headless browser (Debian's chromium through Selenium, {@link Browser}):
 * the default job fills a DuckDB warehouse, the server serves it on a free port of 127.0.0.1, and
 * the page must draw what the API serves: a picked series' points (the page's own state, {@code
 * window.tslake}, against the API's count for the same {@code maxPoints}), a redraw when another
 * series is picked, candles for a chosen window, and the run in the runs table. Saves {@code
 * target/dashboard.png}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserTest {
  static final String RUN_ID = "dash-1";
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  private WarehouseSpec warehouse;
  private Server.Running server;
  private String base;
  private Browser browser;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void fillWarehouseAndServe(@TempDir Path dir) throws Exception {
    browser = Browser.start(); // first: fails (CI) or skips before the slow job when it is missing
    warehouse = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("wh.duckdb"), null, null);
    RunRecord run =
        TsLake.run(
            PipelineOptionsFactory.fromArgs(
                    "--config=testdata/tslake.json",
                    "--lake=" + dir.resolve("lake"),
                    "--warehouseUrl=" + warehouse.url,
                    "--runId=" + RUN_ID,
                    "--ingestDate=2026-11-20",
                    "--enforceImmutability=false",
                    "--enforceEncodability=false")
                .withValidation()
                .as(TsLakeOptions.class));
    assertEquals(RunRecord.SUCCEEDED, run.status, run.message);
    warehouse.release(); // DuckDB: one writer; the server opens the file read-only
    server = Server.start(ServeSettings.loopback(warehouse)); // 127.0.0.1, a free port
    base = server.url().replaceAll("/$", "");
  }

  @AfterAll
  void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (server != null) {
      server.close();
    }
    if (warehouse != null) {
      warehouse.release();
    }
  }

  @Test
  void drawsPickedSeriesRedrawsOnSwitchCandlesAndRuns() throws Exception {
    browser.driver().get(base + "/");
    browser.await(
        WAIT, d -> browser.script("return window.tslake && window.tslake.ready === true"));
    assertEquals(List.of(), browser.script("return window.tslake.errors"));

    // pick bitstamp BTC/USD.close through the search box
    Map<String, Object> first = pick("BTC/USD", "bitstamp", "BTC/USD.close");
    long firstPoints = ((Number) first.get("points")).longValue();
    long maxPoints = ((Number) first.get("maxPoints")).longValue();
    assertThat(maxPoints, greaterThanOrEqualTo(300L));
    assertEquals(
        apiCount("/api/series/bitstamp/" + enc("BTC/USD.close") + "/observations", maxPoints),
        firstPoints,
        "points drawn vs the API's observations for maxPoints=" + maxPoints);
    assertThat(firstPoints, greaterThan(100L));
    assertThat(firstPoints, lessThanOrEqualTo(2 * maxPoints)); // downsampled by the server
    assertEquals(
        1L, browser.script("return document.querySelectorAll('#line-chart canvas').length"));
    assertTrue(canvasHasInk("#line-chart canvas"), "the line chart's canvas is blank");

    // candles for a chosen window size
    new Select(browser.driver().findElement(By.id("candle-window"))).selectByValue("P1M");
    Map<String, Object> candles =
        browser.await(
            WAIT,
            d ->
                state(
                    "return window.tslake.candles.window === 'P1M' && window.tslake.candles.drawn"
                        + " ? window.tslake.candles : null"));
    long candleCount = ((Number) candles.get("count")).longValue();
    assertThat(candleCount, greaterThan(12L));
    assertEquals(
        apiCount("/api/series/bitstamp/" + enc("BTC/USD.close") + "/aggregates?window=P1M", null),
        candleCount);
    assertTrue(canvasHasInk("#candle-chart canvas"), "the candle chart's canvas is blank");

    // the runs table lists the run, with its status
    WebElement row =
        browser.await(
            WAIT,
            d -> d.findElement(By.cssSelector("#runs-table tr[data-run-id='" + RUN_ID + "']")));
    assertThat(row.getText(), org.hamcrest.Matchers.containsString("succeeded"));

    Path shot = browser.fullPageScreenshot(Path.of("target/dashboard.png"));
    assertThat(Files.size(shot), greaterThan(10_000L));

    // switch series: fred PAYEMS (monthly since 1999, fewer points than the chart is wide)
    long drawsBefore = ((Number) browser.script("return window.tslake.draws")).longValue();
    Map<String, Object> second = pick("PAYEMS", "fred", "PAYEMS");
    long secondPoints = ((Number) second.get("points")).longValue();
    assertEquals("fred/PAYEMS", second.get("series"));
    assertThat(((Number) second.get("draws")).longValue(), greaterThan(drawsBefore));
    assertEquals(
        apiCount("/api/series/fred/PAYEMS/observations", maxPoints),
        secondPoints,
        "points drawn after the switch");
    assertNotEquals(firstPoints, secondPoints);
    assertThat(secondPoints, greaterThan(100L));
    assertThat(
        (String) browser.driver().findElement(By.id("current-series")).getText(),
        not(org.hamcrest.Matchers.containsString("BTC")));
    browser.fullPageScreenshot(Path.of("target/dashboard-payems.png"));
    assertEquals(List.of(), browser.script("return window.tslake.errors"));
  }

  /** Types {@code query} into the search box, clicks the series, waits for its line chart. */
  private Map<String, Object> pick(String query, String source, String seriesId) {
    WebElement search = browser.driver().findElement(By.id("series-search"));
    search.clear();
    search.sendKeys(query);
    String css =
        "#series-list button[data-source='" + source + "'][data-series-id='" + seriesId + "']";
    try {
      browser.await(
          WAIT, d -> query.equals(browser.script("return window.tslake.listQuery")) ? true : null);
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError(
          "the series list never showed the search "
              + query
              + "; page state: "
              + browser.script(
                  "return JSON.stringify({value: document.getElementById('series-search').value,"
                      + " listQuery: window.tslake.listQuery, listed: window.tslake.listed,"
                      + " errors: window.tslake.errors})"),
          e);
    }
    browser.driver().findElement(By.cssSelector(css)).click();
    String series = source + "/" + seriesId;
    try {
      return browser.await(
          WAIT,
          d ->
              state(
                  "return window.tslake.series === arguments[0] && window.tslake.drawn"
                      + " && window.tslake.candles.drawn ? window.tslake : null",
                  series));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError(
          series
              + " was not drawn; page state: "
              + browser.script(
                  "const t = window.tslake; return JSON.stringify({series: t.series, drawn:"
                      + " t.drawn, points: t.points, candles: t.candles, errors: t.errors,"
                      + " status: document.getElementById('status').textContent})"),
          e);
    }
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> state(String js, Object... args) {
    return (Map<String, Object>) browser.script(js, args);
  }

  /** True when the canvas has any non-transparent pixel (uPlot drew something on it). */
  private boolean canvasHasInk(String css) {
    Object inked =
        browser.script(
            "const c = document.querySelector(arguments[0]);"
                + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                + " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;"
                + " return n;",
            css);
    return ((Number) inked).longValue() > 1000;
  }

  private long apiCount(String path, Long maxPoints) throws IOException, InterruptedException {
    String url =
        base
            + path
            + (maxPoints == null
                ? ""
                : (path.contains("?") ? "&" : "?") + "maxPoints=" + maxPoints);
    HttpResponse<String> res =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(WAIT).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, res.statusCode(), url + " -> " + res.body());
    return rows(JSON.readTree(res.body())).size();
  }

  /** The list in an API answer: the array itself or the page's array (as app.js reads it). */
  static JsonNode rows(JsonNode body) {
    if (body.isArray()) {
      return body;
    }
    for (String k : List.of("items", "points", "rows", "data", "results")) {
      if (body.path(k).isArray()) {
        return body.get(k);
      }
    }
    throw new AssertionError("no list in " + body);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}

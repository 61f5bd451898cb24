package dev.tslake.serve;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.warehouse.RunRecord;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The API over a warehouse the default job filled; one subclass per database. The series used:
 * {@code bitstamp / BTC/USD.close} (a '/' in the id), daily closes with monthly aggregates.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServerApiContract {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SOURCE = "bitstamp";
  static final String SERIES = "BTC/USD.close";

  final HttpClient http = HttpClient.newHttpClient();
  Server.Running server;

  static RunRecord runDefaultJob(Path lake, String url, String user, String password) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=testdata/tslake.json",
                "--lake=" + lake,
                "--warehouseUrl=" + url,
                "--runId=serve-1",
                "--ingestDate=2026-11-20",
                "--enforceImmutability=false",
                "--enforceEncodability=false"));
    if (user != null) {
      args.add("--warehouseUser=" + user);
      args.add("--warehousePassword=" + password);
    }
    return TsLake.run(
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
            .withValidation()
            .as(TsLakeOptions.class));
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery.substring(1))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  JsonNode ok(String pathAndQuery) throws Exception {
    HttpResponse<String> r = get(pathAndQuery);
    assertEquals(200, r.statusCode(), pathAndQuery + ": " + r.body());
    assertThat(r.headers().firstValue("content-type").orElse(""), containsString("json"));
    return JSON.readTree(r.body());
  }

  JsonNode status(int expected, String pathAndQuery) throws Exception {
    HttpResponse<String> r = get(pathAndQuery);
    assertEquals(expected, r.statusCode(), pathAndQuery + ": " + r.body());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.hasNonNull("error"), r.body());
    return body;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String seriesPath() {
    return "/api/series/" + enc(SOURCE) + "/" + enc(SERIES);
  }

  @Test
  void seriesListsWhatTheJobLoaded() throws Exception {
    JsonNode page = ok("/api/series?limit=1000");
    assertThat(page.get("items").size(), greaterThan(3));
    JsonNode btc = null;
    for (JsonNode s : page.get("items")) {
      if (s.get("source").asText().equals(SOURCE) && s.get("series_id").asText().equals(SERIES)) {
        btc = s;
      }
    }
    assertTrue(btc != null, page.toString());
    assertThat(btc.get("observations").asLong(), greaterThan(10L));
    assertTrue(btc.get("first_ts").asText().endsWith("Z"), btc.toString());
    JsonNode bySource = ok("/api/series?source=" + SOURCE);
    for (JsonNode s : bySource.get("items")) {
      assertEquals(SOURCE, s.get("source").asText());
    }
    JsonNode byText = ok("/api/series?q=" + enc("btc/usd.CL"));
    assertEquals(SERIES, byText.get("items").get(0).get("series_id").asText(), byText.toString());
  }

  @Test
  void sqlMetacharactersInQAreJustText() throws Exception {
    for (String q : List.of("%", "' OR '1'='1", "\\", "x'; DROP TABLE series; --")) {
      JsonNode page = ok("/api/series?q=" + enc(q));
      assertEquals(0, page.get("items").size(), q + " -> " + page);
    }
    // '_' is a plain character, not LIKE's any-character: only ids/sources that hold one
    JsonNode underscore = ok("/api/series?q=_&limit=1000");
    assertThat(underscore.get("items").size(), greaterThan(0));
    for (JsonNode s : underscore.get("items")) {
      assertTrue(
          (s.get("series_id").asText() + s.get("source").asText() + s.get("title").asText())
              .contains("_"),
          s.toString());
    }
    assertThat(ok("/api/series").get("items").size(), greaterThan(0));
  }

  @Test
  void paginationHasAHardCap() throws Exception {
    JsonNode first = ok("/api/series?limit=2");
    assertEquals(2, first.get("items").size());
    assertEquals(2, first.get("next_offset").asInt());
    JsonNode second = ok("/api/series?limit=2&offset=2");
    assertFalse(first.get("items").get(0).equals(second.get("items").get(0)), "pages differ");
    assertEquals("limit", status(400, "/api/series?limit=100000").get("parameter").asText());
    assertEquals("limit", status(400, "/api/runs?limit=0").get("parameter").asText());
    assertEquals("offset", status(400, "/api/series?offset=-1").get("parameter").asText());
    assertEquals(
        "limit",
        status(400, seriesPath() + "/observations?limit=100000000").get("parameter").asText());
  }

  @Test
  void observationsOfASeriesInARange() throws Exception {
    JsonNode all = ok(seriesPath() + "/observations");
    assertFalse(all.get("downsampled").asBoolean());
    JsonNode points = all.get("points");
    assertThat(points.size(), greaterThan(10));
    String from = points.get(2).get("ts").asText();
    String to = points.get(5).get("ts").asText();
    JsonNode some = ok(seriesPath() + "/observations?from=" + enc(from) + "&to=" + enc(to));
    assertEquals(4, some.get("points").size(), some.toString());
    assertEquals(points.get(2), some.get("points").get(0));
    JsonNode info = ok(seriesPath());
    assertEquals(points.size(), info.get("observations").asInt());
    assertThat(info.get("aggregate_windows").size(), greaterThan(0));
  }

  @Test
  void downsamplingKeepsAtMostMaxPointsAndTheExtremes() throws Exception {
    JsonNode all = ok(seriesPath() + "/observations");
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (JsonNode p : all.get("points")) {
      if (!p.get("value").isNull()) {
        min = Math.min(min, p.get("value").asDouble());
        max = Math.max(max, p.get("value").asDouble());
      }
    }
    int maxPoints = 8;
    JsonNode d = ok(seriesPath() + "/observations?maxPoints=" + maxPoints);
    assertTrue(d.get("downsampled").asBoolean(), d.toString());
    assertThat(d.get("points").size(), lessThanOrEqualTo(maxPoints));
    double dmin = Double.MAX_VALUE;
    double dmax = -Double.MAX_VALUE;
    String previous = "";
    for (JsonNode p : d.get("points")) {
      assertThat(p.get("ts").asText().compareTo(previous), greaterThan(0));
      previous = p.get("ts").asText();
      if (!p.get("value").isNull()) {
        dmin = Math.min(dmin, p.get("value").asDouble());
        dmax = Math.max(dmax, p.get("value").asDouble());
      }
    }
    assertEquals(min, dmin);
    assertEquals(max, dmax);
    assertEquals(all.get("points").size(), d.get("total").asInt());
    assertEquals(
        "maxPoints",
        status(400, seriesPath() + "/observations?maxPoints=1").get("parameter").asText());
  }

  @Test
  void aggregatesOfAWindow() throws Exception {
    JsonNode info = ok(seriesPath());
    String window = info.get("aggregate_windows").get(0).asText();
    JsonNode a = ok(seriesPath() + "/aggregates?window=" + window);
    assertThat(a.get("items").size(), greaterThan(0));
    JsonNode row = a.get("items").get(0);
    for (String col : List.of("window_start", "n", "first", "max", "min", "last", "mean")) {
      assertTrue(row.has(col), col + " in " + row);
    }
    assertThat(row.get("max").asDouble(), greaterThan(row.get("min").asDouble() - 1e-9));
    assertEquals(
        "window", status(400, seriesPath() + "/aggregates?window=P7X").get("parameter").asText());
    assertEquals(
        "window", status(400, seriesPath() + "/aggregates?window=PT7M").get("parameter").asText());
  }

  @Test
  void badTimestampsNameTheParameter() throws Exception {
    assertEquals(
        "from",
        status(400, seriesPath() + "/observations?from=yesterday").get("parameter").asText());
    assertEquals(
        "to", status(400, seriesPath() + "/observations?to=2024-13-45").get("parameter").asText());
    assertEquals(
        "to",
        status(400, seriesPath() + "/observations?from=2024-01-02&to=2024-01-01")
            .get("parameter")
            .asText());
  }

  @Test
  void unknownSeriesAndRunsAre404() throws Exception {
    status(404, "/api/series/" + SOURCE + "/NOPE/observations");
    status(404, "/api/series/nosource/" + enc(SERIES) + "/aggregates?window=P1M");
    status(404, "/api/runs/no-such-run/rejects");
    status(404, "/api/nothing");
  }

  @Test
  void hostileSeriesIdsAreJustValues() throws Exception {
    for (String id :
        List.of("../../etc/passwd", "x' OR '1'='1", "%", "\"; DROP TABLE series; --", "..")) {
      status(404, "/api/series/" + SOURCE + "/" + enc(id) + "/observations");
    }
    // Jetty refuses a NUL in the path before the API sees it: a 400, never a 500
    assertEquals(400, get("/api/series/" + SOURCE + "/a%00b/observations").statusCode());
    // the tables are still there
    assertThat(ok("/api/series").get("items").size(), greaterThan(0));
  }

  @Test
  void runsAndTheirRejects() throws Exception {
    JsonNode runs = ok("/api/runs");
    JsonNode run = runs.get("items").get(0);
    assertEquals("serve-1", run.get("run_id").asText());
    assertEquals("succeeded", run.get("status").asText());
    assertTrue(run.has("records_read"), run.toString());
    JsonNode rejects = ok("/api/runs/serve-1/rejects?limit=5");
    assertThat(rejects.get("by_reason").size(), greaterThan(0));
    assertThat(rejects.get("items").size(), lessThanOrEqualTo(5));
    assertTrue(rejects.get("by_reason").get(0).has("reason"));
  }

  @Test
  void rollingStatisticsOfTheSeries() throws Exception {
    // the 7-day trailing mean of Bitstamp's daily close on 2022-08-20, by a plain loop over the
    // file
    Instant at = Instant.parse("2022-08-20T00:00:00Z");
    double sum = 0;
    int n = 0;
    for (String line :
        Files.readAllLines(Path.of("testdata/bitcoin/Bitstamp_BTCUSD_d_cryptodatadownload.csv"))) {
      String[] f = line.split(",");
      if (f.length > 6 && f[0].matches("\\d+")) {
        Instant ts = Instant.ofEpochSecond(Long.parseLong(f[0]));
        if (ts.isAfter(at.minus(Duration.ofDays(7))) && !ts.isAfter(at)) {
          sum += Double.parseDouble(f[6]);
          n++;
        }
      }
    }
    assertEquals(7, n);
    JsonNode info = ok(seriesPath());
    assertTrue(info.get("rolling_windows").toString().contains("P7D"), info.toString());
    JsonNode rows =
        ok(seriesPath()
                + "/rolling?window=P7D&from="
                + enc(at.toString())
                + "&to="
                + enc(at.toString()))
            .get("items");
    assertEquals(1, rows.size(), rows.toString());
    assertEquals(n, rows.get(0).get("n").asLong());
    assertEquals(sum / n, rows.get(0).get("mean").asDouble(), 1e-9);
    assertEquals(400, get(seriesPath() + "/rolling?window=P7X").statusCode());
  }

  @Test
  void resampledGridWithFilledCells() throws Exception {
    // GDPC1 is quarterly: August 2010 lies between 2010-07-01 and 2010-10-01 (linear fill)
    JsonNode obs =
        JSON.readTree(Path.of("testdata/fred/GDPC1_obs_desc_limit60_2025-11-28.json").toFile())
            .get("observations");
    double jul = 0;
    double oct = 0;
    for (JsonNode o : obs) {
      if (o.get("date").asText().equals("2010-07-01")) {
        jul = o.get("value").asDouble();
      }
      if (o.get("date").asText().equals("2010-10-01")) {
        oct = o.get("value").asDouble();
      }
    }
    double expected = jul + (oct - jul) * 31.0 / 92.0;
    JsonNode rows =
        ok("/api/series/fred/GDPC1/resampled?every=P1M&from=2010-08-01T00:00:00Z&to=2010-08-01T00:00:00Z")
            .get("items");
    assertEquals(1, rows.size(), rows.toString());
    assertTrue(rows.get(0).get("filled").asBoolean(), rows.toString());
    assertEquals(expected, rows.get(0).get("value").asDouble(), 1e-6);
  }

  @Test
  void observationsAsOfAVintage() throws Exception {
    // PAYEMS March 2023: 155420 as published on 2023-05-05, revised to 155472 on 2023-07-18
    String march = "&from=2023-03-01T00:00:00Z&to=2023-03-01T00:00:00Z";
    String path = "/api/series/fred/PAYEMS/observations?";
    assertEquals(
        155420.0,
        ok(path + "asOf=2023-05-10T00:00:00Z" + march)
            .get("points")
            .get(0)
            .get("value")
            .asDouble());
    assertEquals(
        155472.0,
        ok(path + "asOf=2023-07-20T00:00:00Z" + march)
            .get("points")
            .get(0)
            .get("value")
            .asDouble());
    assertEquals(
        155472.0, ok(path + march.substring(1)).get("points").get(0).get("value").asDouble());
    assertEquals(0, ok(path + "asOf=2023-05-01T00:00:00Z" + march).get("points").size());
  }

  @Test
  void qualityResultsFailuresFirst() throws Exception {
    JsonNode items = ok("/api/quality?limit=100").get("items");
    assertThat(items.size(), greaterThan(10));
    // the default config's warn checks that fail on real data come before every pass
    assertEquals("fail", items.get(0).get("status").asText(), items.toString());
    boolean seenPass = false;
    for (JsonNode q : items) {
      if (q.get("status").asText().equals("pass")) {
        seenPass = true;
      } else {
        assertFalse(seenPass, "a failure after a pass: " + items);
      }
    }
    assertTrue(seenPass);
    assertTrue(items.toString().contains("\"check\":\"anomaly\""), items.toString());
  }

  @Test
  void openApiDescribesTheEndpoints() throws Exception {
    JsonNode doc = ok("/api/openapi.json");
    assertTrue(doc.get("paths").has("/api/series/{source}/{series_id}/observations"));
  }

  @Test
  void metricsInPrometheusText() throws Exception {
    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode(), r.body());
    assertThat(r.headers().firstValue("content-type").orElse(""), containsString("text/plain"));
    String body = r.body();
    assertThat(body, containsString("# TYPE tslake_table_rows gauge"));
    assertThat(body, containsString("tslake_table_rows{table=\"observations\"}"));
    assertThat(body, containsString("tslake_source_freshness_seconds{source=\"" + SOURCE + "\"}"));
    assertThat(body, containsString("tslake_last_run_age_seconds{"));
    assertThat(body, containsString("tslake_last_run_status{"));
    assertFalse(body.contains("tslake") && body.contains("password"), "no secrets");
  }
}

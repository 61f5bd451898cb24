package dev.tslake.sources.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.model.FetchOutcome;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.secret.SecretRef;
import dev.tslake.sources.ReadSources;
import dev.tslake.testing.FakeApiServer;
import dev.tslake.testing.TestPipelineExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Polled live sources on the DirectRunner in streaming mode, against a fake API whose data moves:
 * every served observation arrives once, each poll asks only for what is new, rate limits hold
 * across polls, and {@code stopAfter} ends the run.
 */
@ExtendWith(TestPipelineExtension.class)
class PollSourcesTest {
  // the DirectRunner runs the graph in this JVM: the collectors see what the graph emitted
  static final Queue<RawRecord> RAW = new ConcurrentLinkedQueue<>();
  static final Queue<SeriesInfo> SERIES = new ConcurrentLinkedQueue<>();
  static final Queue<FetchOutcome> OUTCOMES = new ConcurrentLinkedQueue<>();

  @TempDir Path dir;
  FakeApiServer server;

  @BeforeEach
  void start() {
    RAW.clear();
    SERIES.clear();
    OUTCOMES.clear();
    server = FakeApiServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ApiSettings api() {
    String base = server.baseUrl();
    return new ApiSettings(
        base,
        SecretRef.inThisJvm("fred-test-key", "FRED key"),
        base,
        null,
        base,
        null,
        base,
        "tslake-test test@example.com",
        base,
        5000,
        2,
        50,
        false);
  }

  private PipelineConfig config(String sources) throws IOException {
    Path p = dir.resolve("c.json");
    Files.writeString(p, "{\"sources\":[" + sources + "]}");
    return PipelineConfig.load(p);
  }

  private static void collect(PCollectionTuple out) {
    out.get(ReadSources.RAW).apply("CollectRaw", ParDo.of(new Collect<>(RAW)));
    out.get(ReadSources.SERIES).apply("CollectSeries", ParDo.of(new Collect<>(SERIES)));
    out.get(FetchSources.OUTCOMES).apply("CollectOutcomes", ParDo.of(new Collect<>(OUTCOMES)));
  }

  /** Adds each element to one of the static queues (by name: a DoFn must be serializable). */
  static final class Collect<T> extends DoFn<T, Void> {
    private final String which;

    Collect(Queue<T> queue) {
      this.which = queue == RAW ? "raw" : queue == SERIES ? "series" : "outcomes";
    }

    @ProcessElement
    public void process(@Element T t) {
      Queue<?> q = "raw".equals(which) ? RAW : "series".equals(which) ? SERIES : OUTCOMES;
      @SuppressWarnings("unchecked")
      Queue<Object> target = (Queue<Object>) q;
      target.add(t);
    }
  }

  private static TestPipeline streaming(TestPipeline p) {
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    return p;
  }

  @Test
  void pollsFetchWhatIsNewOnceAndHoldTheRateAcrossPolls(TestPipeline p) throws IOException {
    FakeApiServer.Moving fred =
        server.growingFredSeries("GROW", LocalDate.parse("2026-01-01"), 3, 1);
    FakeApiServer.Moving btc = server.movingCoinDesk(Instant.parse("2026-01-01T00:00:00Z"));
    PipelineConfig config =
        config(
            "{\"name\":\"fred\",\"type\":\"fred\",\"series\":[\"GROW\"],\"poll\":\"PT1S\"},"
                + "{\"name\":\"btc\",\"type\":\"coindesk\",\"poll\":\"PT1S\","
                + "\"maxRequestsPerSecond\":0.5}");
    // polls come one a second from the first for stopAfter, with no catch-up of late ticks: 8 s
    // leave several polls to a busy machine
    collect(
        streaming(p).apply("Poll", PollSources.of(config, api(), Map.of(), Duration.ofSeconds(8))));
    PipelineResult.State state = p.run().waitUntilFinish();
    assertEquals(PipelineResult.State.DONE, state);

    // FRED: polls; each asks from the day after the newest date served before; each date once
    List<List<String>> served = fred.served();
    List<String> asked = fred.asked();
    assertTrue(served.size() >= 2, "at least two FRED polls: " + served);
    assertEquals("", asked.get(0), "the first poll has no start (no fetch_state)");
    String newest = null;
    List<String> allDates = new ArrayList<>();
    for (int i = 0; i < served.size(); i++) {
      if (i > 0) {
        assertTrue(
            asked.get(i).compareTo(newest) > 0,
            "poll " + i + " asks from " + asked.get(i) + ", after the newest served " + newest);
      }
      for (String d : served.get(i)) {
        newest = newest == null || d.compareTo(newest) > 0 ? d : newest;
        allDates.add(d);
      }
    }
    List<String> fredTs =
        RAW.stream()
            .filter(r -> r.source.equals("fred"))
            .peek(r -> assertEquals(null, r.error, r.toString()))
            .map(r -> r.ts)
            .sorted()
            .collect(Collectors.toList());
    assertEquals(allDates.stream().sorted().collect(Collectors.toList()), fredTs);
    assertEquals(fredTs.size(), new TreeSet<>(fredTs).size(), "each observation once");
    assertTrue(fredTs.size() >= 4, "the series grew between polls: " + fredTs);
    long metadataRequests =
        server.requests().stream().filter(r -> r.path().equals("/fred/series")).count();
    assertEquals(1, metadataRequests, "metadata fetched once, not every poll");
    assertEquals(1, SERIES.size());

    // CoinDesk: one snapshot per poll, each once, its ts the API's updated time
    List<String> snapshots =
        btc.served().stream().map(l -> l.get(0)).sorted().collect(Collectors.toList());
    List<String> btcTs =
        RAW.stream()
            .filter(r -> r.source.equals("btc"))
            .map(r -> r.ts)
            .sorted()
            .collect(Collectors.toList());
    assertEquals(snapshots, btcTs);
    assertTrue(snapshots.size() >= 2, "several polls: " + snapshots);

    // every request has an outcome, all complete
    assertEquals(served.size() + snapshots.size() + 1, OUTCOMES.size());
    assertFalse(OUTCOMES.stream().anyMatch(o -> !o.complete), OUTCOMES.toString());

    // the rate limit (0.5/s) holds across polls that come every second
    List<FakeApiServer.Recorded> starts =
        server.requests().stream()
            .filter(r -> r.path().startsWith("/v1/bpi"))
            .sorted(Comparator.comparingLong(FakeApiServer.Recorded::startNanos))
            .collect(Collectors.toList());
    // (server-side times: a request may reach the server up to ~1 s after the limiter let it go,
    // e.g. the first one on a busy machine, so k intervals of 2 s span at least 2k - 1 s)
    assertTrue(starts.size() >= 2);
    for (int i = 0; i < starts.size(); i++) {
      for (int k = 1; i + k < starts.size(); k++) {
        long span = starts.get(i + k).startNanos() - starts.get(i).startNanos();
        assertTrue(
            span >= (2L * k - 1) * 1_000_000_000L,
            "requests " + i + " and " + (i + k) + " started " + span / 1e6 + " ms apart");
      }
    }
  }

  @Test
  void aFailedPollIsAFailedOutcomeAndTheNextPollAsksAgain(TestPipeline p) throws IOException {
    FakeApiServer.Moving fred =
        server.growingFredSeries("GROW", LocalDate.parse("2026-01-01"), 3, 1);
    server.fail("/fred/series/observations", FakeApiServer.Fault.status(500));
    server.fail("/fred/series/observations", FakeApiServer.Fault.status(500));
    PipelineConfig config =
        config("{\"name\":\"fred\",\"type\":\"fred\",\"series\":[\"GROW\"],\"poll\":\"PT1S\"}");
    collect(
        streaming(p)
            .apply(
                "Poll",
                PollSources.of(
                    config,
                    api(),
                    Map.of("fred\u0000GROW", LocalDate.parse("2026-01-01")),
                    Duration.ofSeconds(8))));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    // the first poll failed for good (2 attempts, both 500): a reject and a failed outcome
    assertTrue(OUTCOMES.stream().anyMatch(o -> !o.complete), OUTCOMES.toString());
    assertTrue(RAW.stream().anyMatch(r -> r.error != null && r.error.contains("request failed")));
    // seeded from fetch_state: every poll asks from the day after 2026-01-01 until one completes
    List<String> asked = fred.asked();
    assertEquals("2026-01-02", asked.get(0));
    List<String> dates =
        RAW.stream()
            .filter(r -> r.error == null)
            .map(r -> r.ts)
            .sorted()
            .collect(Collectors.toList());
    assertFalse(dates.isEmpty(), "a later poll fetched what the failed one missed");
    assertEquals("2026-01-02", dates.get(0));
    assertEquals(dates.size(), new TreeSet<>(dates).size());
  }

  @Test
  void stopAfterEndsAStreamingRun(TestPipeline p) throws IOException {
    server.movingCoinDesk(Instant.parse("2026-01-01T00:00:00Z"));
    PipelineConfig config = config("{\"name\":\"btc\",\"type\":\"coindesk\",\"poll\":\"PT1S\"}");
    collect(
        streaming(p).apply("Poll", PollSources.of(config, api(), Map.of(), Duration.ofSeconds(3))));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertFalse(RAW.isEmpty());
  }
}

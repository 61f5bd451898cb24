package dev.tslake.sources.live;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.config.ConfigException;
import dev.tslake.config.PipelineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A live fred source with {@code "vintages": true} asks FRED for every real-time period. */
class RequestPlannerVintagesTest {
  @TempDir Path dir;

  private static ApiSettings api() {
    return new ApiSettings(
        "http://fred.test",
        null,
        "http://av.test",
        null,
        "http://census.test",
        null,
        "http://edgar.test",
        null,
        "http://coindesk.test",
        1000,
        1,
        1,
        false);
  }

  private PipelineConfig config(String json) throws IOException {
    Path p = dir.resolve("c.json");
    Files.writeString(p, json);
    return PipelineConfig.load(p);
  }

  private static List<String> observationUrls(
      PipelineConfig c, Map<String, LocalDate> completeThrough) {
    return RequestPlanner.plan(c, api(), completeThrough, false).stream()
        .filter(r -> r.kind == ApiRequest.Kind.FRED_OBSERVATIONS)
        .map(r -> r.url)
        .collect(Collectors.toList());
  }

  @Test
  void vintagesAskForEveryRealtimePeriod() throws IOException {
    PipelineConfig c =
        config(
            "{\"sources\":[{\"name\":\"f\",\"type\":\"fred\",\"series\":[\"PAYEMS\"],"
                + "\"vintages\":true}]}");
    assertEquals(
        List.of(
            "http://fred.test/fred/series/observations?series_id=PAYEMS&file_type=json"
                + "&realtime_start=1776-07-04&realtime_end=9999-12-31"),
        observationUrls(c, Map.of()));
    // incremental fetches keep their observation_start and still ask for every vintage
    assertThat(
        observationUrls(c, Map.of("f\u0000PAYEMS", LocalDate.parse("2023-04-01"))).get(0),
        containsString(
            "&observation_start=2023-04-02&realtime_start=1776-07-04&realtime_end=9999-12-31"));
  }

  @Test
  void withoutVintagesFredAnswersTodaysValuesOnly() throws IOException {
    PipelineConfig c =
        config("{\"sources\":[{\"name\":\"f\",\"type\":\"fred\",\"series\":[\"PAYEMS\"]}]}");
    assertThat(observationUrls(c, Map.of()).get(0), not(containsString("realtime_")));
  }

  @Test
  void vintagesAreForLiveFredOnly() {
    assertThat(
        assertThrows(
                ConfigException.class,
                () ->
                    config(
                        "{\"sources\":[{\"name\":\"x\",\"type\":\"fred\",\"files\":[\"a.json\"],"
                            + "\"vintages\":true}]}"))
            .getMessage(),
        containsString("source 'x': 'vintages' applies to live fred sources only"));
  }
}

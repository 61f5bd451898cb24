package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.RunSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code poll} (live sources), {@code watch} (file sources) and {@code --stopAfter}. */
class SourceConfigPollWatchTest {
  @TempDir Path dir;

  private PipelineConfig csv(String extra) throws IOException {
    return load(
        "{\"name\":\"x\",\"type\":\"csv\",\"files\":[\"a/*.csv\"],"
            + "\"timestampColumn\":\"t\",\"valueColumns\":[\"v\"],\"seriesId\":\"s\""
            + extra
            + "}");
  }

  private PipelineConfig fred(String extra) throws IOException {
    return load("{\"name\":\"x\",\"type\":\"fred\",\"series\":[\"GDP\"]" + extra + "}");
  }

  private PipelineConfig load(String source) throws IOException {
    Path p = dir.resolve("c.json");
    Files.writeString(p, "{\"sources\":[" + source + "]}");
    return PipelineConfig.load(p);
  }

  private String error(ThrowingSupplier s) {
    return assertThrows(ConfigException.class, s::get).getMessage();
  }

  interface ThrowingSupplier {
    Object get() throws Exception;
  }

  @Test
  void absentMeansNeither() throws IOException {
    assertNull(csv("").source("x").watchInterval());
    assertNull(fred("").source("x").pollInterval());
  }

  @Test
  void durationsAreParsed() throws IOException {
    assertEquals(Duration.ofMinutes(1), fred(",\"poll\":\"PT1M\"").source("x").pollInterval());
    assertEquals(Duration.ofSeconds(30), csv(",\"watch\":\"pt30s\"").source("x").watchInterval());
    assertEquals(
        Duration.ofSeconds(5),
        load("{\"name\":\"x\",\"type\":\"coindesk\",\"poll\":\"PT5S\"}")
            .source("x")
            .pollInterval());
  }

  @Test
  void badDurationsAreRejected() {
    assertThat(
        error(() -> fred(",\"poll\":\"1 minute\"")),
        containsString("source 'x': poll '1 minute' is not an ISO-8601 duration"));
    assertThat(
        error(() -> fred(",\"poll\":\"PT0S\"")), containsString("poll 'PT0S' must be positive"));
    assertThat(
        error(() -> fred(",\"poll\":\"-PT5S\"")), containsString("poll '-PT5S' must be positive"));
    assertThat(error(() -> fred(",\"poll\":\"PT0.5S\"")), containsString("is shorter than PT1S"));
    assertThat(
        error(() -> csv(",\"watch\":\"PT0S\"")), containsString("watch 'PT0S' must be positive"));
    assertThat(
        error(() -> csv(",\"watch\":\"soon\"")),
        containsString("watch 'soon' is not an ISO-8601 duration"));
  }

  @Test
  void pollOnFilesAndWatchOnLiveAreRejected() {
    assertThat(
        error(() -> csv(",\"poll\":\"PT1M\"")),
        containsString("source 'x': 'poll' applies to live sources only"));
    assertThat(
        error(() -> fred(",\"watch\":\"PT1M\"")),
        containsString("source 'x': 'watch' applies to sources reading 'files' only"));
  }

  @Test
  void stopAfterIsAPositiveDuration() {
    assertNull(RunSettings.parseStopAfter(null));
    assertNull(RunSettings.parseStopAfter(" "));
    assertEquals(Duration.ofMinutes(10), RunSettings.parseStopAfter("PT10M"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> RunSettings.parseStopAfter("10m"))
            .getMessage(),
        containsString("--stopAfter '10m' is not an ISO-8601 duration"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> RunSettings.parseStopAfter("PT0S"))
            .getMessage(),
        containsString("--stopAfter 'PT0S' must be positive"));
  }
}

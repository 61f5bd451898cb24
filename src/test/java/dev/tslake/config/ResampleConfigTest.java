package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A source's {@code resample}: parsed, validated with errors naming the source and field. */
class ResampleConfigTest {
  @TempDir Path dir;

  private PipelineConfig load(String resample) throws IOException {
    Path p = dir.resolve("c.json");
    Files.writeString(
        p,
        "{\"sources\": [{\"name\": \"oil\", \"type\": \"fred\", \"files\": [\"x.json\"],"
            + " \"resample\": "
            + resample
            + "}]}");
    return PipelineConfig.load(p);
  }

  private String error(String resample) {
    return assertThrows(ConfigException.class, () -> load(resample)).getMessage();
  }

  @Test
  void parsesAndWidensTheReadBackByTwiceMaxGapAndTwoCells() throws IOException {
    SourceConfig s =
        load("{\"every\": \"P1D\", \"fill\": \"linear\", \"maxGap\": \"P7D\"}").source("oil");
    assertEquals(ResampleConfig.Fill.LINEAR, s.resample.fill());
    assertEquals(7L * 86_400_000, s.resample.maxGapMillis());
    assertEquals((2 * 7 + 2) * 86_400_000L, s.contextBefore());
    assertEquals(s.contextBefore(), s.contextAfter());
  }

  @Test
  void fillNoneNeedsNoMaxGap() throws IOException {
    SourceConfig s = load("{\"every\": \"P1M\"}").source("oil");
    assertEquals(ResampleConfig.Fill.NONE, s.resample.fill());
    assertNull(s.resample.maxGap);
    assertEquals(2 * 31 * 86_400_000L, s.contextBefore()); // two of the longest months
  }

  @Test
  void withoutResampleNoContext() throws IOException {
    Path p = dir.resolve("n.json");
    Files.writeString(
        p, "{\"sources\": [{\"name\": \"oil\", \"type\": \"fred\", \"files\": [\"x.json\"]}]}");
    assertEquals(0, PipelineConfig.load(p).source("oil").contextBefore());
  }

  @Test
  void errorsNameTheSourceAndField() {
    assertThat(error("{\"fill\": \"none\"}"), containsString("source 'oil': resample.every"));
    assertThat(
        error("{\"every\": \"P1X\"}"), containsString("source 'oil': resample.every: window"));
    assertThat(
        error("{\"every\": \"P1D\", \"fill\": \"spline\", \"maxGap\": \"P1D\"}"),
        containsString("resample.fill 'spline' must be one of none, previous, linear, mean"));
    assertThat(
        error("{\"every\": \"P1D\", \"fill\": \"previous\"}"),
        containsString("source 'oil': resample.maxGap is required with fill 'previous'"));
    assertThat(
        error("{\"every\": \"P1D\", \"fill\": \"mean\", \"maxGap\": \"P1M\"}"),
        containsString("resample.maxGap 'P1M' is not an ISO-8601 duration of days or time"));
    assertThat(
        error("{\"every\": \"P1D\", \"fill\": \"mean\", \"maxGap\": \"-P1D\"}"),
        containsString("resample.maxGap '-P1D' is negative"));
    assertThat(error("{\"every\": \"P1D\", \"evry\": \"P1D\"}"), containsString("evry"));
  }
}

package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The csv {@code splitBytes} field: optional, positive, csv only. */
class SourceConfigSplitBytesTest {
  @TempDir Path dir;

  private PipelineConfig load(String type, String extra) throws IOException {
    Path p = dir.resolve("c.json");
    Files.writeString(
        p,
        "{\"sources\":[{\"name\":\"x\",\"type\":\""
            + type
            + "\",\"files\":[\"a.csv\"],"
            + "\"timestampColumn\":\"t\",\"valueColumns\":[\"v\"],\"seriesId\":\"s\""
            + extra
            + "}]}");
    return PipelineConfig.load(p);
  }

  @Test
  void absentMeansWholeFiles() throws IOException {
    assertEquals(0L, load("csv", "").source("x").splitBytes);
  }

  @Test
  void aPositiveValueIsKept() throws IOException {
    assertEquals(67_108_864L, load("csv", ",\"splitBytes\":67108864").source("x").splitBytes);
    assertEquals(0L, load("csv", ",\"splitBytes\":0").source("x").splitBytes);
  }

  @Test
  void negativeIsRejected() {
    assertThat(
        assertThrows(ConfigException.class, () -> load("csv", ",\"splitBytes\":-1")).getMessage(),
        containsString("source 'x': splitBytes must be positive"));
  }

  @Test
  void otherTypesAreRejectedWithTheReason() {
    assertThat(
        assertThrows(ConfigException.class, () -> load("parquet", ",\"splitBytes\":1000"))
            .getMessage(),
        containsString("source 'x': splitBytes applies to csv sources only"));
    assertThat(
        assertThrows(ConfigException.class, () -> load("fred_csv", ",\"splitBytes\":1000"))
            .getMessage(),
        containsString("the header naming the series"));
  }

  @Test
  void notANumberIsRejected() {
    assertThrows(ConfigException.class, () -> load("csv", ",\"splitBytes\":\"big\""));
  }
}

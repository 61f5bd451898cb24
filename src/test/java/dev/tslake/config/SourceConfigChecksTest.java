package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code checks} field: parsed, validated with messages naming source, check and field. */
class SourceConfigChecksTest {
  @TempDir Path dir;

  private PipelineConfig load(String checks) throws IOException {
    Path p = dir.resolve("c.json");
    Files.writeString(
        p,
        "{\"sources\":[{\"name\":\"x\",\"type\":\"csv\",\"files\":[\"a.csv\"],"
            + "\"timestampColumn\":\"t\",\"valueColumns\":[\"v\"],\"seriesId\":\"s\","
            + "\"checks\":"
            + checks
            + "}]}");
    return PipelineConfig.load(p);
  }

  private String error(String checks) {
    return assertThrows(ConfigException.class, () -> load(checks)).getMessage();
  }

  @Test
  void everyTypeParsesWithItsIds() throws IOException {
    SourceConfig s =
        load("[{\"type\":\"not_null\",\"max\":0.1},"
                + "{\"type\":\"range\",\"min\":0,\"severity\":\"error\"},"
                + "{\"type\":\"range\",\"max\":10},"
                + "{\"type\":\"freshness\",\"maxAge\":\"P2D\"},"
                + "{\"type\":\"gaps\",\"k\":3},{\"type\":\"gaps\",\"maxGap\":\"P1W\"},"
                + "{\"type\":\"anomaly\",\"window\":\"P30D\",\"k\":4,\"id\":\"spikes\"},"
                + "{\"type\":\"min_rows\",\"min\":5}]")
            .source("x");
    assertEquals(
        List.of(
            "not_null", "range", "range#2", "freshness", "gaps", "gaps#2", "spikes", "min_rows"),
        s.checkIds());
    assertEquals("warn", s.checks.get(0).severity);
    assertEquals(true, s.checks.get(1).isError());
    assertEquals(7 * 86_400_000L, s.checks.get(5).maxGapMillis());
    assertEquals(30 * 86_400_000L, s.contextBefore()); // the anomaly window is read back
  }

  @Test
  void theDefaultConfigDeclaresChecks() {
    PipelineConfig c = PipelineConfig.load(Path.of("testdata/tslake.json"));
    assertEquals(List.of("not_null", "min_rows"), c.source("fred").checkIds());
    assertEquals(List.of("range", "gaps", "anomaly", "freshness"), c.source("bitstamp").checkIds());
  }

  @Test
  void unknownTypeNamesSourceAndIndex() {
    assertThat(
        error("[{\"type\":\"range\",\"min\":0},{\"type\":\"unique\"}]"),
        containsString("source 'x' check 1: 'type' 'unique' is unknown (one of anomaly,"));
    assertThat(error("[{\"severity\":\"warn\"}]"), containsString("check 0: 'type' is required"));
  }

  @Test
  void missingParameterNamesTheField() {
    assertThat(
        error("[{\"type\":\"not_null\"}]"),
        containsString("source 'x' check 0: 'max' is required"));
    assertThat(
        error("[{\"type\":\"freshness\"}]"), containsString("check 0: 'maxAge' is required"));
    assertThat(
        error("[{\"type\":\"anomaly\",\"k\":3}]"), containsString("check 0: 'window' is required"));
    assertThat(
        error("[{\"type\":\"anomaly\",\"window\":\"P1D\"}]"),
        containsString("check 0: 'k' is required"));
    assertThat(error("[{\"type\":\"min_rows\"}]"), containsString("check 0: 'min' is required"));
    assertThat(
        error("[{\"type\":\"range\"}]"), containsString("check 0: a range check needs 'min'"));
    assertThat(
        error("[{\"type\":\"gaps\"}]"), containsString("needs exactly one of 'k' or 'maxGap'"));
  }

  @Test
  void badValuesAreRefused() {
    assertThat(
        error("[{\"type\":\"range\",\"min\":0,\"severity\":\"fatal\"}]"),
        containsString("source 'x' check 0: 'severity' must be 'warn' or 'error' (was 'fatal')"));
    assertThat(
        error("[{\"type\":\"freshness\",\"maxAge\":\"P1M\"}]"),
        containsString("check 0: 'maxAge' 'P1M' is not an ISO-8601 duration of fixed length"));
    assertThat(
        error("[{\"type\":\"not_null\",\"max\":5}]"),
        containsString("'max' must be a share between 0 and 1"));
    assertThat(
        error("[{\"type\":\"range\",\"min\":0},{\"type\":\"range\",\"max\":1,\"id\":\"range\"}]"),
        containsString("two checks have the id 'range'"));
    assertThat(
        error("[{\"type\":\"range\",\"min\":0,\"tolerance\":1}]"), containsString("tolerance"));
  }
}

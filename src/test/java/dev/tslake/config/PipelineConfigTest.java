package dev.tslake.config;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineConfigTest {
  @TempDir Path dir;

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void defaultConfigLoadsWithPathsRelativeToItsFolder() {
    PipelineConfig c = PipelineConfig.load(Path.of("testdata/tslake.json"));
    assertThat(
        c.sources.stream().map(s -> s.type.id()).collect(Collectors.toSet()),
        hasItems("fred", "fred_csv", "alphavantage", "coindesk", "csv"));
    SourceConfig fred = c.source("fred");
    assertThat(fred.files.get(0).path, startsWith(Path.of("testdata").toAbsolutePath().toString()));
    assertThat(c.allWindows().size() >= 2, org.hamcrest.Matchers.is(true));
  }

  @Test
  void yamlAndFileObjects() throws IOException {
    Path p =
        write(
            "c.yaml",
            String.join(
                "\n",
                "sources:",
                "  - name: wti",
                "    type: fred_csv",
                "    windows: P1M",
                "    files:",
                "      - path: data/DCOILWTICO.csv",
                "        vintage: 2024-01-03",
                "      - other/*.csv"));
    PipelineConfig c = PipelineConfig.load(p);
    SourceConfig s = c.source("wti");
    assertEquals(2, s.files.size());
    assertEquals("2024-01-03", s.files.get(0).vintage);
    assertEquals(dir.resolve("data/DCOILWTICO.csv").toString(), s.files.get(0).path);
    assertEquals("P1M", s.windowSpecs().get(0).text());
  }

  @Test
  void errorsNameTheSourceAndField() throws IOException {
    assertThat(
        assertThrows(
                ConfigException.class,
                () ->
                    PipelineConfig.load(
                        write(
                            "a.json",
                            "{\"sources\":[{\"name\":\"x\",\"type\":\"csv\",\"files\":[\"a.csv\"],\"valueColumns\":[\"v\"],\"seriesId\":\"s\"}]}")))
            .getMessage(),
        containsString("source 'x': a csv source needs 'timestampColumn'"));
    assertThat(
        assertThrows(
                ConfigException.class,
                () ->
                    PipelineConfig.load(
                        write(
                            "b.json",
                            "{\"sources\":[{\"name\":\"x\",\"type\":\"fred\",\"files\":[\"a\"],\"windows\":[\"P5M\"]}]}")))
            .getMessage(),
        containsString("source 'x'"));
    assertThat(
        assertThrows(
                ConfigException.class,
                () ->
                    PipelineConfig.load(
                        write(
                            "c.json",
                            "{\"sources\":[{\"name\":\"x\",\"type\":\"nosuch\",\"files\":[\"a\"]}]}")))
            .getMessage(),
        containsString("unknown source type 'nosuch'"));
    assertThat(
        assertThrows(
                ConfigException.class,
                () ->
                    PipelineConfig.load(
                        write(
                            "d.json",
                            "{\"sources\":[{\"name\":\"x\",\"type\":\"fred\",\"files\":[\"a\"],\"windoes\":[\"P1M\"]}]}")))
            .getMessage(),
        containsString("windoes"));
    assertThat(
        assertThrows(
                ConfigException.class,
                () ->
                    PipelineConfig.load(
                        write(
                            "e.json",
                            "{\"sources\":[{\"name\":\"../x\",\"type\":\"fred\",\"files\":[\"a\"]}]}")))
            .getMessage(),
        containsString("source name '../x'"));
    assertThat(
        assertThrows(
                ConfigException.class,
                () ->
                    PipelineConfig.load(
                        write(
                            "f.json",
                            "{\"sources\":[{\"name\":\"x\",\"type\":\"fred\",\"files\":[\"a\"]},"
                                + "{\"name\":\"x\",\"type\":\"fred\",\"files\":[\"b\"]}]}")))
            .getMessage(),
        containsString("used twice"));
    assertThat(
        assertThrows(
                ConfigException.class,
                () -> PipelineConfig.load(write("g.json", "{\"sources\":[]}")))
            .getMessage(),
        containsString("no sources"));
    assertThat(
        assertThrows(ConfigException.class, () -> PipelineConfig.load(dir.resolve("none.json")))
            .getMessage(),
        containsString("does not exist"));
    assertThat(
        assertThrows(
                ConfigException.class,
                () -> PipelineConfig.load(write("h.json", "{\"sources\": [")))
            .getMessage(),
        containsString("invalid"));
  }
}

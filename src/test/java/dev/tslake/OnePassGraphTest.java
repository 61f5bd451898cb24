package dev.tslake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tslake.warehouse.StoredKeyRanges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which runs take the one-pass graph ({@code --onePass}): only a batch run of text files into a
 * warehouse that held none of their series at launch, with no step that needs every observation or
 * the stored rows. The graph is built, not run: the test looks for its {@code OnePass} step.
 */
class OnePassGraphTest {
  @TempDir Path dir;

  private Path config(String extra) throws IOException {
    Path data = dir.resolve("obs.csv");
    Files.writeString(data, "series_id,ts,value\na,2024-01-01T00:00:00Z,1\n");
    return Files.writeString(
        dir.resolve("c.json"),
        "{\"sources\": [{\"name\": \"s\", \"type\": \"csv\", \"windows\": [\"PT1H\"],"
            + " \"files\": [\""
            + data
            + "\"], \"timestampColumn\": \"ts\", \"seriesColumn\": \"series_id\","
            + " \"valueColumns\": [\"value\"]"
            + extra
            + "}]}");
  }

  /** The top-level steps of the graph the run would build, with nothing stored at launch. */
  private List<String> steps(Path config, StoredKeyRanges stored, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config=" + config,
                "--lake=" + dir.resolve("lake"),
                "--warehouseUrl=jdbc:duckdb:" + dir.resolve("w.duckdb"),
                "--ingestDate=2026-12-03",
                "--runId=r"));
    args.addAll(List.of(extra));
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(TsLakeOptions.class);
    RunSettings s = RunSettings.from(options, Map.of()).toBuilder().storedAtLaunch(stored).build();
    Pipeline p = Pipeline.create(options);
    TsLake.buildPipeline(p, s);
    List<String> names = new ArrayList<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (!node.isRootNode() && node.getEnclosingNode().isRootNode()) {
              names.add(node.getFullName());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    return names;
  }

  private boolean onePass(Path config, StoredKeyRanges stored, String... extra) {
    List<String> steps = steps(config, stored, extra);
    assertEquals(
        steps.contains("OnePass"), !steps.contains("ValidateAndClean"), "one graph or the other");
    return steps.contains("OnePass");
  }

  @Test
  void aFirstLoadOfFilesTakesIt() throws IOException {
    assertEquals(true, onePass(config(""), StoredKeyRanges.none()), "on by default");
    assertEquals(true, onePass(config(""), StoredKeyRanges.none(), "--onePass=true"));
    assertEquals(
        true, onePass(config(", \"splitBytes\": 16"), StoredKeyRanges.none(), "--onePass=true"));
  }

  @Test
  void otherRunsTakeTheStagedGraph() throws IOException {
    Path plain = config("");
    assertEquals(false, onePass(plain, StoredKeyRanges.none(), "--onePass=false"));
    // nothing read at launch: whether the warehouse holds the series is unknown
    assertEquals(false, onePass(plain, null, "--onePass=true"));
    assertEquals(
        false,
        onePass(config(", \"rolling\": [\"P7D\"]"), StoredKeyRanges.none(), "--onePass=true"));
    assertEquals(
        false,
        onePass(
            config(", \"checks\": [{\"type\": \"not_null\", \"max\": 0.1}]"),
            StoredKeyRanges.none(),
            "--onePass=true"));
    assertEquals(
        false,
        onePass(
            config(
                ", \"resample\": {\"every\": \"PT1H\", \"fill\": \"previous\", \"maxGap\": \"P1D\"}"),
            StoredKeyRanges.none(),
            "--onePass=true"));
    assertEquals(
        false, onePass(plain, StoredKeyRanges.none(), "--onePass=true", "--replayFromLake=true"));
  }

  @Test
  void aBadBucketIsRefusedByName() throws IOException {
    Path plain = config("");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> steps(plain, StoredKeyRanges.none(), "--onePass=true", "--onePassBucket=daily"));
    assertEquals(true, e.getMessage().contains("--onePassBucket"), e.getMessage());
    assertEquals(
        true, onePass(plain, StoredKeyRanges.none(), "--onePass=true", "--onePassBucket=PT6H"));
  }
}

package dev.tslake.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.config.PipelineConfig;
import dev.tslake.model.RawRecord;
import dev.tslake.testing.TestPipelineExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A watched csv glob on the DirectRunner in streaming mode: the file present at the start and one
 * dropped into the folder while the run goes are each read once, and {@code stopAfter} ends it.
 */
@ExtendWith(TestPipelineExtension.class)
class WatchFilesTest {
  // the DirectRunner runs the graph in this JVM: the collector sees what the graph emitted
  static final Queue<RawRecord> RAW = new ConcurrentLinkedQueue<>();

  @TempDir Path dir;

  static final class Collect extends DoFn<RawRecord, Void> {
    @ProcessElement
    public void process(@Element RawRecord r) {
      RAW.add(r);
    }
  }

  @Test
  void eachFileIsReadOnceIncludingOneDroppedMidRun(TestPipeline p) throws Exception {
    RAW.clear();
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.writeString(
        in.resolve("a.csv"),
        "t,v\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n2026-01-01T00:02:00Z,3\n");
    Path config = dir.resolve("c.json");
    // two patterns match a.csv: it is still read once
    Files.writeString(
        config,
        "{\"sources\":[{\"name\":\"w\",\"type\":\"csv\",\"files\":[\""
            + in
            + "/*.csv\",\""
            + in
            + "/a*.csv\"],\"timestampColumn\":\"t\",\"valueColumns\":[\"v\"],"
            + "\"seriesId\":\"s\",\"watch\":\"PT1S\"}]}");
    p.getOptions().as(StreamingOptions.class).setStreaming(true);
    PCollectionTuple out =
        p.apply("Watch", WatchFiles.of(PipelineConfig.load(config), Duration.ofSeconds(12)));
    out.get(ReadSources.RAW).apply("Collect", ParDo.of(new Collect()));

    // b.csv appears once a.csv has been read: mid-run, whatever the machine's speed
    AtomicBoolean droppedAfterFirst = new AtomicBoolean();
    Thread dropper =
        new Thread(
            () -> {
              try {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (RAW.isEmpty() && System.nanoTime() < deadline) {
                  Thread.sleep(50);
                }
                droppedAfterFirst.set(!RAW.isEmpty());
                Path tmp = in.resolve("b.tmp");
                Files.writeString(tmp, "t,v\n2026-01-02T00:00:00Z,4\n2026-01-02T00:01:00Z,5\n");
                Files.move(tmp, in.resolve("b.csv"), StandardCopyOption.ATOMIC_MOVE);
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    dropper.start();
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    dropper.join();

    assertTrue(droppedAfterFirst.get(), "b.csv was dropped after a.csv had been read");
    Map<String, Long> byFile =
        RAW.stream()
            .peek(r -> assertEquals(null, r.error, r.toString()))
            .collect(
                Collectors.groupingBy(
                    r -> r.origin.substring(r.origin.lastIndexOf('/') + 1), Collectors.counting()));
    assertEquals(Map.of("a.csv", 3L, "b.csv", 2L), byFile);
    List<String> keys = RAW.stream().map(r -> r.origin + " " + r.locator).toList();
    assertEquals(keys.size(), keys.stream().distinct().count(), "no record twice: " + keys);
    assertEquals(
        List.of("1", "2", "3", "4", "5"),
        RAW.stream().map(r -> r.value).sorted().collect(Collectors.toList()));
  }
}

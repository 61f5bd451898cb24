package dev.tslake.onepass;

import dev.tslake.config.PipelineConfig;
import dev.tslake.config.TimestampParser;
import dev.tslake.lake.InputLanding;
import dev.tslake.model.Observation;
import dev.tslake.model.RawRecord;
import dev.tslake.model.SeriesInfo;
import dev.tslake.sources.FileTask;
import dev.tslake.sources.ParseOutput;
import dev.tslake.sources.ReadSources;
import dev.tslake.transform.ValidateAndClean;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one-pass read step's per-record stages, one thread, outside any runner: {@code java -cp
 * target/test-classes:target/classes:$(cat target/classpath.txt) dev.tslake.onepass.ReadStepBench
 * config.json [rounds]}. Prints each stage's cumulative time per record (parse; + land; + validate;
 * + encode into chunks), the best of its rounds.
 */
public final class ReadStepBench {
  public static void main(String[] args) throws Exception {
    PipelineConfig config = PipelineConfig.load(Path.of(args[0]));
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    List<FileTask> tasks =
        ReadSources.expandFiles(config).stream()
            .map(t -> new FileTask(t.source, t.path, t.seriesIdHint, t.vintage))
            .distinct()
            .collect(java.util.stream.Collectors.toList());
    Observation.Coder coder = Observation.Coder.withKnown(ReadSources.knownStrings(config, tasks));
    Path lake = Files.createTempDirectory("readstep");
    String[] stages = {"parse", "+land", "+validate", "+encode"};
    for (int stage = 0; stage < stages.length; stage++) {
      long best = Long.MAX_VALUE;
      long n = 0;
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        n = run(config, tasks, coder, lake, stage, r);
        best = Math.min(best, System.nanoTime() - t0);
        System.out.printf(
            "  %s round %d: %.0f ns/record%n",
            stages[stage], r, (double) (System.nanoTime() - t0) / n);
      }
      System.out.printf(
          "%-10s %8.0f ns/record  (%d records, best of %d)%n",
          stages[stage], (double) best / n, n, rounds);
    }
  }

  static long run(
      PipelineConfig config,
      List<FileTask> tasks,
      Observation.Coder coder,
      Path lake,
      int stage,
      int round)
      throws IOException {
    ReadSources.TaskReader reader = new ReadSources.TaskReader(config);
    long[] n = {0};
    for (FileTask task : tasks) {
      TimestampParser parser =
          TimestampParser.of(config.sources.get(0).timestampFormat, config.sources.get(0).timeZone);
      Map<String, ByteArrayOutputStream> chunks = new HashMap<>();
      try (InputLanding landing =
          InputLanding.open(
              lake.toString(),
              "2026-12-03",
              "bench" + stage + "-" + round,
              task.source,
              task.path,
              -1,
              0,
              true)) {
        reader.read(
            task,
            null,
            new ParseOutput() {
              @Override
              public void record(RawRecord r) {
                n[0]++;
                try {
                  if (stage >= 1) {
                    landing.write(r);
                  }
                  if (stage >= 2) {
                    dev.tslake.transform.Validated v = ValidateAndClean.validate(r, parser);
                    if (stage >= 3 && v.isValid()) {
                      Observation o = v.observation();
                      coder.encode(
                          o,
                          chunks.computeIfAbsent(
                              o.seriesId, k -> new ByteArrayOutputStream(1 << 16)));
                      if (chunks.get(o.seriesId).size() > (1 << 20)) {
                        chunks.get(o.seriesId).reset();
                      }
                    }
                  }
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              }

              @Override
              public void series(SeriesInfo info) {}
            });
        if (stage >= 1) {
          landing.commit(n[0]);
        }
      }
    }
    return n[0];
  }
}

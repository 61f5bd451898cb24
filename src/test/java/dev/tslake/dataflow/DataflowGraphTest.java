package dev.tslake.dataflow;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.ContinuousGraph;
import dev.tslake.RunSettings;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.aggregate.AggregateTriggering;
import dev.tslake.model.Aggregate;
import dev.tslake.model.Reject;
import dev.tslake.model.SeriesInfo;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.sdk.util.construction.RehydratedComponents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default job's graph, built and checked for Dataflow without a cloud project or network.
 *
 * <p>The Dataflow runner is a test dependency of every build, so this runs in CI; if it were
 * missing from the classpath the test fails rather than skips. It uses the runner only through
 * reflection. See runners/dataflow/README.md for what this does and does not check.
 */
class DataflowGraphTest {
  static final String RUNNER = "org.apache.beam.runners.dataflow.DataflowRunner";

  /** Dataflow options that need no credentials, no network and no existing bucket. */
  static List<String> offlineArgs(Path dir) {
    return new ArrayList<>(
        List.of(
            "--runner=DataflowRunner",
            "--project=tslake-offline",
            "--region=us-central1",
            "--tempLocation=gs://tslake-offline/tmp",
            "--gcpTempLocation=gs://tslake-offline/tmp",
            // GcsPathValidator would ask GCS whether the bucket exists
            "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
            // no Application Default Credentials on this machine
            "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
            "--lake=gs://tslake-offline/lake",
            "--warehouseUrl=jdbc:postgresql://10.0.0.5:5432/tslake",
            "--warehouseUser=tslake",
            "--runId=offline-graph-test",
            "--ingestDate=2025-01-01",
            "--config=testdata/tslake.json"));
  }

  static TsLakeOptions options(List<String> args) {
    PipelineOptionsFactory.register(TsLakeOptions.class);
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
        .withValidation()
        .as(TsLakeOptions.class);
  }

  static Object dataflowRunner(PipelineOptions options) throws Exception {
    try {
      return Class.forName(RUNNER)
          .getMethod("fromOptions", PipelineOptions.class)
          .invoke(null, options);
    } catch (InvocationTargetException e) {
      throw (Exception) e.getCause();
    }
  }

  // No WriteRawToLake: file sources land their raw records in the lake as ReadSources reads them
  // (no shuffle); the step exists only for live API sources, which the default config has none of.
  static final List<String> STAGES =
      List.of(
          "ReadSources",
          "ValidateAndClean",
          "TouchedSpans",
          "ReadStoredObservations",
          "DedupLatestVintage",
          "WindowedAggregates",
          "LoadObservations",
          "LoadRejects",
          "LoadAggregates",
          "SeriesDimension",
          "LoadSeries",
          "WriteRejectedToLake",
          "RecordRun");

  private static Set<String> topLevel(RunSettings settings, TsLakeOptions options) {
    Pipeline p = Pipeline.create(options);
    TsLake.buildPipeline(p, settings);
    RunnerApi.Pipeline proto = PipelineTranslation.toProto(p);
    Set<String> names = new TreeSet<>();
    for (String id : proto.getRootTransformIdsList()) {
      names.add(proto.getComponents().getTransformsOrThrow(id).getUniqueName());
    }
    return names;
  }

  /**
   * A batch run into a warehouse that held no observation of its sources at launch reads nothing
   * back: no stored rows, no flattens with them. The default config's freshness check still needs
   * the touched spans (the newest stored point).
   */
  @Test
  void aRunIntoAnEmptyWarehouseReadsNothingBack(@TempDir Path dir) throws Exception {
    TsLakeOptions options = options(offlineArgs(dir));
    RunSettings settings = RunSettings.from(options);
    List<String> readBack = List.of("ReadStoredObservations", "WithStored", "CurrentObservations");

    Set<String> empty =
        topLevel(settings.withStoredAtLaunch(dev.tslake.warehouse.StoredKeyRanges.none()), options);
    for (String step : readBack) {
      assertTrue(!empty.contains(step), step + " in a run into an empty warehouse");
    }
    assertTrue(empty.contains("TouchedSpans"), "freshness needs the spans: " + empty);
    assertTrue(empty.contains("DedupLatestVintage") && empty.contains("WindowedAggregates"));

    // unknown (not read at launch: streaming, or a warehouse without the ranges): read back
    Set<String> unknown = topLevel(settings.withStoredAtLaunch(null), options);
    for (String step : readBack) {
      assertTrue(unknown.contains(step), step + " missing from " + unknown);
    }
  }

  @Test
  void theDefaultJobTranslatesForDataflowWithStableCoders(@TempDir Path dir) throws Exception {
    TsLakeOptions options = options(offlineArgs(dir));
    assertEquals(RUNNER, options.getRunner().getName());
    // DataflowRunner's own validation of the options (project id, region, temp/staging paths,
    // worker settings); with the GCS validator it would need the bucket.
    Object runner = dataflowRunner(options);
    assertEquals(RUNNER, runner.getClass().getName());

    Pipeline p = Pipeline.create(options);
    TsLake.buildPipeline(p, RunSettings.from(options));
    RunnerApi.Pipeline proto = PipelineTranslation.toProto(p);
    RunnerApi.Components c = proto.getComponents();

    Set<String> topLevel = new TreeSet<>();
    for (String id : proto.getRootTransformIdsList()) {
      topLevel.add(c.getTransformsOrThrow(id).getUniqueName());
    }
    for (String stage : STAGES) {
      assertTrue(topLevel.contains(stage), stage + " missing from " + topLevel);
    }
    assertTrue(!topLevel.contains("WriteRawToLake"), "raw records of files shuffled to the lake");

    // Every PCollection has a coder Dataflow can ship; none of the element types on the hot path
    // (raw records, observations, aggregates, rejects) falls back to Java serialization.
    List<String> serializable = new ArrayList<>();
    for (Map.Entry<String, RunnerApi.PCollection> e : c.getPcollectionsMap().entrySet()) {
      String coder = describeCoder(c, e.getValue().getCoderId());
      if (coder.contains("SerializableCoder") && hotPath(coder)) {
        serializable.add(e.getValue().getUniqueName() + ": " + coder);
      }
    }
    assertEquals(List.of(), serializable);
    // the framed coders of the hot path and of what the loads regroup, and Beam's own coders for
    // the low-volume types
    for (List<String> custom :
        List.of(
            List.of("dev.tslake.model.RawRecord$Coder"),
            List.of("dev.tslake.model.Observation$Coder"),
            List.of("dev.tslake.model.Aggregate$Coder"),
            List.of("dev.tslake.model.RollingStat$Coder"))) {
      assertTrue(
          c.getCodersMap().values().stream()
              .map(cd -> cd.getSpec().getPayload().toStringUtf8())
              .anyMatch(payload -> custom.stream().allMatch(payload::contains)),
          custom + " not used anywhere in the graph");
    }
    // aggregates: their framed coder; series metadata: a Beam schema coder; rejects: Beam's coders
    // composed
    RehydratedComponents rehydrated = RehydratedComponents.forComponents(c);
    Map<String, Set<String>> lowVolume = new TreeMap<>();
    for (RunnerApi.PCollection pc : c.getPcollectionsMap().values()) {
      Coder<?> coder = rehydrated.getCoder(pc.getCoderId());
      Class<?> type = coder.getEncodedTypeDescriptor().getRawType();
      if (type == Aggregate.class || type == Reject.class || type == SeriesInfo.class) {
        lowVolume
            .computeIfAbsent(type.getSimpleName(), t -> new TreeSet<>())
            .add(coder.getClass().getName().replace(coder.getClass().getPackageName() + ".", ""));
      }
    }
    assertEquals(
        Map.of(
            "Aggregate", Set.of("Aggregate$Coder"),
            "Reject", Set.of("DelegateCoder"),
            "SeriesInfo", Set.of("SchemaCoder")),
        lowVolume);
  }

  static boolean hotPath(String coder) {
    return coder.contains("RawRecord")
        || coder.contains("Observation")
        || coder.contains("Aggregate")
        || coder.contains("Reject");
  }

  /** A readable description of a coder and its components (custom coders carry their class). */
  static String describeCoder(RunnerApi.Components c, String coderId) {
    RunnerApi.Coder coder = c.getCodersOrThrow(coderId);
    StringBuilder b = new StringBuilder(coder.getSpec().getUrn());
    if (coder.getSpec().getUrn().equals("beam:coders:javasdk:0.1")) {
      String payload = coder.getSpec().getPayload().toStringUtf8();
      for (String name :
          List.of(
              "SerializableCoder",
              "RawRecord",
              "Observation",
              "Aggregate",
              "Reject",
              "SeriesInfo",
              "SeriesRow",
              "FileTask")) {
        if (payload.contains(name)) {
          b.append(' ').append(name);
        }
      }
    }
    if (coder.getComponentCoderIdsCount() > 0) {
      b.append('<');
      for (String id : coder.getComponentCoderIdsList()) {
        b.append(describeCoder(c, id)).append(',');
      }
      b.append('>');
    }
    return b.toString();
  }

  /**
   * The runner's whole run() path offline: overrides, Dataflow translation, staging and the job
   * description, written as a classic template instead of being submitted ({@code
   * --templateLocation}: DataflowRunner writes the job there and does not call the service).
   * Staging goes to a local folder (the path validator is a no-op) with just the compiled classes,
   * so nothing leaves the machine.
   */
  @Test
  void theRunnerWritesTheJobAsATemplateWithoutSubmitting(@TempDir Path dir) throws Exception {
    List<String> args = offlineArgs(dir);
    Path template = dir.resolve("tslake-template.json");
    args.add("--stagingLocation=" + dir.resolve("staging"));
    args.add("--filesToStage=" + Path.of("target/classes").toAbsolutePath());
    args.add("--templateLocation=" + template);
    // (--dataflowJobFile writes the same JSON but then submits; the two are mutually exclusive)
    TsLakeOptions options = options(args);
    Pipeline p = Pipeline.create(options);
    TsLake.buildPipeline(p, RunSettings.from(options));
    PipelineResult result = p.run();
    assertEquals("DataflowTemplateJob", result.getClass().getSimpleName());

    String job = Files.readString(template);
    Files.writeString(Path.of("target/dataflow-offline-template.json"), job);
    assertThat(job, containsString("tslake-offline"));
    for (String stage :
        List.of(
            "ReadSources",
            "ValidateAndClean",
            "DedupLatestVintage",
            "WindowedAggregates",
            "LoadObservations",
            "RecordRun")) {
      assertThat(stage, job, containsString(stage));
    }
    assertFalse(
        job.contains("SerializableCoder$") && job.contains("RawRecord\","),
        "raw records must not be Java-serialized");
    assertTrue(listStaged(dir.resolve("staging")) > 0, "nothing staged");
  }

  static long listStaged(Path staging) throws IOException {
    try (var files = Files.list(staging)) {
      return files.count();
    }
  }

  /**
   * Issue 11: the continuous graph ({@code --streaming=true}) of a config with polled APIs and a
   * watched folder (both ticked by the {@code Ticks} unbounded source), translated by the
   * DataflowRunner as a streaming job and written as a template without submitting: the job is a
   * streaming job, the hot path is not Java-serialized and every key of a shuffle or of state is
   * deterministically encoded, the stateful steps (dedup, window rewrites, the run's row) keep
   * their state and timers, and no secret (API key, warehouse password from a secrets file) is in
   * the job file.
   */
  @Test
  void theContinuousJobTranslatesForDataflowStreaming(@TempDir Path dir) throws Exception {
    Path incoming = Files.createDirectories(dir.resolve("incoming"));
    Path config =
        Files.writeString(
            dir.resolve("continuous.json"),
            "{\"sources\":["
                + "{\"name\":\"fred\",\"type\":\"fred\",\"series\":[\"DGS2\"],\"poll\":\"PT1M\","
                + "\"windows\":[\"P1M\"]},"
                + "{\"name\":\"btc\",\"type\":\"coindesk\",\"poll\":\"PT1M\","
                + "\"windows\":[\"PT1H\"]},"
                + "{\"name\":\"drops\",\"type\":\"csv\",\"files\":[\""
                + incoming.toString().replace("\\", "/")
                + "/*.csv\"],\"watch\":\"PT30S\",\"timestampColumn\":\"ts\","
                + "\"timestampFormat\":\"yyyy-MM-dd HH:mm:ss\",\"timeZone\":\"UTC\","
                + "\"seriesColumn\":\"series\",\"valueColumns\":[\"value\"],"
                + "\"windows\":[\"P1D\"]}]}");
    String password = "pwSTREAMsecret4Rt";
    String fredKey = "fredSTREAMsecret8Wq";
    Path secrets =
        Files.writeString(
            dir.resolve("secrets.json"),
            "{\"warehousePassword\":\"" + password + "\",\"fredApiKey\":\"" + fredKey + "\"}");
    List<String> args = offlineArgs(dir);
    args.removeIf(a -> a.startsWith("--config=") || a.startsWith("--runId="));
    Path template = dir.resolve("tslake-streaming-template.json");
    args.addAll(
        List.of(
            "--config=" + config,
            "--runId=offline-streaming-test",
            "--streaming=true",
            // the polls' seed is the warehouse's fetch_state; offline there is no warehouse
            "--fullRefetch=true",
            "--secretsFile=" + secrets,
            "--stagingLocation=" + dir.resolve("staging"),
            "--filesToStage=" + Path.of("target/classes").toAbsolutePath(),
            "--templateLocation=" + template));
    TsLakeOptions options = options(args);
    RunSettings s = RunSettings.from(options, Map.of());
    assertEquals(password, s.warehouse.passwordRef().resolve());
    Pipeline p = Pipeline.create(options);
    ContinuousGraph.build(
        p,
        s,
        new ContinuousGraph.Timing(
            AggregateTriggering.fromOptions(options), org.joda.time.Duration.standardMinutes(1)));

    // the portable graph: coders and state
    RunnerApi.Pipeline proto = PipelineTranslation.toProto(p);
    RunnerApi.Components c = proto.getComponents();
    RehydratedComponents rehydrated = RehydratedComponents.forComponents(c);
    List<String> serializable = new ArrayList<>();
    for (RunnerApi.PCollection pc : c.getPcollectionsMap().values()) {
      String coder = describeCoder(c, pc.getCoderId());
      if (coder.contains("SerializableCoder") && hotPath(coder)) {
        serializable.add(pc.getUniqueName() + ": " + coder);
      }
    }
    assertEquals(List.of(), serializable);
    Set<String> stateful = new TreeSet<>();
    List<String> nondeterministic = new ArrayList<>();
    for (RunnerApi.PTransform t : c.getTransformsMap().values()) {
      String urn = t.getSpec().getUrn();
      boolean keyed = urn.equals("beam:transform:group_by_key:v1");
      if (urn.equals("beam:transform:pardo:v1")) {
        RunnerApi.ParDoPayload pardo = RunnerApi.ParDoPayload.parseFrom(t.getSpec().getPayload());
        if (pardo.getStateSpecsCount() > 0 || pardo.getTimerFamilySpecsCount() > 0) {
          stateful.add(t.getUniqueName());
          keyed = true;
        }
      }
      if (!keyed) {
        continue;
      }
      for (String input : t.getInputsMap().values()) {
        Coder<?> coder = rehydrated.getCoder(c.getPcollectionsOrThrow(input).getCoderId());
        if (coder instanceof org.apache.beam.sdk.coders.KvCoder) {
          try {
            ((org.apache.beam.sdk.coders.KvCoder<?, ?>) coder).getKeyCoder().verifyDeterministic();
          } catch (Coder.NonDeterministicException e) {
            nondeterministic.add(t.getUniqueName() + ": " + e.getMessage());
          }
        }
      }
    }
    assertEquals(List.of(), nondeterministic);
    for (String step :
        List.of(
            "StreamingDedup", "ContinuousAggregates/RewriteWindows", "RunProgress/UpdateRunRow")) {
      assertTrue(
          stateful.stream().anyMatch(n -> n.startsWith(step)),
          step + " has no state or timers: " + stateful);
    }

    // the runner's whole run() path, written as a template instead of submitted
    PipelineResult result = p.run();
    assertEquals("DataflowTemplateJob", result.getClass().getSimpleName());
    String job = Files.readString(template);
    Files.writeString(Path.of("target/dataflow-offline-streaming-template.json"), job);
    com.fasterxml.jackson.databind.JsonNode tree =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(job);
    assertEquals("JOB_TYPE_STREAMING", tree.path("type").asText(), "not a streaming job");
    for (String step :
        List.of(
            "PollSources",
            "WatchFiles",
            "StreamingDedup",
            "LoadObservations",
            "ContinuousAggregates",
            "LatestStats",
            "RunProgress")) {
      assertThat(step, job, containsString(step));
    }
    // Dataflow's own translation: the polls' and the folder watch's ticks as native unbounded
    // reads (their checkpoint marks kept by the service), no splittable DoFn, the stateful steps
    // with keyed state
    Set<String> splittable = new TreeSet<>();
    Set<String> reads = new TreeSet<>();
    Set<String> keyedState = new TreeSet<>();
    for (com.fasterxml.jackson.databind.JsonNode step : tree.path("steps")) {
      com.fasterxml.jackson.databind.JsonNode props = step.path("properties");
      String name = props.path("user_name").path("value").asText(props.path("user_name").asText());
      if (step.path("kind").asText().equals("SplittableProcessKeyed")) {
        splittable.add(name);
      }
      if (step.path("kind").asText().equals("ParallelRead")) {
        reads.add(name);
      }
      com.fasterxml.jackson.databind.JsonNode keyed = props.path("uses_keyed_state");
      if (keyed.path("value").asText(keyed.asText()).equals("true")) {
        keyedState.add(name);
      }
    }
    assertEquals(Set.of(), splittable);
    for (String read :
        List.of("PollSources/Poll-fred/", "PollSources/Poll-btc/", "WatchFiles/Watch-drops-0/")) {
      assertTrue(
          reads.stream().anyMatch(n -> n.startsWith(read) && n.contains("UnboundedRead")),
          read + " not an unbounded read in " + reads);
    }
    assertTrue(
        keyedState.containsAll(
            List.of(
                "StreamingDedup/KeepNewestVintage",
                "ContinuousAggregates/RewriteWindows",
                "RunProgress/UpdateRunRow")),
        "keyed state: " + keyedState);
    List<String> found = new ArrayList<>();
    SecretsStayHomeTest.searchJson(tree, "template", Set.of(password, fredKey), found);
    assertEquals(List.of(), found);
  }
}

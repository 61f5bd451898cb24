package dev.tslake.dataflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tslake.RunSettings;
import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.lake.S3Lake;
import dev.tslake.sources.live.RequestPlanner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.util.StringUtils;
import org.apache.beam.sdk.util.construction.PipelineOptionsTranslation;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.UnknownFieldSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyInputStream;

/**
 * Issue 10, item 6: the warehouse password, the API keys and the S3 secret key are nowhere in what
 * a run ships to workers: the portable pipeline proto (every DoFn, CombineFn and source, Java
 * serialized and Snappy-compressed inside it, is unpacked and searched), the Java-serialized run
 * settings and pipeline options, the options' JSON, and the Dataflow job description written as a
 * template (every string in it decoded where it is an encoded DoFn or proto), plus the files staged
 * with it. Each secret is given once as an option, once in the environment and once in a secrets
 * file.
 */
class SecretsStayHomeTest {
  private static final String CONFIG =
      "{\"sources\":["
          + "{\"name\":\"fred\",\"type\":\"fred\",\"windows\":[\"P1M\"],\"series\":[\"DGS2\"]},"
          + "{\"name\":\"av\",\"type\":\"alphavantage\",\"windows\":[\"P1M\"],"
          + "\"function\":\"TIME_SERIES_DAILY_ADJUSTED\",\"symbols\":[\"IBM\"]},"
          + "{\"name\":\"census\",\"type\":\"census\",\"windows\":[\"P1Y\"],\"dataset\":\"2012/acs5\","
          + "\"get\":[\"B15003_001E\"],\"for\":\"state:*\"}]}";

  /** Secrets of one origin ("opt", "env", "file"): distinct, easy to find, never seen elsewhere. */
  static Map<String, String> secrets(String origin) {
    return Map.of(
        "warehousePassword", "pwSECRET" + origin + "7Qz",
        "fredApiKey", "fredSECRET" + origin + "9Kx",
        "alphaVantageApiKey", "avSECRET" + origin + "3Mv",
        "censusApiKey", "censusSECRET" + origin + "5Jw",
        "s3SecretKey", "s3SECRET" + origin + "8Hn");
  }

  static Path config(Path dir) throws IOException {
    return Files.writeString(dir.resolve("live.json"), CONFIG);
  }

  @Test
  void secretsGivenAsOptionsStayOutOfTheGraphAndTheOptions(@TempDir Path dir) throws Exception {
    Map<String, String> opt = secrets("opt");
    List<String> args = new ArrayList<>(localArgs(dir));
    opt.forEach((k, v) -> args.add("--" + k + "=" + v));
    args.add("--s3AccessKey=AKIDOPTION");
    TsLakeOptions options = DataflowGraphTest.options(args);
    assertNoSecretShipped(options, Map.of(), opt.values());
  }

  @Test
  void secretsFromTheEnvironmentAndASecretsFileStayOutOfTheGraphAndTheOptions(@TempDir Path dir)
      throws Exception {
    Map<String, String> env = envOf(secrets("env"));
    Path file = secretsFile(dir, secrets("file"));
    // env only
    List<String> envArgs = new ArrayList<>(localArgs(dir));
    envArgs.add("--s3AccessKey=AKIDENV");
    assertNoSecretShipped(DataflowGraphTest.options(envArgs), env, secrets("env").values());
    // the file wins over the environment
    List<String> fileArgs = new ArrayList<>(envArgs);
    fileArgs.add("--secretsFile=" + file);
    TsLakeOptions options = DataflowGraphTest.options(fileArgs);
    RunSettings s = assertNoSecretShipped(options, env, all());
    assertEquals(secrets("file").get("warehousePassword"), s.warehouse.passwordRef().resolve());
    assertEquals(secrets("file").get("fredApiKey"), s.api.fredApiKey.resolve());
  }

  @Test
  void theDataflowTemplateHoldsNoSecret(@TempDir Path dir) throws Exception {
    Map<String, String> env = envOf(secrets("env"));
    // the password and AV key from the file, the others from the environment
    Path file =
        secretsFile(
            dir,
            Map.of(
                "warehousePassword", secrets("file").get("warehousePassword"),
                "alphaVantageApiKey", secrets("file").get("alphaVantageApiKey"),
                "s3SecretKey", secrets("file").get("s3SecretKey")));
    Path template = dir.resolve("tslake-template.json");
    TsLakeOptions options =
        DataflowGraphTest.options(templateArgs(dir, config(dir), file, template));
    S3Lake.configure(options, env);
    RunSettings s = withRequests(RunSettings.from(options, env));
    assertFalse(s.requests.isEmpty());
    String job = writeTemplate(options, s, template, dir.resolve("staging"));
    assertTrue(job.contains("FetchSources") && job.contains("LoadObservations"), "steps missing");
  }

  /**
   * Offline Dataflow arguments that write {@code config}'s graph as a template to {@code template},
   * staging under {@code dir}, with the secrets of {@code secretsFile} and an S3 access key.
   */
  private static List<String> templateArgs(Path dir, Path config, Path secretsFile, Path template) {
    List<String> args = DataflowGraphTest.offlineArgs(dir);
    args.removeIf(a -> a.startsWith("--config="));
    args.addAll(
        List.of(
            "--config=" + config,
            "--secretsFile=" + secretsFile,
            "--s3AccessKey=AKIDTEMPLATE",
            "--stagingLocation=" + dir.resolve("staging"),
            "--filesToStage=" + Path.of("target/classes").toAbsolutePath(),
            "--templateLocation=" + template));
    return args;
  }

  /**
   * Writes the run's graph as a Dataflow template (offline: {@code options} name the template and
   * the staging folder) and returns the template's text, after asserting that neither it nor the
   * staged files (but the jars) hold any secret of {@link #all()}.
   */
  private static String writeTemplate(
      TsLakeOptions options, RunSettings s, Path template, Path staging) throws Exception {
    Pipeline p = Pipeline.create(options);
    TsLake.buildPipeline(p, s);
    PipelineResult result = p.run();
    assertEquals("DataflowTemplateJob", result.getClass().getSimpleName());

    List<String> found = new ArrayList<>();
    String job = Files.readString(template);
    searchJson(new ObjectMapper().readTree(job), "template", all(), found);
    try (Stream<Path> staged = Files.walk(staging)) {
      for (Path f : (Iterable<Path>) staged.filter(Files::isRegularFile)::iterator) {
        if (!f.toString().endsWith(".jar")) {
          deepSearch(Files.readAllBytes(f), "staged " + f.getFileName(), all(), found, 0);
        }
      }
    }
    assertEquals(List.of(), found);
    return job;
  }

  /**
   * A first load of files takes the one-pass graph (its steps hold the warehouse and load from the
   * workers): it translates for Dataflow, and its template holds no secret either.
   */
  @Test
  void theOnePassGraphsDataflowTemplateHoldsNoSecret(@TempDir Path dir) throws Exception {
    Path data =
        Files.writeString(dir.resolve("obs.csv"), "series_id,ts,value\na,2024-01-01T00:00:00Z,1\n");
    Path config =
        Files.writeString(
            dir.resolve("files.json"),
            "{\"sources\": [{\"name\": \"s\", \"type\": \"csv\", \"windows\": [\"PT1H\"],"
                + " \"files\": [\""
                + data
                + "\"], \"timestampColumn\": \"ts\", \"seriesColumn\": \"series_id\","
                + " \"valueColumns\": [\"value\"]}]}");
    Map<String, String> env = envOf(secrets("env"));
    Path file =
        secretsFile(
            dir,
            Map.of(
                "warehousePassword", secrets("file").get("warehousePassword"),
                "s3SecretKey", secrets("file").get("s3SecretKey")));
    Path template = dir.resolve("tslake-template.json");
    TsLakeOptions options = DataflowGraphTest.options(templateArgs(dir, config, file, template));
    S3Lake.configure(options, env);
    RunSettings s =
        RunSettings.from(options, env)
            .withStoredAtLaunch(dev.tslake.warehouse.StoredKeyRanges.none());
    String job = writeTemplate(options, s, template, dir.resolve("staging"));
    assertTrue(
        job.contains("OnePass/ReadLandValidate") && job.contains("OnePass/DedupFoldLoad"),
        "one-pass steps missing");
    assertFalse(job.contains("ValidateAndClean"), "the staged graph was built");
  }

  @Test
  void aSecretOnTheCommandLineOfARemoteRunnerFailsTheLaunchSayingWhereToPutIt(@TempDir Path dir)
      throws Exception {
    for (String option :
        List.of("--warehousePassword", "--fredApiKey", "--alphaVantageApiKey", "--censusApiKey")) {
      List<String> args = DataflowGraphTest.offlineArgs(dir);
      args.add(option + "=topSECRETvalue");
      TsLakeOptions options = DataflowGraphTest.options(args);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RunSettings.from(options, Map.of()));
      assertTrue(e.getMessage().contains(option), e.getMessage());
      assertTrue(e.getMessage().contains("--secretsFile"), e.getMessage());
      assertFalse(e.getMessage().contains("topSECRETvalue"), e.getMessage());
    }
    List<String> args = DataflowGraphTest.offlineArgs(dir);
    args.addAll(List.of("--s3AccessKey=AKID", "--s3SecretKey=topSECRETvalue"));
    TsLakeOptions options = DataflowGraphTest.options(args);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> S3Lake.configure(options, Map.of()));
    assertTrue(e.getMessage().contains("--s3SecretKey"), e.getMessage());
    assertFalse(e.getMessage().contains("topSECRETvalue"), e.getMessage());
  }

  static List<String> localArgs(Path dir) throws IOException {
    return List.of(
        "--config=" + config(dir),
        "--lake=s3://tslake-offline/lake",
        "--s3Endpoint=http://127.0.0.1:1",
        "--s3PathStyle=true",
        "--warehouseUrl=jdbc:postgresql://127.0.0.1:1/tslake",
        "--warehouseUser=tslake",
        "--runId=secrets-test",
        "--ingestDate=2025-01-01");
  }

  static Set<String> all() {
    Set<String> out = new LinkedHashSet<>();
    for (String origin : List.of("opt", "env", "file")) {
      out.addAll(secrets(origin).values());
    }
    return out;
  }

  static Map<String, String> envOf(Map<String, String> s) {
    return Map.of(
        "TSLAKE_WAREHOUSE_PASSWORD", s.get("warehousePassword"),
        "FRED_API_KEY", s.get("fredApiKey"),
        "ALPHAVANTAGE_API_KEY", s.get("alphaVantageApiKey"),
        "CENSUS_API_KEY", s.get("censusApiKey"),
        "AWS_SECRET_ACCESS_KEY", s.get("s3SecretKey"));
  }

  static Path secretsFile(Path dir, Map<String, String> entries) throws IOException {
    return Files.writeString(
        dir.resolve("secrets.json"), new ObjectMapper().writeValueAsString(entries));
  }

  static RunSettings withRequests(RunSettings s) {
    return s.withRequests(RequestPlanner.plan(s.config, s.api, Map.of(), false));
  }

  /**
   * Builds the run as the launcher does (S3 options mapped, settings derived, requests planned),
   * translates it, and searches everything that would travel.
   */
  static RunSettings assertNoSecretShipped(
      TsLakeOptions options, Map<String, String> env, Iterable<String> secrets) throws Exception {
    Set<String> wanted = new LinkedHashSet<>();
    secrets.forEach(wanted::add);
    S3Lake.configure(options, env);
    RunSettings s = withRequests(RunSettings.from(options, env));
    assertFalse(s.requests.isEmpty());
    Pipeline p = Pipeline.create(options);
    TsLake.buildPipeline(p, s);
    RunnerApi.Pipeline proto = PipelineTranslation.toProto(p);
    assertTrue(
        proto.getComponents().getTransformsMap().values().stream()
            .anyMatch(t -> t.getUniqueName().equals("FetchSources")),
        "no FetchSources in the graph");

    List<String> found = new ArrayList<>();
    deepSearch(proto.toByteArray(), "pipeline proto", wanted, found, 0);
    deepSearch(javaSerialized(s), "serialized RunSettings", wanted, found, 0);
    deepSearch(
        javaSerialized(new SerializablePipelineOptions(options)),
        "serialized options",
        wanted,
        found,
        0);
    deepSearch(
        PipelineOptionsTranslation.toProto(options).toByteArray(),
        "options proto",
        wanted,
        found,
        0);
    deepSearch(new ObjectMapper().writeValueAsBytes(options), "options JSON", wanted, found, 0);
    assertEquals(List.of(), found);
    return s;
  }

  static byte[] javaSerialized(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  /** Every string of a JSON document, searched as text and as encoded bytes. */
  static void searchJson(JsonNode node, String where, Set<String> secrets, List<String> found)
      throws IOException {
    if (node.isTextual()) {
      String text = node.asText();
      deepSearch(text.getBytes(StandardCharsets.UTF_8), where, secrets, found, 0);
      if (text.length() >= 16) {
        try {
          deepSearch(
              StringUtils.jsonStringToByteArray(text), where + " (bytes)", secrets, found, 0);
        } catch (RuntimeException e) {
          // not Beam's byte-array encoding
        }
        for (Base64.Decoder d : List.of(Base64.getDecoder(), Base64.getUrlDecoder())) {
          try {
            deepSearch(d.decode(text), where + " (base64)", secrets, found, 0);
          } catch (IllegalArgumentException e) {
            // not base64
          }
        }
      }
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      searchJson(f.getValue(), where + "." + f.getKey(), secrets, found);
    }
    int i = 0;
    for (JsonNode element : node.isArray() ? node : List.<JsonNode>of()) {
      searchJson(element, where + "[" + i++ + "]", secrets, found);
    }
  }

  /**
   * Searches the bytes for every secret, then looks inside them: Snappy-compressed blocks (Beam's
   * serialized DoFns) and protobuf messages, recursively.
   */
  static void deepSearch(
      byte[] bytes, String where, Set<String> secrets, List<String> found, int depth) {
    for (String s : secrets) {
      if (indexOf(bytes, s.getBytes(StandardCharsets.UTF_8)) >= 0) {
        String hit = where + " holds " + s;
        if (!found.contains(hit)) {
          found.add(hit);
        }
      }
    }
    if (depth > 8 || bytes.length < 4) {
      return;
    }
    try {
      if (Snappy.isValidCompressedBuffer(bytes)) {
        deepSearch(Snappy.uncompress(bytes), where + " (snappy)", secrets, found, depth + 1);
      }
    } catch (IOException | RuntimeException e) {
      // not a Snappy block
    }
    try (SnappyInputStream in = new SnappyInputStream(new ByteArrayInputStream(bytes))) {
      // Beam's SerializableUtils writes DoFns as a Snappy stream
      deepSearch(in.readAllBytes(), where + " (snappy stream)", secrets, found, depth + 1);
    } catch (IOException | RuntimeException e) {
      // not a Snappy stream
    }
    UnknownFieldSet fields;
    try {
      fields = UnknownFieldSet.parseFrom(bytes);
    } catch (IOException | RuntimeException e) {
      return;
    }
    for (UnknownFieldSet.Field f : fields.asMap().values()) {
      for (ByteString b : f.getLengthDelimitedList()) {
        deepSearch(b.toByteArray(), where, secrets, found, depth + 1);
      }
      for (UnknownFieldSet g : f.getGroupList()) {
        deepSearch(g.toByteArray(), where, secrets, found, depth + 1);
      }
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

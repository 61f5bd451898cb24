package dev.tslake.e2e;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.TsLake;
import dev.tslake.TsLakeOptions;
import dev.tslake.config.PipelineConfig;
import dev.tslake.lake.LakePaths;
import dev.tslake.lake.TsLakeS3ClientBuilderFactory;
import dev.tslake.sources.FileTask;
import dev.tslake.sources.ReadSources;
import dev.tslake.testing.S3ProxyServer;
import dev.tslake.testing.WarehouseDump;
import dev.tslake.warehouse.RunRecord;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * The lake on a real S3 API server (S3Proxy in its own JVM, through Beam's aws2 file system): the
 * default job writes the same objects to {@code s3://lake/tslake} as to a local lake, a lake file
 * larger than the upload buffer goes up in several parts, wrong credentials and a missing bucket
 * fail with a message naming the problem (never the secret), and a replay from the S3 lake rebuilds
 * the same observations.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3LakeTest {
  private static final String INGEST_DATE = "2026-11-20";

  private S3ProxyServer s3;
  private Path dir;

  // the default job, run once into a local lake and once into the S3 lake (shared by two tests)
  private WarehouseSpec s3Warehouse;
  private RunRecord localRun;
  private RunRecord s3Run;

  @BeforeAll
  void startS3(@TempDir Path tempDir) {
    dir = tempDir;
    s3 = S3ProxyServer.start();
    s3.createBucket("lake");
    s3.createBucket("sources");
  }

  @AfterAll
  void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  private RunRecord run(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--ingestDate=" + INGEST_DATE,
                "--enforceImmutability=false",
                "--enforceEncodability=false"));
    args.addAll(List.of(extra));
    TsLakeOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
            .withValidation()
            .as(TsLakeOptions.class);
    long t0 = System.nanoTime();
    RunRecord run = TsLake.run(options);
    System.out.printf(
        "S3LakeTest: run %s (lake %s) took %.1f s%n",
        options.getRunId(), options.getLake(), (System.nanoTime() - t0) / 1e9);
    return run;
  }

  private RunRecord runS3(String... extra) {
    List<String> args = new ArrayList<>(s3.options());
    args.addAll(List.of(extra));
    return run(args.toArray(new String[0]));
  }

  private synchronized void defaultJobRuns() {
    if (s3Run != null) {
      return;
    }
    localRun =
        run(
            "--lake=" + dir.resolve("local-lake"),
            "--warehouseUrl=jdbc:duckdb:" + dir.resolve("local.duckdb"),
            "--runId=local");
    s3Warehouse = new WarehouseSpec("jdbc:duckdb:" + dir.resolve("s3.duckdb"), null, null);
    s3Run = runS3("--lake=s3://lake/tslake", "--warehouseUrl=" + s3Warehouse.url, "--runId=s3");
  }

  @Test
  void defaultJobWritesTheSameLakeToS3AsToADirectory() throws IOException {
    defaultJobRuns();
    assertEquals(localRun.accountingMessage(), s3Run.accountingMessage());

    Path local = dir.resolve("local-lake");
    Map<String, Path> localFiles = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(local)) {
      walk.filter(Files::isRegularFile)
          .forEach(
              f ->
                  localFiles.put(
                      local
                          .relativize(f)
                          .toString()
                          .replace('\\', '/')
                          .replace("/run_id=local/", "/run_id=s3/"),
                      f));
    }
    Map<String, Long> s3Files = new TreeMap<>();
    // the run's own files: other tests of this class replay from this lake, and a replay run
    // writes its rejects into a run folder of its own (the lake is append-only)
    s3.files("lake", "tslake/").entrySet().stream()
        .filter(e -> e.getKey().contains("/run_id=s3/"))
        .forEach(e -> s3Files.put(e.getKey().substring("tslake/".length()), e.getValue()));

    // raw files of file sources: one per input data file (metadata files carry no raw records)
    PipelineConfig config = PipelineConfig.load(Path.of("testdata/tslake.json"));
    config.sources.forEach(source -> source.metadataFiles.clear());
    Set<String> inputFiles = new TreeSet<>();
    for (FileTask t : ReadSources.expandFiles(config)) {
      inputFiles.add(LakePaths.inputFile(LakePaths.RAW, t.source, INGEST_DATE, "s3", t.path));
    }
    assertThat(inputFiles.size(), greaterThan(40));
    assertEquals(
        inputFiles,
        localFiles.keySet().stream()
            .filter(k -> k.startsWith("raw/"))
            .collect(Collectors.toCollection(TreeSet::new)),
        "raw files of the local lake");
    assertEquals(localFiles.keySet(), s3Files.keySet(), "object keys under s3://lake/tslake/");
    assertTrue(localFiles.keySet().stream().anyMatch(k -> k.startsWith("rejected/")));
    assertTrue(
        s3Files.keySet().stream().noneMatch(k -> k.contains("temp")),
        "temporary objects left: " + s3Files.keySet());
    for (Map.Entry<String, Path> f : localFiles.entrySet()) {
      String localText = Files.readString(f.getValue(), StandardCharsets.UTF_8);
      String s3Text = s3.getString("lake", "tslake/" + f.getKey());
      assertEquals(csvRows(localText), csvRows(s3Text), f.getKey());
    }
  }

  @Test
  void replayFromTheS3LakeRebuildsTheSameObservations() {
    defaultJobRuns();
    WarehouseSpec rebuilt =
        new WarehouseSpec("jdbc:duckdb:" + dir.resolve("replay.duckdb"), null, null);
    RunRecord replay =
        runS3(
            "--lake=s3://lake/tslake",
            "--warehouseUrl=" + rebuilt.url,
            "--runId=replay",
            "--replayFromLake=true",
            "--replayIngestDate=" + INGEST_DATE);
    assertEquals(s3Run.accountingMessage(), replay.accountingMessage());
    assertEquals(WarehouseDump.observations(s3Warehouse), WarehouseDump.observations(rebuilt));
    assertEquals(WarehouseDump.aggregates(s3Warehouse), WarehouseDump.aggregates(rebuilt));
  }

  /**
   * One file of 100k rows read from an s3:// source: its raw lake file (~9 MB) is larger than the 5
   * MiB upload buffer, so it goes up as a multipart upload of several parts.
   */
  @Test
  void aLakeFileLargerThanTheUploadBufferIsUploadedInPartsAndReadsBackIntact() throws IOException {
    int rows = 100_000;
    Path csv = dir.resolve("big.csv");
    Instant start = Instant.parse("2020-01-01T00:00:00Z");
    StringBuilder text = new StringBuilder("ts,series_id,value\n");
    for (int i = 0; i < rows; i++) {
      text.append(start.plusSeconds(60L * i)).append(",big,").append(i).append(".25\n");
    }
    Files.writeString(csv, text);
    s3.put("sources", "in/big-1.csv", csv);
    Path config = dir.resolve("big.json");
    Files.writeString(
        config,
        "{\"sources\": [{\"name\": \"gen\", \"type\": \"csv\","
            + " \"windows\": [\"P1D\"], \"files\": [\"s3://sources/in/big-*.csv\"],"
            + " \"timestampColumn\": \"ts\", \"timestampFormat\": \"iso\","
            + " \"seriesColumn\": \"series_id\", \"valueColumns\": [\"value\"]}]}");

    RunRecord run =
        runS3(
            "--config=" + config,
            "--lake=s3://lake/big",
            "--warehouseUrl=jdbc:duckdb:" + dir.resolve("big.duckdb"),
            "--runId=big",
            "--s3UploadBufferSizeBytes=5242880",
            "--s3ClientFactoryClass=" + CountingS3ClientFactory.class.getName());
    assertEquals(rows, run.recordsRead);
    assertEquals(rows, run.observationsLoaded);

    Map<String, Long> objects = s3.files("lake", "big/");
    // one lake file for the one input file, written while the file was read
    String key =
        "big/"
            + LakePaths.inputFile(
                LakePaths.RAW, "gen", INGEST_DATE, "big", "s3://sources/in/big-1.csv");
    assertEquals(List.of(key), List.copyOf(objects.keySet()));
    assertThat(objects.get(key), greaterThan(5242880L));
    // S3Proxy's filesystem backend keeps no multipart ETag, so count the parts on the client
    // (the raw file goes up under a temporary key and is copied to the final name)
    assertEquals(
        2, CountingS3ClientFactory.maxParts(), "UploadPart requests of the largest upload");
    String back = s3.getString("lake", key);
    List<String> got = new ArrayList<>();
    try (CSVParser p =
        CSVFormat.RFC4180
            .builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .build()
            .parse(new StringReader(back))) {
      for (CSVRecord r : p) {
        assertEquals("s3://sources/in/big-1.csv", r.get("origin"));
        got.add(r.get("ts") + "," + r.get("value"));
      }
    }
    assertEquals(rows, got.size());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      expected.add(start.plusSeconds(60L * i) + "," + i + ".25");
    }
    got.sort(null);
    expected.sort(null);
    assertEquals(expected, got);
  }

  @Test
  void wrongCredentialsFailWithAClearMessageWithoutTheSecret() {
    String wrongSecret = "wrong-secret-5f3a9c1e77";
    IllegalArgumentException badSecret =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    "--lake=s3://lake/creds",
                    "--s3Endpoint=" + s3.endpoint(),
                    "--s3PathStyle=true",
                    "--s3AccessKey=" + s3.accessKey(),
                    "--s3SecretKey=" + wrongSecret,
                    "--warehouseUrl=jdbc:duckdb:" + dir.resolve("creds.duckdb")));
    assertThat(badSecret.getMessage(), containsString("secret key is not accepted"));
    assertThat(badSecret.getMessage(), containsString(s3.accessKey()));
    assertThat(badSecret.getMessage(), containsString("403"));
    assertThat(fullTrace(badSecret), not(containsString(wrongSecret)));

    IllegalArgumentException badKey =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    "--lake=s3://lake/creds",
                    "--s3Endpoint=" + s3.endpoint(),
                    "--s3PathStyle=true",
                    "--s3AccessKey=nobody",
                    "--s3SecretKey=" + s3.secretKey(),
                    "--warehouseUrl=jdbc:duckdb:" + dir.resolve("creds.duckdb")));
    assertThat(badKey.getMessage(), containsString("access key is not accepted"));
    assertThat(badKey.getMessage(), containsString("'nobody'"));
    assertThat(badKey.getMessage(), containsString("403"));
    assertThat(fullTrace(badKey), not(containsString(s3.secretKey())));
    assertTrue(s3.files("lake", "creds/").isEmpty(), "nothing written with wrong credentials");
  }

  @Test
  void aMissingBucketFailsNamingTheBucket() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                runS3(
                    "--lake=s3://no-such-lake-bucket/tslake",
                    "--warehouseUrl=jdbc:duckdb:" + dir.resolve("nobucket.duckdb")));
    assertThat(e.getMessage(), containsString("bucket 'no-such-lake-bucket' does not exist"));
    assertThat(e.getMessage(), containsString(s3.endpoint()));
    assertThat(fullTrace(e), not(containsString(s3.secretKey())));
  }

  /**
   * tslake's S3 client, counting UploadPart requests per multipart upload (the DirectRunner is
   * in-process).
   */
  public static class CountingS3ClientFactory extends TsLakeS3ClientBuilderFactory {
    private static final Map<String, AtomicInteger> PARTS = new ConcurrentHashMap<>();

    static int maxParts() {
      return PARTS.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
    }

    @Override
    public S3ClientBuilder createBuilder(S3Options options) {
      S3ClientBuilder builder = super.createBuilder(options);
      return builder.overrideConfiguration(
          builder.overrideConfiguration().toBuilder()
              .addExecutionInterceptor(
                  new ExecutionInterceptor() {
                    @Override
                    public void beforeExecution(
                        Context.BeforeExecution context, ExecutionAttributes attributes) {
                      if (context.request() instanceof UploadPartRequest upload) {
                        PARTS
                            .computeIfAbsent(upload.uploadId(), k -> new AtomicInteger())
                            .incrementAndGet();
                      }
                    }
                  })
              .build());
    }
  }

  private static String fullTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  /** Header row, then the data rows sorted: row order inside a lake file is not deterministic. */
  private static List<String> csvRows(String text) throws IOException {
    List<String> rows = new ArrayList<>();
    try (CSVParser p = CSVFormat.RFC4180.parse(new StringReader(text))) {
      for (CSVRecord r : p) {
        rows.add(String.join("\u0001", r.toList()));
      }
    }
    if (rows.size() > 1) {
      rows.subList(1, rows.size()).sort(null);
    }
    return rows;
  }
}

package dev.tslake.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 API server for tests: S3Proxy (filesystem backend) started by {@code
 * runners/s3/start.sh} in its own JVM (its Jackson clashes with Beam's on one classpath), on a free
 * port of 127.0.0.1, with data under {@code target/s3proxy-test-<port>/}. Buckets and objects are
 * handled with the AWS SDK v2 client (path-style, on the test classpath through Beam's aws2
 * module).
 *
 * <p>If S3Proxy cannot be started: under CI ({@code CI=true}) the calling test <b>fails</b>;
 * locally it is <b>aborted</b> (skipped) with the reason and how to start it by hand.
 *
 * <pre>{@code
 * try (S3ProxyServer s3 = S3ProxyServer.start()) {
 *   s3.createBucket("lake");
 *   run("--lake=s3://lake/x", "--s3Endpoint=" + s3.endpoint(), "--s3PathStyle=true",
 *       "--s3AccessKey=" + s3.accessKey(), "--s3SecretKey=" + s3.secretKey());
 * }
 * }</pre>
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "tslake-test";
  public static final String SECRET_KEY = "tslake-test-secret-0123456789";
  private static final long START_TIMEOUT_SECONDS = 300; // first start resolves ~120 jars

  private final Path root;
  private final Path dir;
  private final int port;
  private final S3Client client;

  private S3ProxyServer(Path root, Path dir, int port) {
    this.root = root;
    this.dir = dir;
    this.port = port;
    this.client =
        S3Client.builder()
            .endpointOverride(URI.create(endpoint()))
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .build();
  }

  /**
   * Starts a fresh server (empty data directory) on a free port; fails (CI) or skips if it cannot.
   */
  public static S3ProxyServer start() {
    Path root = projectRoot();
    Path script = root.resolve("runners/s3/start.sh");
    int port = freePort();
    Path dir = root.resolve("target/s3proxy-test-" + port);
    Path output = null;
    try {
      deleteTree(dir);
      Files.createDirectories(dir);
      output = dir.resolve("start.out");
      ProcessBuilder pb =
          new ProcessBuilder("bash", script.toString())
              .directory(root.toFile())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile());
      Map<String, String> env = pb.environment();
      env.put("TSLAKE_S3_PORT", Integer.toString(port));
      env.put("TSLAKE_S3_DIR", dir.toString());
      env.put("TSLAKE_S3_ACCESS_KEY", ACCESS_KEY);
      env.put("TSLAKE_S3_SECRET_KEY", SECRET_KEY);
      env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
      Process p = pb.start();
      if (!p.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw unavailable(
            "runners/s3/start.sh did not finish within " + START_TIMEOUT_SECONDS + " s", output);
      }
      if (p.exitValue() != 0) {
        throw unavailable("runners/s3/start.sh exited with " + p.exitValue(), output);
      }
    } catch (IOException e) {
      throw unavailable("cannot run runners/s3/start.sh: " + e, output);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("interrupted while starting S3Proxy", output);
    }
    return new S3ProxyServer(root, dir, port);
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public String accessKey() {
    return ACCESS_KEY;
  }

  public String secretKey() {
    return SECRET_KEY;
  }

  /** The tslake options that point Beam's S3 file system at this server. */
  public List<String> options() {
    return List.of(
        "--s3Endpoint=" + endpoint(),
        "--s3PathStyle=true",
        "--s3Region=us-east-1",
        "--s3AccessKey=" + ACCESS_KEY,
        "--s3SecretKey=" + SECRET_KEY);
  }

  public S3Client client() {
    return client;
  }

  public void createBucket(String bucket) {
    client.createBucket(CreateBucketRequest.builder().bucket(bucket).build());
  }

  public void put(String bucket, String key, Path file) {
    client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
  }

  /** Every key under a prefix, with its size. */
  public Map<String, Long> list(String bucket, String prefix) {
    Map<String, Long> out = new java.util.TreeMap<>();
    for (S3Object o :
        client
            .listObjectsV2Paginator(
                ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
            .contents()) {
      out.put(o.key(), o.size());
    }
    return out;
  }

  /**
   * Like {@link #list} without the keys ending in '/': S3Proxy's filesystem backend lists the
   * directories it keeps the objects in as such keys; they are not objects anyone wrote.
   */
  public Map<String, Long> files(String bucket, String prefix) {
    Map<String, Long> out = list(bucket, prefix);
    out.keySet().removeIf(k -> k.endsWith("/"));
    return out;
  }

  public String getString(String bucket, String key) {
    return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asString(StandardCharsets.UTF_8);
  }

  public HeadObjectResponse head(String bucket, String key) {
    return client.headObject(b -> b.bucket(bucket).key(key));
  }

  /** Stops the server (runners/s3/stop.sh) and removes its data. */
  @Override
  public void close() {
    client.close();
    try {
      ProcessBuilder pb =
          new ProcessBuilder("bash", root.resolve("runners/s3/stop.sh").toString())
              .directory(root.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().put("TSLAKE_S3_DIR", dir.toString());
      Process p = pb.start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop S3Proxy in " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      deleteTree(dir.resolve("data"));
    } catch (IOException e) {
      // leftover test data under target/ is harmless
    }
  }

  /** True when running under CI ({@code CI=true}), where S3Proxy is mandatory. */
  public static boolean isCi() {
    return PostgresSupport.isCi();
  }

  private static RuntimeException unavailable(String reason, Path output) {
    String log = "";
    try {
      if (output != null && Files.exists(output)) {
        List<String> lines = Files.readAllLines(output);
        log = String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
      }
    } catch (IOException e) {
      log = "(cannot read " + output + ": " + e + ")";
    }
    String message =
        "S3Proxy (a local S3 API server) could not be started: "
            + reason
            + ". It needs org.gaul:s3proxy from the Maven repository (runners/s3/pom.xml); try"
            + " `runners/s3/start.sh` by hand.\n"
            + log;
    if (isCi()) {
      throw new AssertionError("S3Proxy is required under CI (CI=true). " + message);
    }
    Assumptions.abort("Skipping: " + message + "\n(Under CI=true this is a failure.)");
    throw new AssertionError("unreachable");
  }

  private static int freePort() {
    return FreePorts.pick();
  }

  private static Path projectRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("runners/s3/start.sh"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "runners/s3/start.sh not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    List<Path> all = new ArrayList<>();
    try (var walk = Files.walk(dir)) {
      walk.forEach(all::add);
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(all.get(i));
    }
  }
}

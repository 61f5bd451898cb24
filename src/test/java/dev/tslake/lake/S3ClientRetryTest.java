package dev.tslake.lake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The lake's S3 client sends a request again when the answer is not the XML it promised (a body cut
 * short), instead of failing the run: a loopback server answers the first listing with half a
 * document, the second with a whole one.
 */
class S3ClientRetryTest {
  private static final String LISTING =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
          + "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          + "<Name>lake</Name><Prefix>raw/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
          + "<IsTruncated>false</IsTruncated><Contents><Key>raw/a.csv</Key>"
          + "<LastModified>2026-11-30T00:00:00.000Z</LastModified><ETag>\"x\"</ETag>"
          + "<Size>42</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";

  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile int cutShort;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          int n = requests.incrementAndGet();
          String body = n <= cutShort ? LISTING.substring(0, 120) : LISTING;
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/xml");
          exchange.sendResponseHeaders(200, bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private S3Client client() {
    LakeOptions options =
        PipelineOptionsFactory.fromArgs(
                "--s3Endpoint=http://127.0.0.1:" + server.getAddress().getPort(),
                "--s3PathStyle=true",
                "--s3Region=us-east-1",
                "--s3AccessKey=test",
                "--s3SecretKey=test-secret")
            .as(LakeOptions.class);
    S3Lake.configure(options);
    return new TsLakeS3ClientBuilderFactory().createBuilder(options).build();
  }

  private List<String> keys(S3Client s3) {
    return s3.listObjectsV2(b -> b.bucket("lake").prefix("raw/")).contents().stream()
        .map(S3Object::key)
        .collect(Collectors.toList());
  }

  @Test
  void aListingCutShortIsAskedForAgain() {
    cutShort = 1;
    try (S3Client s3 = client()) {
      assertEquals(List.of("raw/a.csv"), keys(s3));
    }
    assertEquals(2, requests.get());
  }

  @Test
  void aServerThatNeverAnswersWholeStillFailsAfterTheRetries() {
    cutShort = Integer.MAX_VALUE;
    try (S3Client s3 = client()) {
      Exception e = assertThrows(Exception.class, () -> keys(s3));
      assertThat(e.getMessage(), containsString("Could not parse XML response"));
    }
    assertEquals(4, requests.get(), "one request and the SDK's three retries");
  }
}

package dev.tslake.lake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

/** How {@link S3Lake#configure} maps tslake's and Beam's S3 options (no I/O involved). */
class S3LakeOptionsTest {
  private static LakeOptions configured(String... args) {
    LakeOptions o = PipelineOptionsFactory.fromArgs(args).withValidation().as(LakeOptions.class);
    S3Lake.configure(o);
    return o;
  }

  @Test
  void beamsAwsRegionIsHonouredWhenS3RegionIsNotGiven() {
    assertEquals(Region.EU_WEST_3, configured("--awsRegion=eu-west-3").getAwsRegion());
    assertEquals(
        Region.AP_SOUTH_1,
        configured("--awsRegion=eu-west-3", "--s3Region=ap-south-1").getAwsRegion());
    assertEquals(Region.AP_SOUTH_1, configured("--s3Region=ap-south-1").getAwsRegion());
  }

  @Test
  void withoutEitherRegionTheEnvironmentThenUsEast1() {
    String env = System.getenv("AWS_REGION");
    if (env == null || env.isBlank()) {
      env = System.getenv("AWS_DEFAULT_REGION");
    }
    String expected = env == null || env.isBlank() ? S3Lake.DEFAULT_REGION : env.trim();
    assertEquals(Region.of(expected), configured().getAwsRegion());
  }

  @Test
  void s3EndpointWinsOverBeamsEndpointWhichStillApplies() {
    assertEquals(
        URI.create("http://127.0.0.1:9000"),
        configured("--endpoint=http://127.0.0.1:9000").getEndpoint());
    assertEquals(
        URI.create("http://127.0.0.1:9001"),
        configured("--endpoint=http://127.0.0.1:9000", "--s3Endpoint=http://127.0.0.1:9001")
            .getEndpoint());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> configured("--s3Endpoint=ftp://x"));
    assertThat(e.getMessage(), containsString("--s3Endpoint"));
  }

  @Test
  void configureSetsThePathStyleClientAndChecksKeyPairs() {
    assertEquals(TsLakeS3ClientBuilderFactory.class, configured().getS3ClientFactoryClass());
    if (System.getenv("AWS_SECRET_ACCESS_KEY") == null) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> configured("--s3AccessKey=someone"));
      assertThat(e.getMessage(), containsString("--s3SecretKey"));
    }
  }
}

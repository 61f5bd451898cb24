package dev.tslake.lake;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.core.retry.conditions.OrRetryCondition;
import software.amazon.awssdk.core.retry.conditions.RetryCondition;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * The S3 client Beam's {@code S3FileSystem} uses for the lake ({@code --s3ClientFactoryClass}, set
 * by {@link dev.tslake.lake.S3Lake}): Beam's default client (region, endpoint, credentials, HTTP
 * settings from {@link S3Options}) plus
 *
 * <ul>
 *   <li>path-style access when {@code --s3PathStyle=true} (S3-compatible servers such as S3Proxy or
 *       MinIO on a bare host:port cannot serve virtual-hosted bucket names);
 *   <li>no {@code x-amz-server-side-encryption-bucket-key-enabled: false} header: Beam sends it on
 *       every multipart upload (every lake file is one), and S3Proxy answers 501 Not Implemented to
 *       it. Without the header S3 applies the bucket's own setting; with {@code
 *       --bucketKeyEnabled=true} the header is kept.
 *   <li>the credentials {@link S3Lake#configure} pointed to ({@code --s3SecretKeyRef}): the options
 *       carry where the secret key is, and it is read here, where the client is built;
 *   <li>a retry on a response body that is not the XML the operation promises ({@code Could not
 *       parse XML response}): the SDK's own retry condition leaves it out, but S3-compatible
 *       servers answer so when a pooled connection is closed under them (seen with S3Proxy's 30 s
 *       idle timeout), and every lake request is idempotent (uploads, copies, deletes, listings),
 *       so it is sent again instead of failing the run.
 * </ul>
 *
 * <p>Workers instantiate it by class name from the pipeline options, so it holds no state.
 */
public class TsLakeS3ClientBuilderFactory implements S3ClientBuilderFactory {
  public static final String BUCKET_KEY_HEADER = "x-amz-server-side-encryption-bucket-key-enabled";

  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    S3ClientBuilder builder = new DefaultS3ClientBuilderFactory().createBuilder(options);
    LakeOptions lake = options.as(LakeOptions.class);
    if (lake.getS3SecretKeyRef() != null) {
      // read where and when the first request signs, not into anything that is kept or shipped
      builder.credentialsProvider(
          () -> AwsBasicCredentials.create(S3Lake.accessKey(lake), S3Lake.secretKey(lake)));
    }
    boolean pathStyle = lake.getS3PathStyle();
    builder.forcePathStyle(pathStyle);
    ClientOverrideConfiguration current = builder.overrideConfiguration();
    ClientOverrideConfiguration.Builder override =
        current == null ? ClientOverrideConfiguration.builder() : current.toBuilder();
    RetryPolicy retry =
        current != null && current.retryPolicy().isPresent()
            ? current.retryPolicy().get()
            : RetryPolicy.defaultRetryPolicy();
    override.retryPolicy(
        retry.toBuilder()
            .retryCondition(OrRetryCondition.create(retry.retryCondition(), UNPARSABLE_BODY))
            .build());
    builder.overrideConfiguration(
        override.addExecutionInterceptor(new DropFalseBucketKeyHeader()).build());
    return builder;
  }

  /** A response the SDK could not unmarshal: the body was cut short or was not the promised XML. */
  static final RetryCondition UNPARSABLE_BODY =
      context -> {
        for (Throwable t = context.exception(); t != null; t = t.getCause()) {
          if (t instanceof SdkClientException
              && t.getMessage() != null
              && t.getMessage().startsWith("Could not parse XML response")) {
            return true;
          }
        }
        return false;
      };

  /** Removes {@value #BUCKET_KEY_HEADER} when it says {@code false} (before signing). */
  static final class DropFalseBucketKeyHeader implements ExecutionInterceptor {
    @Override
    public SdkHttpRequest modifyHttpRequest(
        Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
      SdkHttpRequest request = context.httpRequest();
      return request
          .firstMatchingHeader(BUCKET_KEY_HEADER)
          .filter(v -> v.equalsIgnoreCase("false"))
          .map(v -> request.toBuilder().removeHeader(BUCKET_KEY_HEADER).build())
          .orElse(request);
    }
  }
}

package dev.tslake.lake;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;

/**
 * Where the lake is, and how to reach it when it is on S3. Extends Beam's {@link S3Options} (and so
 * {@code AwsOptions}): Beam's own {@code --awsRegion}, {@code --endpoint}, {@code
 * --awsCredentialsProvider}, {@code --s3UploadBufferSizeBytes}, {@code --SSEAlgorithm}, ... are
 * accepted next to tslake's {@code --s3*} options, which take precedence where both say the same
 * thing. {@link S3Lake#configure} applies the precedence.
 */
public interface LakeOptions extends S3Options {
  @Description(
      "Lake root: a directory, or s3://bucket/prefix. Raw CSV goes under raw/, rejected under rejected/.")
  @Default.String("target/lake")
  String getLake();

  void setLake(String value);

  @Description(
      "S3 endpoint for an S3-compatible server, e.g. http://127.0.0.1:9000. Precedence:"
          + " --s3Endpoint, then Beam's --endpoint, else AWS S3.")
  String getS3Endpoint();

  void setS3Endpoint(String value);

  @Description(
      "S3 region. Precedence: --s3Region, then Beam's --awsRegion, then the AWS_REGION or"
          + " AWS_DEFAULT_REGION environment variable, else us-east-1.")
  String getS3Region();

  void setS3Region(String value);

  @Description(
      "Path-style S3 access (http://host/bucket/key) instead of virtual-hosted buckets;"
          + " most S3-compatible servers need it.")
  @Default.Boolean(false)
  boolean getS3PathStyle();

  void setS3PathStyle(boolean value);

  @Description(
      "S3 access key id; with --s3SecretKey. When neither is given, Beam's"
          + " --awsCredentialsProvider applies (by default the AWS default credentials chain:"
          + " AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, instance role).")
  String getS3AccessKey();

  void setS3AccessKey(String value);

  @Description(
      "S3 secret access key, for runners that run in this JVM (DirectRunner, Flink local);"
          + " else the secrets file's s3SecretKey, or AWS_SECRET_ACCESS_KEY when an access key"
          + " is given. Never logged, never in the job: workers read it where it is.")
  @JsonIgnore
  String getS3SecretKey();

  void setS3SecretKey(String value);

  @Hidden
  @Description(
      "Set by the launch: where workers read the S3 access key id when --s3AccessKey is not given"
          + " (a reference, never the value).")
  String getS3AccessKeyRef();

  void setS3AccessKeyRef(String value);

  @Hidden
  @Description(
      "Set by the launch: where workers read the S3 secret key (a reference such as"
          + " env:AWS_SECRET_ACCESS_KEY, never the value).")
  String getS3SecretKeyRef();

  void setS3SecretKeyRef(String value);
}

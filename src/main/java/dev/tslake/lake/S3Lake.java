package dev.tslake.lake;

import dev.tslake.secret.LaunchSecrets;
import dev.tslake.secret.SecretRef;
import dev.tslake.secret.SecretsFile;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.checkerframework.checker.nullness.qual.Nullable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The lake (and file sources) on S3 or an S3-compatible server, through Beam's {@code
 * beam-sdks-java-io-amazon-web-services2} file system.
 *
 * <p>{@link #configure} maps tslake's {@code --s3*} options onto Beam's {@link S3Options} (region,
 * endpoint, credentials provider, {@link TsLakeS3ClientBuilderFactory} for path-style access)
 * without any I/O. Everything lands in the pipeline options, which travel to the workers; nothing
 * is kept in static state. It must run before {@code FileSystems.setDefaultPipelineOptions}, so the
 * launcher (which expands file patterns and checks the lake) sees the same S3 configuration as the
 * workers. {@link #checkLake} then checks, when the lake is {@code s3://}, that the bucket exists
 * and the credentials are accepted, so a wrong key or a missing bucket fails the run before
 * anything is read, with a message naming the problem (never the secret key).
 *
 * <p>Precedence: region {@code --s3Region}, then Beam's {@code --awsRegion} (when given), then
 * {@code AWS_REGION}, {@code AWS_DEFAULT_REGION}, else {@value #DEFAULT_REGION}; endpoint {@code
 * --s3Endpoint}, then Beam's {@code --endpoint}, else AWS S3.
 *
 * <p>Credentials: {@code --s3AccessKey}/{@code --s3SecretKey}, else the secrets file's {@code
 * s3AccessKey}/{@code s3SecretKey} (either may come from {@code AWS_ACCESS_KEY_ID}/{@code
 * AWS_SECRET_ACCESS_KEY} when the other is given). The secret key never enters the options: they
 * carry a {@link SecretRef} ({@code --s3SecretKeyRef}), and {@link TsLakeS3ClientBuilderFactory}
 * reads the key where the client is built. {@code --s3SecretKey} itself is accepted only for
 * runners in this JVM. With no key at all, Beam's default (the AWS default credentials chain,
 * resolved on each worker) applies.
 */
public final class S3Lake {
  public static final String DEFAULT_REGION = "us-east-1";

  private S3Lake() {}

  public static boolean isS3(@Nullable String path) {
    return path != null && path.toLowerCase(Locale.ROOT).startsWith("s3://");
  }

  /** Maps the {@code --s3*} options onto Beam's S3Options; no I/O but the secrets file. */
  public static void configure(LakeOptions options) {
    configure(options, System.getenv());
  }

  /** As {@link #configure(LakeOptions)}, with the environment variables {@code env}. */
  public static void configure(LakeOptions options, Map<String, String> env) {
    S3Options s3 = options;
    s3.setAwsRegion(Region.of(region(options)));
    if (options.getS3Endpoint() != null && !options.getS3Endpoint().isBlank()) {
      s3.setEndpoint(endpoint(options.getS3Endpoint().trim()));
    }
    LaunchSecrets secrets = LaunchSecrets.of(options, env::get);
    String accessKey = blankToNull(options.getS3AccessKey()); // an id, not a secret
    SecretRef accessRef =
        accessKey != null
            ? null
            : secrets.ref("--s3AccessKey", null, SecretsFile.S3_ACCESS_KEY, null);
    SecretRef secretRef =
        secrets.ref("--s3SecretKey", options.getS3SecretKey(), SecretsFile.S3_SECRET_KEY, null);
    if (secretRef == null && (accessKey != null || accessRef != null)) {
      secretRef = secrets.ref("--s3SecretKey", null, "", "AWS_SECRET_ACCESS_KEY");
    }
    if (secretRef != null && accessKey == null && accessRef == null) {
      accessRef = secrets.ref("--s3AccessKey", null, "", "AWS_ACCESS_KEY_ID");
    }
    if (accessKey != null || accessRef != null || secretRef != null) {
      if (accessKey == null && accessRef == null) {
        throw new IllegalArgumentException(
            "--s3SecretKey is given but no access key:"
                + " set --s3AccessKey (or AWS_ACCESS_KEY_ID, or s3AccessKey in --secretsFile)");
      }
      if (secretRef == null) {
        throw new IllegalArgumentException(
            "--s3AccessKey '"
                + accessKey
                + "' is given but no secret key: set --s3SecretKey (or AWS_SECRET_ACCESS_KEY,"
                + " or s3SecretKey in --secretsFile)");
      }
      options.setS3AccessKeyRef(accessRef == null ? null : accessRef.encode());
      options.setS3SecretKeyRef(secretRef.encode());
    }
    if (s3.getS3ClientFactoryClass() == null
        || s3.getS3ClientFactoryClass() == DefaultS3ClientBuilderFactory.class) {
      s3.setS3ClientFactoryClass(TsLakeS3ClientBuilderFactory.class);
    }
  }

  /**
   * When the lake is {@code s3://}: lists it once with the options {@link #configure} set, failing
   * with a message naming the problem. Does nothing for other lakes.
   */
  public static void checkLake(LakeOptions options) {
    if (isS3(options.getLake())) {
      checkLake(options, options.getLake(), accessKey(options), secretKey(options));
    }
  }

  /** The access key id the lake uses ({@link #configure} decided where it is), or null. */
  static @Nullable String accessKey(LakeOptions options) {
    String accessKey = blankToNull(options.getS3AccessKey());
    if (accessKey == null && options.getS3AccessKeyRef() != null) {
      accessKey = SecretRef.decode(options.getS3AccessKeyRef(), "S3 access key id").resolve();
    }
    return accessKey;
  }

  /** The secret key ({@link #configure} decided where it is), read here, or null. */
  static @Nullable String secretKey(LakeOptions options) {
    return options.getS3SecretKeyRef() == null
        ? null
        : SecretRef.decode(options.getS3SecretKeyRef(), "S3 secret key").resolve();
  }

  static String region(LakeOptions options) {
    String awsRegion = explicitAwsRegion(options);
    for (String candidate :
        new String[] {
          options.getS3Region(),
          awsRegion,
          System.getenv("AWS_REGION"),
          System.getenv("AWS_DEFAULT_REGION")
        }) {
      if (candidate != null && !candidate.isBlank()) {
        return candidate.trim();
      }
    }
    return DEFAULT_REGION;
  }

  /**
   * Beam's {@code --awsRegion} when it was set (on the command line or by a setter), else null. Its
   * default would ask the AWS region provider chain, which may call the EC2 instance metadata
   * service; display data lists only options that were set, so the default is never computed.
   */
  private static @Nullable String explicitAwsRegion(S3Options s3) {
    for (DisplayData.Item item : DisplayData.from(s3).items()) {
      if ("awsRegion".equals(item.getKey())) {
        Region region = s3.getAwsRegion();
        return region == null ? null : region.id();
      }
    }
    return null;
  }

  static URI endpoint(String text) {
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "--s3Endpoint '"
                + text
                + "' must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "--s3Endpoint '" + text + "' is not a URL: " + e.getReason());
    }
  }

  /** Bucket and key prefix of {@code s3://bucket/prefix}. */
  static String[] bucketAndPrefix(String lake) {
    String rest = lake.substring("s3://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : rest.substring(slash + 1);
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException(
          "--lake '" + lake + "' names no bucket: use" + " s3://bucket/prefix");
    }
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    return new String[] {bucket, prefix};
  }

  /**
   * Lists one key under the lake prefix: the lake needs listing anyway (Beam's file writes and the
   * replay match patterns), and unlike HEAD it returns S3's error code.
   */
  private static void checkLake(
      S3Options s3, String lake, @Nullable String accessKey, @Nullable String secretKey) {
    String[] bp = bucketAndPrefix(lake);
    String bucket = bp[0];
    String where =
        (s3.getEndpoint() != null ? "S3 endpoint " + s3.getEndpoint() : "AWS S3")
            + " (region "
            + s3.getAwsRegion()
            + ")";
    String who =
        accessKey != null
            ? "access key id '" + accessKey + "'"
            : "the AWS default credentials chain";
    try (S3Client client = new TsLakeS3ClientBuilderFactory().createBuilder(s3).build()) {
      client.listObjectsV2(
          ListObjectsV2Request.builder().bucket(bucket).prefix(bp[1]).maxKeys(1).build());
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
      int status = e.statusCode();
      String problem;
      if ("NoSuchBucket".equals(code) || status == 404) {
        problem = "bucket '" + bucket + "' does not exist at " + where + "; create it first";
      } else if ("InvalidAccessKeyId".equals(code)) {
        problem =
            "the access key is not accepted: "
                + where
                + " does not know "
                + who
                + " (check --s3AccessKey / AWS_ACCESS_KEY_ID)";
      } else if ("SignatureDoesNotMatch".equals(code)) {
        problem =
            "the secret key is not accepted for "
                + who
                + " by "
                + where
                + " (check --s3SecretKey / AWS_SECRET_ACCESS_KEY)";
      } else if (status == 403) {
        problem =
            "access denied to bucket '"
                + bucket
                + "' for "
                + who
                + " at "
                + where
                + " (the lake needs to list, read and write objects under the prefix)";
      } else if (status == 301
          || "PermanentRedirect".equals(code)
          || "AuthorizationHeaderMalformed".equals(code)) {
        problem =
            "bucket '" + bucket + "' is not in region " + s3.getAwsRegion() + " (set --s3Region)";
      } else {
        problem = "cannot list bucket '" + bucket + "' at " + where;
      }
      throw new IllegalArgumentException(
          mask(
              "S3 lake "
                  + lake
                  + ": "
                  + problem
                  + " [HTTP "
                  + status
                  + (code != null ? " " + code : "")
                  + "]",
              secretKey),
          e);
    } catch (SdkException e) {
      throw new IllegalArgumentException(
          mask(
              "S3 lake "
                  + lake
                  + ": cannot reach "
                  + where
                  + " with "
                  + who
                  + ": "
                  + e.getMessage(),
              secretKey),
          e);
    }
  }

  private static String mask(String text, @Nullable String secret) {
    return secret == null || secret.isEmpty() ? text : text.replace(secret, "***");
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}

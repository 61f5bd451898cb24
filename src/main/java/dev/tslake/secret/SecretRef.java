package dev.tslake.secret;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.beam.sdk.io.FileSystems;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where a secret is, never the secret itself: an environment variable, an entry of a secrets file
 * ({@link SecretsFile}), or a handle to a value the launcher holds in this JVM. It is what travels
 * in serialized DoFns, pipeline options and job descriptions; the value is read by {@link #resolve}
 * where it is used (a worker's {@code @Setup}, a connection being opened).
 *
 * <p>A JVM handle resolves only in the JVM that registered it, so it is for runners that execute
 * the graph in the launching JVM (the DirectRunner, Flink in local mode); elsewhere it fails with a
 * message saying where the secret should come from instead.
 */
public final class SecretRef implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Values given to this JVM (on the command line), by handle. Never serialized. */
  private static final Map<String, String> IN_JVM = new ConcurrentHashMap<>();

  enum Kind {
    ENV,
    FILE,
    JVM
  }

  private final Kind kind;

  /** Variable name, entry name in the secrets file, or JVM handle. */
  private final String name;

  /** The secrets file (for {@link Kind#FILE}); a local path or a Beam file system URL. */
  private final @Nullable String file;

  /** What the secret is, for messages ("--warehousePassword"). */
  private final String label;

  private SecretRef(Kind kind, String name, @Nullable String file, String label) {
    this.kind = kind;
    this.name = name;
    this.file = file;
    this.label = label;
  }

  /** The value of environment variable {@code variable} where the secret is resolved. */
  public static SecretRef env(String variable, String label) {
    return new SecretRef(Kind.ENV, variable, null, label);
  }

  /** Entry {@code key} of the secrets file {@code file}, read where the secret is resolved. */
  public static SecretRef file(String file, String key, String label) {
    return new SecretRef(Kind.FILE, key, file, label);
  }

  /**
   * A value known to this JVM only: registered here under a random handle, which is all the
   * reference carries. For runners that run the graph in this JVM.
   */
  public static SecretRef inThisJvm(String value, String label) {
    Objects.requireNonNull(value, "value");
    String handle = UUID.randomUUID().toString();
    IN_JVM.put(handle, value);
    return new SecretRef(Kind.JVM, handle, null, label);
  }

  /** True for a JVM handle (the value was given to the launching JVM, e.g. on its command line). */
  public boolean isJvmLocal() {
    return kind == Kind.JVM;
  }

  /** The value, read from where it is; fails with a message naming where it looked. */
  public String resolve() {
    return resolve(System::getenv);
  }

  /** As {@link #resolve()}, with environment variables read from {@code env}. */
  public String resolve(Function<String, @Nullable String> env) {
    String value;
    switch (kind) {
      case ENV:
        value = env.apply(name);
        if (value == null || value.isBlank()) {
          throw new IllegalStateException(
              label + ": environment variable " + name + " is not set where the job runs");
        }
        return value.trim();
      case FILE:
        value = SecretsFile.read(Objects.requireNonNull(file)).get(name);
        if (value == null || value.isBlank()) {
          throw new IllegalStateException(
              label + ": the secrets file " + file + " has no entry '" + name + "'");
        }
        return value;
      case JVM:
      default:
        value = IN_JVM.get(name);
        if (value == null) {
          throw new IllegalStateException(
              label
                  + " was given on the launcher's command line and exists only in the launching"
                  + " JVM; on workers in other processes give it through its environment variable"
                  + " or --secretsFile");
        }
        return value;
    }
  }

  /**
   * Where the secret is, without its value: {@code env:NAME}, {@code file:KEY:PATH}, {@code
   * jvm:HANDLE}.
   */
  public String encode() {
    switch (kind) {
      case ENV:
        return "env:" + name;
      case FILE:
        return "file:" + name + ":" + file;
      case JVM:
      default:
        return "jvm:" + name;
    }
  }

  /** The reference {@link #encode} described. */
  public static SecretRef decode(String text, String label) {
    if (text.startsWith("env:")) {
      return env(text.substring(4), label);
    }
    if (text.startsWith("jvm:")) {
      return new SecretRef(Kind.JVM, text.substring(4), null, label);
    }
    if (text.startsWith("file:")) {
      String rest = text.substring(5);
      int colon = rest.indexOf(':');
      if (colon > 0) {
        return file(rest.substring(colon + 1), rest.substring(0, colon), label);
      }
    }
    throw new IllegalArgumentException(label + ": not a secret reference: " + text);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SecretRef
        && ((SecretRef) o).kind == kind
        && ((SecretRef) o).name.equals(name)
        && Objects.equals(((SecretRef) o).file, file);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, name, file);
  }

  /** Where the secret is, for messages; never the value. */
  @Override
  public String toString() {
    switch (kind) {
      case ENV:
        return label + " from environment variable " + name;
      case FILE:
        return label + " from entry '" + name + "' of " + file;
      case JVM:
      default:
        return label + " given to the launching JVM";
    }
  }

  /** Reads the text of a local file or a Beam file system URL (s3://, gs://). */
  static String readText(String path) throws IOException {
    if (path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") && !path.startsWith("file://")) {
      try (InputStream in =
          Channels.newInputStream(
              FileSystems.open(FileSystems.matchSingleFileSpec(path).resourceId()))) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    return Files.readString(
        Path.of(path.startsWith("file://") ? path.substring("file://".length()) : path),
        StandardCharsets.UTF_8);
  }
}

package dev.tslake.testing;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.FileSystem;
import org.apache.beam.sdk.io.FileSystemRegistrar;
import org.apache.beam.sdk.io.fs.CreateOptions;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A read-only Beam file system for fault injection: {@code faulty:///abs/path} reads the local file
 * {@code /abs/path}, and fails with an IOException after a set number of bytes when told to ({@link
 * #failAfter}). Registered for tests through {@code META-INF/services}; the DirectRunner runs in
 * the test's JVM, so the settings (static) reach the reading DoFn.
 */
public final class FaultyFileSystem extends FileSystem<FaultyFileSystem.Id> {
  public static final String SCHEME = "faulty";
  private static final Map<String, Long> FAIL_AFTER = new ConcurrentHashMap<>();

  /** The spec that reads {@code file} through this file system. */
  public static String spec(Path file) {
    return SCHEME + "://" + file.toAbsolutePath();
  }

  /** Reading {@code file} fails after {@code bytes} bytes, until {@link #heal}. */
  public static void failAfter(Path file, long bytes) {
    FAIL_AFTER.put(file.toAbsolutePath().toString(), bytes);
  }

  public static void heal(Path file) {
    FAIL_AFTER.remove(file.toAbsolutePath().toString());
  }

  /** A path of this file system. */
  public static final class Id implements ResourceId {
    final String path;

    Id(String path) {
      this.path = path;
    }

    @Override
    public ResourceId resolve(String other, ResolveOptions options) {
      return new Id(path.endsWith("/") ? path + other : path + "/" + other);
    }

    @Override
    public ResourceId getCurrentDirectory() {
      return new Id(path.substring(0, path.lastIndexOf('/') + 1));
    }

    @Override
    public String getScheme() {
      return SCHEME;
    }

    @Override
    public @Nullable String getFilename() {
      return Path.of(path).getFileName() == null ? null : Path.of(path).getFileName().toString();
    }

    @Override
    public boolean isDirectory() {
      return path.endsWith("/");
    }

    @Override
    public String toString() {
      return SCHEME + "://" + path;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Id && ((Id) o).path.equals(path);
    }

    @Override
    public int hashCode() {
      return path.hashCode();
    }
  }

  private static String localPath(String spec) {
    if (!spec.startsWith(SCHEME + "://")) {
      throw new IllegalArgumentException("not a " + SCHEME + ":// spec: " + spec);
    }
    return spec.substring(SCHEME.length() + 3);
  }

  @Override
  protected List<MatchResult> match(List<String> specs) throws IOException {
    List<MatchResult> out = new ArrayList<>();
    for (String spec : specs) {
      Path p = Path.of(localPath(spec));
      if (Files.isRegularFile(p)) {
        out.add(
            MatchResult.create(
                MatchResult.Status.OK,
                List.of(
                    MatchResult.Metadata.builder()
                        .setResourceId(new Id(p.toString()))
                        .setSizeBytes(Files.size(p))
                        .setIsReadSeekEfficient(true)
                        .setLastModifiedMillis(Files.getLastModifiedTime(p).toMillis())
                        .build())));
      } else {
        out.add(MatchResult.create(MatchResult.Status.NOT_FOUND, new FileNotFoundException(spec)));
      }
    }
    return out;
  }

  @Override
  protected ReadableByteChannel open(Id id) throws IOException {
    SeekableByteChannel file = Files.newByteChannel(Path.of(id.path), StandardOpenOption.READ);
    Long limit = FAIL_AFTER.get(id.path);
    if (limit == null) {
      return file;
    }
    return new ReadableByteChannel() {
      long read;

      @Override
      public int read(ByteBuffer dst) throws IOException {
        if (read >= limit) {
          throw new IOException("injected fault: " + id + " fails after " + limit + " bytes");
        }
        ByteBuffer slice = dst.slice();
        slice.limit((int) Math.min(slice.remaining(), limit - read));
        int n = file.read(slice);
        if (n > 0) {
          dst.position(dst.position() + n);
          read += n;
        }
        return n;
      }

      @Override
      public boolean isOpen() {
        return file.isOpen();
      }

      @Override
      public void close() throws IOException {
        file.close();
      }
    };
  }

  @Override
  protected WritableByteChannel create(Id id, CreateOptions options) {
    throw new UnsupportedOperationException(SCHEME + ":// is read-only");
  }

  @Override
  protected void copy(List<Id> from, List<Id> to) {
    throw new UnsupportedOperationException(SCHEME + ":// is read-only");
  }

  @Override
  protected void rename(List<Id> from, List<Id> to, MoveOptions... options) {
    throw new UnsupportedOperationException(SCHEME + ":// is read-only");
  }

  @Override
  protected void delete(Collection<Id> ids) {
    throw new UnsupportedOperationException(SCHEME + ":// is read-only");
  }

  @Override
  protected Id matchNewResource(String spec, boolean isDirectory) {
    String p = localPath(spec);
    return new Id(isDirectory && !p.endsWith("/") ? p + "/" : p);
  }

  @Override
  protected String getScheme() {
    return SCHEME;
  }

  /** Found by Beam's {@code FileSystems} through {@code META-INF/services}. */
  public static final class Registrar implements FileSystemRegistrar {
    @Override
    public Iterable<FileSystem<?>> fromOptions(@Nullable PipelineOptions options) {
      return List.of(new FaultyFileSystem());
    }
  }
}

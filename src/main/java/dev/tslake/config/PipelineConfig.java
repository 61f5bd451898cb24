package dev.tslake.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The {@code --config} file: which sources to ingest and how to window them. */
public final class PipelineConfig implements Serializable {
  public List<SourceConfig> sources = new ArrayList<>();

  public PipelineConfig() {}

  /** Reads a JSON or YAML (by extension) config; relative file paths resolve against its folder. */
  public static PipelineConfig load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file " + file + " does not exist or is not a file");
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    ObjectMapper mapper =
        name.endsWith(".yaml") || name.endsWith(".yml")
            ? new ObjectMapper(new YAMLFactory())
            : new ObjectMapper();
    mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    PipelineConfig config;
    try {
      config = mapper.readValue(file.toFile(), PipelineConfig.class);
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "config " + file + " is invalid: " + e.getOriginalMessage() + locationOf(e), e);
    } catch (IOException e) {
      throw new ConfigException("cannot read config " + file + ": " + e.getMessage(), e);
    }
    Path base = file.toAbsolutePath().getParent();
    for (SourceConfig s : config.sources) {
      s.files = resolve(base, s.files);
      s.metadataFiles = resolve(base, s.metadataFiles);
    }
    config.validate();
    return config;
  }

  private static String locationOf(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line "
            + e.getLocation().getLineNr()
            + ", column "
            + e.getLocation().getColumnNr()
            + ")";
  }

  private static List<FileEntry> resolve(Path base, List<FileEntry> entries) {
    List<FileEntry> out = new ArrayList<>();
    for (FileEntry f : entries) {
      out.add(isAbsoluteSpec(f.path) ? f : f.withPath(base.resolve(f.path).normalize().toString()));
    }
    return out;
  }

  /** Absolute local paths and URIs of other filesystems ({@code s3://...}) are used as given. */
  static boolean isAbsoluteSpec(String path) {
    return path.startsWith("/") || path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
  }

  public void validate() {
    if (sources == null || sources.isEmpty()) {
      throw new ConfigException("config has no sources: it needs a top-level 'sources' array");
    }
    Set<String> names = new HashSet<>();
    for (SourceConfig s : sources) {
      s.validate();
      if (!names.add(s.name)) {
        throw new ConfigException(
            "source name '" + s.name + "' is used twice; names must be unique");
      }
    }
  }

  public SourceConfig source(String name) {
    for (SourceConfig s : sources) {
      if (s.name.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("no source named '" + name + "'");
  }

  /** Every distinct window used by any source, in config order. */
  public Set<WindowSpec> allWindows() {
    Set<WindowSpec> out = new LinkedHashSet<>();
    for (SourceConfig s : sources) {
      out.addAll(s.windowSpecs());
    }
    return out;
  }
}

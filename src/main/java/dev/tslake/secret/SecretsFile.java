package dev.tslake.secret;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringReader;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A secrets file ({@code --secretsFile}): a JSON object ({@code {"warehousePassword": "..."}}) or a
 * properties file ({@code warehousePassword=...}), on a local path or a Beam file system URL.
 * Entries: {@value #WAREHOUSE_PASSWORD}, {@value #FRED_API_KEY}, {@value #ALPHAVANTAGE_API_KEY},
 * {@value #CENSUS_API_KEY}, {@value #S3_ACCESS_KEY}, {@value #S3_SECRET_KEY}. Read by the launcher
 * (to know what it holds) and again by each worker where a secret is used; never copied into the
 * job.
 */
public final class SecretsFile {
  public static final String WAREHOUSE_PASSWORD = "warehousePassword";
  public static final String FRED_API_KEY = "fredApiKey";
  public static final String ALPHAVANTAGE_API_KEY = "alphaVantageApiKey";
  public static final String CENSUS_API_KEY = "censusApiKey";
  public static final String S3_ACCESS_KEY = "s3AccessKey";
  public static final String S3_SECRET_KEY = "s3SecretKey";

  private SecretsFile() {}

  /** The entries of the file (never printed); fails naming the file, not its content. */
  public static Map<String, String> read(String path) {
    String text;
    try {
      text = SecretRef.readText(path);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "--secretsFile " + path + " cannot be read: " + e.getClass().getSimpleName(), e);
    }
    Map<String, String> out = new TreeMap<>();
    String trimmed = text.strip();
    try {
      if (trimmed.startsWith("{")) {
        JsonNode root = new ObjectMapper().readTree(trimmed);
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> f = fields.next();
          if (f.getValue().isValueNode() && !f.getValue().isNull()) {
            out.put(f.getKey(), f.getValue().asText());
          }
        }
      } else {
        Properties p = new Properties();
        p.load(new StringReader(text));
        for (String k : p.stringPropertyNames()) {
          out.put(k, p.getProperty(k).strip());
        }
      }
    } catch (IOException | RuntimeException e) {
      // the parser's message may quote the content: say only where
      throw new IllegalStateException(
          "--secretsFile "
              + path
              + " is neither a JSON object nor a properties file"
              + " (entries such as warehousePassword=...)");
    }
    out.values().removeIf(String::isBlank);
    return out;
  }
}

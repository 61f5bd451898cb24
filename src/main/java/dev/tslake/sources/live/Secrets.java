package dev.tslake.sources.live;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Keeps API keys out of everything a run writes: URLs, reasons, log lines and exception messages go
 * through {@link #redact} before they leave the fetch code.
 */
public final class Secrets implements Serializable {
  private static final Pattern KEY_PARAMS =
      Pattern.compile("(?i)([?&](?:api_key|apikey|key|token|access_token|password)=)[^&#\\s\"']*");

  private final List<String> values;

  public Secrets(List<String> values) {
    List<String> v = new ArrayList<>();
    for (String s : values) {
      if (s != null && !s.isEmpty()) {
        v.add(s);
      }
    }
    // longer first, so a key that contains another is replaced whole
    v.sort((a, b) -> b.length() - a.length());
    this.values = v;
  }

  /** The text with every known secret value and every key-like query parameter masked. */
  public String redact(@Nullable String text) {
    if (text == null) {
      return "";
    }
    String out = KEY_PARAMS.matcher(text).replaceAll("$1***");
    for (String v : values) {
      out = out.replace(v, "***");
    }
    return out;
  }
}

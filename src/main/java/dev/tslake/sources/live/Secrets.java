package dev.tslake.sources.live;

import dev.tslake.secret.SecretRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Keeps API keys out of everything a run writes: URLs, reasons, log lines and exception messages go
 * through {@link #redact} before they leave the fetch code. Built where the fetch runs, from the
 * {@link SecretRef}s of the keys: it holds values, so it is never part of a serialized graph.
 */
public final class Secrets {
  private static final Pattern KEY_PARAMS =
      Pattern.compile("(?i)([?&](?:api_key|apikey|key|token|access_token|password)=)[^&#\\s\"']*");

  private final List<String> values;
  private final Map<SecretRef, String> byRef = new HashMap<>();

  /** Reads every reference (null ones are skipped). */
  public Secrets(List<@Nullable SecretRef> refs) {
    List<String> v = new ArrayList<>();
    for (SecretRef r : refs) {
      if (r != null) {
        String s = r.resolve();
        byRef.put(r, s);
        v.add(s);
      }
    }
    // longer first, so a key that contains another is replaced whole
    v.sort((a, b) -> b.length() - a.length());
    this.values = v;
  }

  /** The value of one of the references this was built from. */
  String value(SecretRef ref) {
    String v = byRef.get(ref);
    return v != null ? v : ref.resolve();
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

package dev.tslake.model;

import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Strings a coder writes as small ids instead of their text: a batch run's source names and the
 * files it matched at launch, fixed when the graph is built and serialized with the coders that
 * hold it (so every worker decodes what the launcher's graph encodes; no registry shared between
 * JVMs). A string not in it (a live request's URL, a file matched later, a streaming run) is
 * written as text. It holds at most {@link #MAX_ENTRIES} strings of at most {@link #MAX_CHARS}
 * characters in all (the first ones offered): every coder of the graph carries a copy, and runners
 * serialize coders into each operator's configuration, so thousands of long paths would cost more
 * in graph size than they save; past the cap the rest stay text.
 */
public final class KnownStrings implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final int MAX_ENTRIES = 4096;
  public static final int MAX_CHARS = 256 * 1024;

  private static final KnownStrings EMPTY = new KnownStrings(new String[0]);

  /** Up to this many strings, a lookup compares instead of hashing. */
  private static final int SCAN = 16;

  private final String[] values;
  private final transient Map<String, Integer> ids;

  private KnownStrings(String[] values) {
    // Interned: every copy of the dictionary in a JVM (each operator deserializes its own coders)
    // then holds the same instances, so a string one copy decoded is found by identity when another
    // copy encodes it, instead of by comparing its characters (a 1M-row Flink run spent about 3%
    // of its samples in that comparison)
    for (int i = 0; i < values.length; i++) {
      values[i] = values[i].intern();
    }
    this.values = values;
    this.ids = new HashMap<>(values.length * 2);
    for (int i = 0; i < values.length; i++) {
      ids.putIfAbsent(values[i], i);
    }
  }

  public static KnownStrings empty() {
    return EMPTY;
  }

  /** The distinct strings of {@code values}, in order, up to the caps. */
  public static KnownStrings of(Collection<String> values) {
    Set<String> distinct = new LinkedHashSet<>();
    long chars = 0;
    for (String v : values) {
      if (v == null || distinct.contains(v)) {
        continue;
      }
      if (distinct.size() >= MAX_ENTRIES || chars + v.length() > MAX_CHARS) {
        break;
      }
      distinct.add(v);
      chars += v.length();
    }
    return distinct.isEmpty() ? EMPTY : new KnownStrings(distinct.toArray(new String[0]));
  }

  /**
   * Registers raw record and observation coders holding this dictionary in {@code p}'s coder
   * registry: every step that sets its coder from the registry ({@code Observation.Coder.in(p)}) or
   * lets Beam infer it then writes these strings as ids. For batch graphs only: a streaming job's
   * state and checkpoints may be restored into a graph built with other files.
   */
  public void registerIn(Pipeline p) {
    if (isEmpty()) {
      return;
    }
    p.getCoderRegistry().registerCoderForClass(RawRecord.class, RawRecord.Coder.withKnown(this));
    p.getCoderRegistry()
        .registerCoderForClass(Observation.class, Observation.Coder.withKnown(this));
  }

  /**
   * The coder of {@code type} in {@code p}'s registry when it is a {@code coderType} (the one
   * {@link #registerIn} put there), else {@code fallback}.
   */
  static <T, C extends Coder<T>> C registered(
      Pipeline p, Class<T> type, Class<C> coderType, C fallback) {
    try {
      Coder<T> c = p.getCoderRegistry().getCoder(type);
      return coderType.isInstance(c) ? coderType.cast(c) : fallback;
    } catch (CannotProvideCoderException e) {
      return fallback;
    }
  }

  public int size() {
    return values.length;
  }

  public boolean isEmpty() {
    return values.length == 0;
  }

  /**
   * The id of {@code s}, or -1. A small dictionary (a batch run's few sources and files) is scanned
   * instead of hashed: in a JFR profile of the 1M-row benchmark the map lookup spent about 150 of
   * the job's 2,200 samples in {@code String.hashCode} of origins whose hash was not cached yet.
   */
  int idOf(String s) {
    if (values.length <= SCAN) {
      // identity first: a string one of the dictionary's copies decoded is its (interned) instance
      for (int i = 0; i < values.length; i++) {
        if (values[i] == s) {
          return i;
        }
      }
      int len = s.length();
      for (int i = 0; i < values.length; i++) {
        String v = values[i];
        if (v.length() == len && v.equals(s)) {
          return i;
        }
      }
      return -1;
    }
    Integer id = ids.get(s);
    return id == null ? -1 : id;
  }

  /** The string of {@code id}: the dictionary's own instance. */
  String get(int id) throws IOException {
    if (id < 0 || id >= values.length) {
      throw new IOException("string id " + id + " not in a dictionary of " + values.length);
    }
    return values[id];
  }

  /** Rebuilds the lookup map on a worker (it is not serialized). */
  private Object readResolve() {
    return values.length == 0 ? EMPTY : new KnownStrings(values);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof KnownStrings && Arrays.equals(values, ((KnownStrings) o).values);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "KnownStrings{" + values.length + " strings}";
  }
}

package dev.tslake.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages are the stages of the graph, and depend on each other one way only. Scans the
 * sources under {@code src/main/java} (no bytecode, no extra dependency): every reference to a
 * {@code dev.tslake} class, by import or by qualified name in code (comments and string literals
 * are ignored), is an edge from the referring class's package to the referenced class's package.
 * Subpackages such as {@code sources.live} are packages of their own.
 */
class PackageGraphTest {
  private static final String ROOT = "dev.tslake";
  private static final Pattern PACKAGE =
      Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern REFERENCE =
      Pattern.compile("\\bdev\\.tslake((?:\\.[a-z_][a-z0-9_]*)*)\\.[A-Z]");

  /** Edges allowed for now; none. */
  private static final Set<String> PENDING = Set.of();

  /** Package -> packages it references (itself excluded), pending edges left out. */
  private static Map<String, Set<String>> graph;

  @BeforeAll
  static void scan() throws IOException {
    graph = scan(Path.of("src/main/java"));
  }

  static Map<String, Set<String>> scan(Path sourceRoot) throws IOException {
    Map<String, Set<String>> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(sourceRoot)) {
      files = walk.filter(f -> f.toString().endsWith(".java")).toList();
    }
    assertTrue(files.size() > 10, "no sources found under " + sourceRoot.toAbsolutePath());
    for (Path f : files) {
      String code = withoutCommentsAndStrings(Files.readString(f, StandardCharsets.UTF_8));
      Matcher pm = PACKAGE.matcher(code);
      if (!pm.find()) {
        continue;
      }
      String from = pm.group(1);
      Set<String> targets = out.computeIfAbsent(from, k -> new TreeSet<>());
      Matcher m = REFERENCE.matcher(code);
      while (m.find()) {
        String to = ROOT + m.group(1);
        if (!to.equals(from) && !PENDING.contains(from + " -> " + to)) {
          targets.add(to);
        }
      }
    }
    return out;
  }

  /** Java source without comments, string and char literals (text blocks count as strings). */
  static String withoutCommentsAndStrings(String s) {
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (s.startsWith("//", i)) {
        int end = s.indexOf('\n', i);
        i = end < 0 ? s.length() : end;
      } else if (s.startsWith("/*", i)) {
        int end = s.indexOf("*/", i + 2);
        i = end < 0 ? s.length() : end + 2;
        out.append(' ');
      } else if (s.startsWith("\"\"\"", i)) {
        int end = s.indexOf("\"\"\"", i + 3);
        i = end < 0 ? s.length() : end + 3;
        out.append("\"\"");
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c) {
          j += s.charAt(j) == '\\' ? 2 : 1;
        }
        i = j + 1;
        out.append(c).append(c);
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static List<String> edgesInto(String target) {
    List<String> bad = new ArrayList<>();
    graph.forEach(
        (from, tos) -> {
          if (tos.contains(target)) {
            bad.add(from + " -> " + target);
          }
        });
    return bad;
  }

  private static boolean inFamily(String pkg, String family) {
    return pkg.equals(family) || pkg.startsWith(family + ".");
  }

  private static List<String> edgesBetweenFamilies(String fromFamily, String toFamily) {
    List<String> bad = new ArrayList<>();
    graph.forEach(
        (from, tos) -> {
          for (String to : tos) {
            if (inFamily(from, fromFamily) && inFamily(to, toFamily)) {
              bad.add(from + " -> " + to);
            }
          }
        });
    return bad;
  }

  @Test
  void theScanSeesTheStages() {
    assertTrue(
        graph.keySet().containsAll(Set.of(ROOT + ".config", ROOT + ".sources", ROOT + ".lake")));
    assertTrue(graph.get(ROOT + ".sources").contains(ROOT + ".model"), graph.toString());
  }

  @Test
  void noPackageImportsTheRootPackage() {
    assertEquals(List.of(), edgesInto(ROOT));
  }

  @Test
  void configDoesNotImportTransform() {
    assertEquals(List.of(), edgesBetweenFamilies(ROOT + ".config", ROOT + ".transform"));
  }

  @Test
  void lakeAndSourcesDoNotImportEachOther() {
    assertEquals(List.of(), edgesBetweenFamilies(ROOT + ".lake", ROOT + ".sources"));
    assertEquals(List.of(), edgesBetweenFamilies(ROOT + ".sources", ROOT + ".lake"));
  }

  @Test
  void nothingImportsServe() {
    assertEquals(List.of(), edgesInto(ROOT + ".serve"));
  }

  @Test
  void serveImportsOnlyWarehouseConfigModelSecret() {
    List<String> bad = new ArrayList<>();
    Set<String> allowed =
        Set.of(ROOT + ".warehouse", ROOT + ".config", ROOT + ".model", ROOT + ".secret");
    for (String to : graph.getOrDefault(ROOT + ".serve", Set.of())) {
      if (!to.equals(ROOT + ".serve") && !allowed.contains(to)) {
        bad.add(ROOT + ".serve -> " + to);
      }
    }
    assertEquals(List.of(), bad);
  }

  @Test
  void noCyclesBetweenPackages() {
    List<Set<String>> cycles = new ArrayList<>();
    for (Set<String> component : stronglyConnectedComponents(graph)) {
      if (component.size() > 1) {
        cycles.add(component);
      }
    }
    assertEquals(List.of(), cycles, "packages that depend on each other");
  }

  @Test
  void cyclesAreFound() {
    Map<String, Set<String>> g = new HashMap<>();
    g.put("a", Set.of("b"));
    g.put("b", Set.of("c"));
    g.put("c", Set.of("a", "d"));
    g.put("d", Set.of());
    List<Set<String>> big = new ArrayList<>();
    for (Set<String> c : stronglyConnectedComponents(g)) {
      if (c.size() > 1) {
        big.add(c);
      }
    }
    assertEquals(List.of(Set.of("a", "b", "c")), big);
  }

  @Test
  void commentsAndStringsAreNotReferences() {
    String code =
        "package p;\n// dev.tslake.x.A\n/* dev.tslake.y.B */ class C { String s ="
            + " \"dev.tslake.z.C\"; dev.tslake.w.D d; }";
    Matcher m = REFERENCE.matcher(withoutCommentsAndStrings(code));
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1));
    }
    assertEquals(List.of(".w"), found);
  }

  /** Tarjan's algorithm, iterative. */
  static List<Set<String>> stronglyConnectedComponents(Map<String, Set<String>> g) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> out = new ArrayList<>();
    int[] counter = {0};
    for (String start : new TreeSet<>(g.keySet())) {
      if (index.containsKey(start)) {
        continue;
      }
      Deque<Object[]> work = new ArrayDeque<>();
      work.push(new Object[] {start, new ArrayList<>(g.getOrDefault(start, Set.of())).iterator()});
      index.put(start, counter[0]);
      low.put(start, counter[0]++);
      stack.push(start);
      onStack.add(start);
      while (!work.isEmpty()) {
        Object[] frame = work.peek();
        String v = (String) frame[0];
        @SuppressWarnings("unchecked")
        Iterator<String> it = (Iterator<String>) frame[1];
        if (it.hasNext()) {
          String w = it.next();
          if (!index.containsKey(w)) {
            index.put(w, counter[0]);
            low.put(w, counter[0]++);
            stack.push(w);
            onStack.add(w);
            work.push(new Object[] {w, new ArrayList<>(g.getOrDefault(w, Set.of())).iterator()});
          } else if (onStack.contains(w)) {
            low.put(v, Math.min(low.get(v), index.get(w)));
          }
        } else {
          work.pop();
          if (!work.isEmpty()) {
            String parent = (String) work.peek()[0];
            low.put(parent, Math.min(low.get(parent), low.get(v)));
          }
          if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
              w = stack.pop();
              onStack.remove(w);
              component.add(w);
            } while (!w.equals(v));
            out.add(component);
          }
        }
      }
    }
    return out;
  }
}

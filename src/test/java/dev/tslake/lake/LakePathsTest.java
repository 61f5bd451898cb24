package dev.tslake.lake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LakePathsTest {
  @Test
  void layout() {
    assertEquals(
        "raw/source=fred/ingest_date=2026-11-20/run_id=r1/PAYEMS.csv",
        LakePaths.file("raw", "fred", "2026-11-20", "r1", "PAYEMS"));
    assertEquals(
        "raw/source=bitstamp/ingest_date=2026-11-20/run_id=r1/BTC%2FUSD%2Eclose.csv",
        LakePaths.file("raw", "bitstamp", "2026-11-20", "r1", "BTC/USD.close"));
    assertEquals(
        "rejected/source=av/ingest_date=2026-11-20/run_id=r1/@no_series.csv",
        LakePaths.file("rejected", "av", "2026-11-20", "r1", null));
  }

  @Test
  void hostileIdsStayInsideTheirFolder() {
    Path root = Path.of("/lake");
    for (String id :
        new String[] {
          "../../etc/passwd",
          "..",
          ".",
          "/abs/path",
          "a/../../b",
          "..\\..\\win",
          "\u0000nul",
          "~root",
          ".hidden",
          "%2E%2E"
        }) {
      String rel = LakePaths.file("raw", "s", "2026-11-20", "r1", id);
      Path resolved = root.resolve(rel).normalize();
      assertThat(
          id,
          resolved.startsWith(root.resolve("raw/source=s/ingest_date=2026-11-20/run_id=r1")),
          org.hamcrest.Matchers.is(true));
      String name = rel.substring(rel.lastIndexOf('/') + 1);
      assertThat(name, not(containsString("/")));
      assertThat(name.startsWith("."), org.hamcrest.Matchers.is(false));
    }
  }

  @Test
  void encodingIsInjective() {
    assertNotEquals(LakePaths.safeSegment("a/b"), LakePaths.safeSegment("a%2Fb"));
    assertNotEquals(LakePaths.safeSegment("a.b"), LakePaths.safeSegment("a_b"));
  }

  @Test
  void longIdsAreCutWithAHash() {
    String a = "x".repeat(500) + "a";
    String b = "x".repeat(500) + "b";
    assertThat(LakePaths.safeSegment(a).length(), lessThanOrEqualTo(150));
    assertNotEquals(LakePaths.safeSegment(a), LakePaths.safeSegment(b));
  }

  @Test
  void inputFilesAreNamedByBaseNameAndAHashOfTheFullPath() {
    String rel =
        LakePaths.inputFile(
            "raw", "fred", "2026-11-20", "r1", "/data/tslake/testdata/fred/PAYEMS_obs_2023.json");
    assertThat(
        rel,
        org.hamcrest.Matchers.matchesPattern(
            "raw/source=fred/ingest_date=2026-11-20/run_id=r1/PAYEMS_obs_2023%2Ejson@[0-9a-f]{12}\\.csv"));
    // same input, same run, same name (a rerun of the run replaces it); another run, another file
    assertEquals(
        rel,
        LakePaths.inputFile(
            "raw", "fred", "2026-11-20", "r1", "/data/tslake/testdata/fred/PAYEMS_obs_2023.json"));
    assertNotEquals(
        rel,
        LakePaths.inputFile(
            "raw", "fred", "2026-11-20", "r2", "/data/tslake/testdata/fred/PAYEMS_obs_2023.json"));
    // same base name elsewhere, another file
    assertNotEquals(
        rel,
        LakePaths.inputFile(
            "raw", "fred", "2026-11-20", "r1", "/data/other/fred/PAYEMS_obs_2023.json"));
    assertNotEquals(
        LakePaths.inputFile("raw", "s", "d", "r", "s3://bucket/a/in.csv"),
        LakePaths.inputFile("raw", "s", "d", "r", "s3://bucket/b/in.csv"));
    // an input file name never looks like a series file ('@' is always encoded in those)
    assertThat(
        LakePaths.file("raw", "s", "d", "r", "in.csv@0123456789ab"), not(containsString("@")));
  }

  @Test
  void hostileInputPathsAndSourcesStayInsideTheirFolder() {
    Path root = Path.of("/lake");
    String[] paths = {
      "/in/../../etc/passwd",
      "/in/..",
      "/in/.",
      "/in/",
      "",
      "..",
      "s3://b/",
      "s3://b/k/..%2F..%2Fx.csv",
      "C:\\in\\..\\..\\win.csv",
      "/in/.hidden.csv",
      "/in/~",
      "/in/new\nline.csv",
      "/in/" + "y".repeat(400) + ".csv",
      "/in/\u00fcber\u20ac.csv",
      "/in/%2E%2E",
      "/in/a@b.csv"
    };
    String[] sources = {"s", "../..", "/abs", "..", ".", "", "a/../../b", ".hidden"};
    String[] runs = {"../..", "/abs", ".hidden"};
    java.util.Set<String> names = new java.util.HashSet<>();
    for (String source : sources) {
      for (String path : paths) {
        String rel =
            LakePaths.inputFile("raw", source, "../2026-11-20", runs[names.size() % 3], path);
        Path resolved = root.resolve(rel).normalize();
        assertEquals(5, root.relativize(resolved).getNameCount(), rel);
        assertThat(rel, resolved.startsWith(root.resolve("raw")), org.hamcrest.Matchers.is(true));
        assertEquals(resolved, root.resolve(rel), "no . or .. segment in " + rel);
        for (int i = 0; i < resolved.getNameCount(); i++) {
          assertThat(
              rel, resolved.getName(i).toString().startsWith("."), org.hamcrest.Matchers.is(false));
        }
        String name = rel.substring(rel.lastIndexOf('/') + 1);
        assertThat(rel, name.length(), lessThanOrEqualTo(150 + 1 + 12 + 4));
        assertThat(
            rel,
            name,
            org.hamcrest.Matchers.matchesPattern("[A-Za-z0-9_%~@-]+@[0-9a-f]{12}\\.csv"));
        names.add(rel);
      }
    }
    assertEquals(sources.length * paths.length, names.size(), "distinct inputs, distinct files");
  }

  @Test
  void runIdsAreFoldersOfTheirOwnWhateverTheyContain() {
    Path root = Path.of("/lake");
    java.util.Set<String> folders = new java.util.HashSet<>();
    String[] runs = {
      "r1", "r2", "../../x", "..", ".", "/abs", "a/b", ".hidden", "run 1", "run%201"
    };
    for (String run : runs) {
      String folder = LakePaths.runFolder("raw", "s", "2026-11-20", run);
      assertThat(
          folder,
          folder.startsWith("raw/source=s/ingest_date=2026-11-20/run_id="),
          org.hamcrest.Matchers.is(true));
      assertThat(
          folder,
          folder.substring(folder.indexOf("run_id=")).indexOf('/'),
          org.hamcrest.Matchers.is(folder.length() - folder.indexOf("run_id=") - 1));
      Path resolved = root.resolve(LakePaths.file("rejected", "s", "2026-11-20", run, "x"));
      assertEquals(resolved, resolved.normalize(), run);
      assertEquals(5, root.relativize(resolved).getNameCount(), run);
      folders.add(folder);
    }
    assertEquals(runs.length, folders.size(), "distinct runs, distinct folders");
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> LakePaths.file("raw", "s", "d", " ", "x"));
  }
}

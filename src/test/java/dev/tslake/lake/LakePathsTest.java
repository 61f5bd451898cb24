package dev.tslake.lake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LakePathsTest {
  @Test
  void layout() {
    assertEquals("raw/source=fred/ingest_date=2026-11-20/PAYEMS.csv",
        LakePaths.file("raw", "fred", "2026-11-20", "PAYEMS"));
    assertEquals("raw/source=bitstamp/ingest_date=2026-11-20/BTC%2FUSD%2Eclose.csv",
        LakePaths.file("raw", "bitstamp", "2026-11-20", "BTC/USD.close"));
    assertEquals("rejected/source=av/ingest_date=2026-11-20/@no_series.csv",
        LakePaths.file("rejected", "av", "2026-11-20", null));
  }

  @Test
  void hostileIdsStayInsideTheirFolder() {
    Path root = Path.of("/lake");
    for (String id : new String[] {"../../etc/passwd", "..", ".", "/abs/path", "a/../../b",
        "..\\..\\win", "\u0000nul", "~root", ".hidden", "%2E%2E"}) {
      String rel = LakePaths.file("raw", "s", "2026-11-20", id);
      Path resolved = root.resolve(rel).normalize();
      assertThat(id, resolved.startsWith(root.resolve("raw/source=s/ingest_date=2026-11-20")),
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
}

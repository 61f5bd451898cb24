package dev.tslake.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard works offline: every script and stylesheet the page loads is inside the jar (its
 * own files under {@code dev/tslake/serve/web/}, uPlot from the webjar), and nothing points at
 * another host.
 */
class DashboardResourcesTest {
  static final String WEB = "/dev/tslake/serve/web/";
  static final Pattern ASSET = Pattern.compile("(?:src|href)=\"([^\"]+)\"");

  @Test
  void everyAssetOfThePageIsOnTheClasspath() throws IOException {
    String html = read(WEB + "index.html");
    List<String> assets = new ArrayList<>();
    Matcher m = ASSET.matcher(html);
    while (m.find()) {
      assets.add(m.group(1));
    }
    assertTrue(assets.contains("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js"), assets.toString());
    assertTrue(assets.contains("app.js"), assets.toString());
    for (String asset : assets) {
      String resource = asset.startsWith("/webjars/") ? "/META-INF/resources" + asset : WEB + asset;
      assertNotNull(
          DashboardResourcesTest.class.getResource(resource),
          asset + " is not on the classpath (" + resource + ")");
    }
  }

  @Test
  void nothingIsLoadedFromAnotherHost() throws IOException {
    for (String file : List.of("index.html", "app.js", "app.css")) {
      String text = read(WEB + file);
      Matcher m = Pattern.compile("(?:https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/").matcher(text);
      List<String> external = new ArrayList<>();
      while (m.find()) {
        external.add(m.group());
      }
      assertEquals(List.of(), external, file + " refers to another host");
    }
  }

  static String read(String resource) throws IOException {
    try (InputStream in = DashboardResourcesTest.class.getResourceAsStream(resource)) {
      assertNotNull(in, resource + " missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}

package dev.tslake.serve;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tslake.warehouse.HoldDuckDbFile;
import dev.tslake.warehouse.WarehouseSpec;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DuckDB has one writing process: while a job (here another process) holds the file the API answers
 * 503 saying so; once it lets go, the same server reads the file again, and between requests the
 * server holds nothing, so a writer can open the file.
 */
class ServerDuckDbInUseTest {
  @TempDir Path dir;

  @Test
  void aJobHoldingTheFileGives503ThenTheServerReadsAgain() throws Exception {
    Path file = dir.resolve("w.duckdb");
    WarehouseSpec spec = new WarehouseSpec("jdbc:duckdb:" + file, null, null);
    HttpClient http = HttpClient.newHttpClient();
    try (Server.Running server = Server.start(ServeSettings.loopback(spec))) {
      URI series = URI.create(server.url() + "api/series");
      HttpResponse<String> none =
          http.send(HttpRequest.newBuilder(series).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(503, none.statusCode(), none.body());
      assertThat(none.body(), containsString("run the tslake job first"));

      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process holder =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  HoldDuckDbFile.class.getName(),
                  file.toString())
              .redirectError(new File(dir.toFile(), "holder.err"))
              .start();
      try {
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("held", out.readLine(), "the holder process opened the file");
        HttpResponse<String> busy =
            http.send(HttpRequest.newBuilder(series).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, busy.statusCode(), busy.body());
        assertThat(busy.body(), containsString("a tslake job is writing " + file.toAbsolutePath()));
        assertThat(busy.body(), containsString("reads again when it finishes"));
      } finally {
        holder.getOutputStream().close();
        holder.waitFor(30, TimeUnit.SECONDS);
      }
      // the holder is gone: the server reads, and between requests a writer can take the file
      HttpResponse<String> ok =
          http.send(HttpRequest.newBuilder(series).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode(), ok.body());
      try (Connection c = spec.open();
          Statement st = c.createStatement()) {
        st.execute("CREATE TABLE IF NOT EXISTS written_while_served (x INTEGER)");
        c.commit();
      } finally {
        spec.release();
      }
      HttpResponse<String> again =
          http.send(HttpRequest.newBuilder(series).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, again.statusCode(), again.body());
    }
  }
}

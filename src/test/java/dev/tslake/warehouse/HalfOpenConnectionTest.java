package dev.tslake.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tslake.model.Observation;
import dev.tslake.testing.PostgresSupport;
import dev.tslake.testing.WarehouseDump;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.util.Sleeper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A half-open connection: the TCP connection to PostgreSQL stays up but nothing comes back (a
 * network partition, a firewall dropping packets). The write must not hang: pgjdbc's {@code
 * socketTimeout} ends the wait, the failure counts as transient, and the batch is written again
 * over a new connection.
 */
@Tag("integration")
class HalfOpenConnectionTest {

  /**
   * Forwards 127.0.0.1:port to PostgreSQL; {@link #silenceOpenConnections} makes them half-open.
   */
  static final class SilencingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final List<Pump> pumps = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();

    SilencingProxy(String host, int port) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread accept =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket client = server.accept();
                    Socket upstream = new Socket(host, port);
                    connections.incrementAndGet();
                    pumps.add(new Pump(client.getInputStream(), upstream.getOutputStream()));
                    pumps.add(new Pump(upstream.getInputStream(), client.getOutputStream()));
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "proxy-accept");
      accept.setDaemon(true);
      accept.start();
    }

    int port() {
      return server.getLocalPort();
    }

    /** Connections open now keep their sockets but forward nothing more; new ones work. */
    void silenceOpenConnections() {
      for (Pump p : pumps) {
        p.silent = true;
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  static final class Pump {
    volatile boolean silent;

    Pump(InputStream in, OutputStream out) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[8192];
                try {
                  int n;
                  while ((n = in.read(buf)) >= 0) {
                    if (!silent) {
                      out.write(buf, 0, n);
                      out.flush();
                    }
                  }
                } catch (IOException e) {
                  // connection closed
                }
              },
              "proxy-pump");
      t.setDaemon(true);
      t.start();
    }
  }

  static List<Observation> rows(int from, int n) {
    List<Observation> out = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      out.add(
          new Observation(
              "halfopen", "S", 1_700_000_000_000L + i * 60_000L, (double) i, 0L, "t", "row " + i));
    }
    return out;
  }

  @Test
  void aSilentConnectionTimesOutAndTheBatchIsWrittenAgain() throws Exception {
    try (PostgresSupport.TestSchema schema = PostgresSupport.freshSchema("halfopen")) {
      WarehouseSpec direct =
          new WarehouseSpec(schema.url(), PostgresSupport.user(), PostgresSupport.password());
      WarehouseSchema.ensure(direct);
      URI base = URI.create(schema.url().substring("jdbc:".length()));
      try (SilencingProxy proxy = new SilencingProxy(base.getHost(), base.getPort())) {
        String viaProxy =
            schema.url().replace(base.getHost() + ":" + base.getPort(), "127.0.0.1:" + proxy.port())
                + "&socketTimeout=2";
        WarehouseSpec spec =
            new WarehouseSpec(viaProxy, PostgresSupport.user(), PostgresSupport.password());
        List<SQLException> retried = new CopyOnWriteArrayList<>();
        BatchWriter.Listener listener =
            new BatchWriter.Listener() {
              @Override
              public void retrying(int failedAttempt, SQLException cause) {
                retried.add(cause);
              }
            };
        try (BatchWriter<Observation> writer =
            new BatchWriter<>(
                spec,
                Tables.observations(),
                true,
                true,
                BatchWriter.DEFAULT_RETRY,
                Sleeper.DEFAULT,
                listener)) {
          assertEquals(100, writer.write(rows(0, 100)).written);
          proxy.silenceOpenConnections();
          long started = System.nanoTime();
          // without a socket timeout this write waits forever for PostgreSQL's answer
          BatchWriter.Result<Observation> r =
              assertTimeoutPreemptively(Duration.ofSeconds(60), () -> writer.write(rows(100, 100)));
          long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
          assertEquals(100, r.written);
          assertTrue(r.failures.isEmpty(), r.failures.toString());
          assertTrue(!retried.isEmpty(), "the silent connection was not retried");
          assertTrue(seconds < 30, "took " + seconds + " s");
          assertTrue(proxy.connections.get() >= 2, "no new connection was opened");
        }
      }
      assertEquals(
          List.of("200"),
          WarehouseDump.rows(
              direct, "SELECT count(*) FROM observations WHERE source = 'halfopen'"));
    }
  }
}

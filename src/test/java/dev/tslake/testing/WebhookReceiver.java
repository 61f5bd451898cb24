package dev.tslake.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP endpoint on 127.0.0.1 that records the body of every POST to {@code /hook/<token>} and
 * answers the first {@code failFirst} of them with {@code failStatus}, the rest with 200.
 */
public final class WebhookReceiver implements AutoCloseable {
  private final HttpServer server;
  private final List<String> bodies = new ArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile int failFirst;
  private volatile int failStatus = 503;

  public WebhookReceiver() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        exchange -> {
          int n = requests.incrementAndGet();
          byte[] body;
          try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
          }
          synchronized (bodies) {
            bodies.add(
                exchange.getRequestMethod()
                    + " "
                    + exchange.getRequestURI().getPath()
                    + " "
                    + new String(body, StandardCharsets.UTF_8));
          }
          int status = n <= failFirst ? failStatus : 200;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
  }

  /** The first {@code n} requests get {@code status}. */
  public WebhookReceiver failing(int n, int status) {
    this.failFirst = n;
    this.failStatus = status;
    return this;
  }

  /** The URL to give as {@code --alertWebhook}: its path plays the part of a Slack token. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook/T0KEN-in-the-path";
  }

  /** "METHOD path body" of every request so far. */
  public List<String> requests() {
    synchronized (bodies) {
      return new ArrayList<>(bodies);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

package dev.tslake.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for servers that a test starts in another process (a Flink JobManager, an S3
 * server), where the port must be chosen before that process binds it.
 *
 * <p>{@code new ServerSocket(0)} is not enough there, for two reasons seen on CI: it returns a port
 * from the kernel's ephemeral range, which any outgoing connection (JDBC, HTTP, the TaskManager's
 * own RPC) may take before the server binds it; and Java sets {@code SO_REUSEADDR}, so it happily
 * returns a port that still has connections in TIME_WAIT, which a server without that option
 * (Flink's REST endpoint: "Could not start rest endpoint on any port in port range …") cannot bind.
 * So the ports come from below the ephemeral range and are probed without {@code SO_REUSEADDR}.
 */
public final class FreePorts {
  private static final int LOWEST = 20000;

  private FreePorts() {}

  /**
   * A loopback port that nothing listens on and nothing recently used, below the ephemeral range.
   */
  public static int pick() {
    int ceiling = Math.max(LOWEST + 1000, ephemeralStart());
    IOException last = null;
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, ceiling);
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(false);
        probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException busy) {
        last = busy;
      }
    }
    throw new UncheckedIOException(
        "no free loopback port in [" + LOWEST + ", " + ceiling + ")", last);
  }

  private static int ephemeralStart() {
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    try {
      return Integer.parseInt(Files.readString(range).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException unknown) {
      return 32768; // Linux's default
    }
  }
}

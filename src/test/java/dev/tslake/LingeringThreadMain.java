package dev.tslake;

/**
 * Runs {@link TsLake#main} with a non-daemon thread left running beside it, as Flink's shaded Netty
 * leaves one after the mini-cluster shuts down ({@link JvmExitTest}).
 */
public final class LingeringThreadMain {
  private LingeringThreadMain() {}

  public static void main(String[] args) {
    Thread lingering =
        new Thread(
            () -> {
              try {
                Thread.sleep(600_000);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "lingering-non-daemon");
    lingering.setDaemon(false);
    lingering.start();
    TsLake.main(args);
  }
}

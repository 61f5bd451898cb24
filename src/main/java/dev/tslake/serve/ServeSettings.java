package dev.tslake.serve;

import dev.tslake.secret.LaunchSecrets;
import dev.tslake.secret.SecretsFile;
import dev.tslake.warehouse.WarehouseSpec;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** What the server serves and where it listens. */
public final class ServeSettings {
  public final WarehouseSpec warehouse;
  public final String bind;
  public final int port;

  public ServeSettings(WarehouseSpec warehouse, String bind, int port) {
    this.warehouse = Objects.requireNonNull(warehouse, "warehouse");
    this.bind = Objects.requireNonNull(bind, "bind");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be between 0 and 65535, not " + port);
    }
    this.port = port;
  }

  /** On 127.0.0.1, any free port (tests). */
  public static ServeSettings loopback(WarehouseSpec warehouse) {
    return new ServeSettings(warehouse, "127.0.0.1", 0);
  }

  /** From the command line; the password as the job finds it (option, secrets file, env). */
  public static ServeSettings fromArgs(String[] args, Map<String, String> env) {
    PipelineOptionsFactory.register(ServeOptions.class);
    ServeOptions options =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(ServeOptions.class);
    LaunchSecrets secrets = LaunchSecrets.of(options, env::get);
    WarehouseSpec spec =
        WarehouseSpec.withPasswordFrom(
            options.getWarehouseUrl(),
            options.getWarehouseUser(),
            secrets.ref(
                "--warehousePassword",
                options.getWarehousePassword(),
                SecretsFile.WAREHOUSE_PASSWORD,
                "TSLAKE_WAREHOUSE_PASSWORD"));
    return new ServeSettings(spec, options.getBind(), options.getPort());
  }
}

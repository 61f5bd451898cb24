package dev.tslake.serve;

import dev.tslake.secret.SecretsOptions;
import dev.tslake.warehouse.WarehouseOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** Options of the server ({@code --name=value}); the warehouse options are the job's. */
public interface ServeOptions extends WarehouseOptions, SecretsOptions {
  @Description("Port the server listens on (0: any free port).")
  @Default.Integer(8080)
  int getPort();

  void setPort(int value);

  @Description("Address the server binds (127.0.0.1: this machine only).")
  @Default.String("127.0.0.1")
  String getBind();

  void setBind(String value);
}

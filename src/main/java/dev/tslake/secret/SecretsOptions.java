package dev.tslake.secret;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the job's secrets are kept, when not in environment variables. */
public interface SecretsOptions extends PipelineOptions {
  @Description(
      "A secrets file, JSON object or properties (warehousePassword, fredApiKey,"
          + " alphaVantageApiKey, censusApiKey, s3AccessKey, s3SecretKey). Read by the launcher and"
          + " again by every worker at setup, so on a cluster it must exist at this path (or URL)"
          + " on the workers too; the values never enter the job. Precedence per secret: its"
          + " option (local runners only), then this file, then its environment variable.")
  String getSecretsFile();

  void setSecretsFile(String value);
}

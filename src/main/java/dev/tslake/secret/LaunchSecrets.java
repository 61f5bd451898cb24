package dev.tslake.secret;

import java.util.Map;
import java.util.function.Function;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Decides, at launch, where each secret comes from. Precedence: its option, then the secrets file,
 * then its environment variable. A value given as an option exists only in the launching JVM, so it
 * is accepted only when the runner executes the graph in this JVM ({@link #runsInThisJvm});
 * otherwise the launch fails saying to use the environment variable or {@code --secretsFile}.
 */
public final class LaunchSecrets {
  private final boolean local;
  private final String runner;
  private final @Nullable String file;
  private final Map<String, String> fileEntries;
  private final Function<String, @Nullable String> env;

  private LaunchSecrets(
      boolean local,
      String runner,
      @Nullable String file,
      Map<String, String> fileEntries,
      Function<String, @Nullable String> env) {
    this.local = local;
    this.runner = runner;
    this.file = file;
    this.fileEntries = fileEntries;
    this.env = env;
  }

  /** The secrets of a run with these options; reads the secrets file, if any. */
  public static LaunchSecrets of(PipelineOptions options, Function<String, @Nullable String> env) {
    String file = options.as(SecretsOptions.class).getSecretsFile();
    file = file == null || file.isBlank() ? null : file.trim();
    return new LaunchSecrets(
        runsInThisJvm(options),
        options.getRunner().getSimpleName(),
        file,
        file == null ? Map.of() : SecretsFile.read(file),
        env);
  }

  /**
   * Where the secret is: {@code option} (the value given on the command line), then entry {@code
   * fileKey} of the secrets file, then environment variable {@code variable}; null when none has
   * it.
   */
  public @Nullable SecretRef ref(
      String optionName, @Nullable String option, String fileKey, @Nullable String variable) {
    if (option != null && !option.isBlank()) {
      if (!local) {
        throw new IllegalArgumentException(
            optionName
                + " is given on the command line, but "
                + runner
                + " runs the job outside this JVM and"
                + " the value would have to travel inside the job: give it through "
                + (variable == null ? "" : "the " + variable + " environment variable or ")
                + "--secretsFile (entry '"
                + fileKey
                + "'), available where the job runs");
      }
      return SecretRef.inThisJvm(option.trim(), optionName);
    }
    if (file != null && fileEntries.containsKey(fileKey)) {
      return SecretRef.file(file, fileKey, optionName);
    }
    if (variable != null) {
      String v = env.apply(variable);
      if (v != null && !v.isBlank()) {
        return SecretRef.env(variable, optionName);
      }
    }
    return null;
  }

  /**
   * True when the runner executes the graph in this JVM: the DirectRunner, and the FlinkRunner in
   * local mode ({@code --flinkMaster=[local]}, or the default {@code [auto]} outside a Flink
   * client).
   */
  public static boolean runsInThisJvm(PipelineOptions options) {
    String runner = options.getRunner().getSimpleName();
    if (runner.equals("DirectRunner") || runner.equals("TestDirectRunner")) {
      return true;
    }
    if (runner.equals("FlinkRunner") || runner.equals("TestFlinkRunner")) {
      String master = "[auto]";
      for (DisplayData.Item item : DisplayData.from(options).items()) {
        if ("flinkMaster".equals(item.getKey()) && item.getValue() != null) {
          master = String.valueOf(item.getValue());
        }
      }
      return master.equals("[local]") || master.equals("[auto]");
    }
    return false;
  }
}

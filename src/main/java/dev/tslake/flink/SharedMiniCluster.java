package dev.tslake.flink;

import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One Flink mini-cluster kept for the life of a JVM that runs many batch jobs (the run service):
 * the Flink runner's {@code [auto]} master then submits each job to it instead of starting and
 * stopping a mini-cluster per run, as its {@code [local]} environment does.
 *
 * <p>It is installed as Flink's context {@link ExecutionEnvironment}, which {@code
 * FlinkExecutionEnvironments} takes for {@code --flinkMaster=[auto]} (Beam's default) when it is
 * not a local environment. Only batch (DataSet) jobs use it; a streaming job still starts its own
 * cluster. Its configuration is the one a local run gets: the {@code --flinkConfDir} file's
 * settings, or Beam's local default of 40% of the free heap as managed memory, and as many slots as
 * the runs' parallelism.
 */
public final class SharedMiniCluster implements AutoCloseable {
  private static final String NAME = "tslake-shared-mini-cluster";

  private final MiniCluster cluster;
  private final java.util.concurrent.atomic.AtomicLong submitted =
      new java.util.concurrent.atomic.AtomicLong();

  private SharedMiniCluster(MiniCluster cluster) {
    this.cluster = cluster;
  }

  /**
   * Starts the cluster and installs it as the context environment of this JVM.
   *
   * @param confDir a Flink configuration folder, or null
   * @param slots task slots: the parallelism of the jobs it will run
   */
  public static SharedMiniCluster start(@Nullable String confDir, int slots) throws Exception {
    Configuration conf = configuration(confDir);
    if (!conf.contains(TaskManagerOptions.MANAGED_MEMORY_SIZE)) {
      // what Beam gives a [local] run
      long managed = (long) (EnvironmentInformation.getSizeOfFreeHeapMemoryWithDefrag() * 0.4);
      conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, new MemorySize(managed));
    }
    SharedMiniCluster shared = new SharedMiniCluster(startCluster(conf, slots));
    Context.install(shared, slots);
    return shared;
  }

  /** The configuration folder's settings as Beam reads them for a local run. */
  private static Configuration configuration(@Nullable String confDir) {
    if (confDir != null) {
      return GlobalConfiguration.loadConfiguration(confDir);
    }
    return System.getenv(ConfigConstants.ENV_FLINK_CONF_DIR) != null
        ? GlobalConfiguration.loadConfiguration()
        : new Configuration();
  }

  private static MiniCluster startCluster(Configuration conf, int slots) throws Exception {
    conf.set(CoreOptions.CHECK_LEAKED_CLASSLOADER, false);
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
    if (!conf.contains(RestOptions.BIND_PORT)) {
      // as Flink's per-job local cluster: any free port, never a fixed 8081 two JVMs would share
      conf.set(RestOptions.BIND_PORT, "0");
    }
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .build());
    try {
      cluster.start();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Submits one job's plan; its client waits for the result as a local run's does. */
  CompletableFuture<JobClient> submit(Pipeline plan, Configuration conf, ClassLoader loader)
      throws Exception {
    JobGraph graph = PipelineExecutorUtils.getJobGraph(plan, conf, loader);
    submitted.incrementAndGet();
    JobID id = graph.getJobID();
    return cluster
        .submitJob(graph)
        .thenApply(
            submitted ->
                new MiniClusterJobClient(
                    id, cluster, loader, MiniClusterJobClient.JobFinalizationBehavior.NOTHING));
  }

  /** Jobs submitted to this cluster so far. */
  public long jobsSubmitted() {
    return submitted.get();
  }

  @Override
  public void close() throws Exception {
    Context.uninstall();
    cluster.close();
  }

  /** Flink's context environment hook is protected: reachable from a subclass only. */
  private static final class Context extends ExecutionEnvironment {
    private Context(PipelineExecutorServiceLoader loader, int slots) {
      super(loader, configuration(), SharedMiniCluster.class.getClassLoader());
      // what a local environment gives a run without --parallelism: all the slots
      setParallelism(slots);
    }

    private static Configuration configuration() {
      Configuration c = new Configuration();
      c.set(DeploymentOptions.TARGET, NAME);
      c.set(DeploymentOptions.ATTACHED, true);
      return c;
    }

    static void install(SharedMiniCluster shared, int slots) {
      PipelineExecutor executor = shared::submit;
      PipelineExecutorFactory factory =
          new PipelineExecutorFactory() {
            @Override
            public String getName() {
              return NAME;
            }

            @Override
            public boolean isCompatibleWith(Configuration configuration) {
              return true;
            }

            @Override
            public PipelineExecutor getExecutor(Configuration configuration) {
              return executor;
            }
          };
      PipelineExecutorServiceLoader loader =
          new PipelineExecutorServiceLoader() {
            @Override
            public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
              return factory;
            }

            @Override
            public Stream<String> getExecutorNames() {
              return Stream.of(factory.getName());
            }
          };
      initializeContextEnvironment(() -> new Context(loader, slots));
    }

    static void uninstall() {
      resetContextEnvironment();
    }
  }
}

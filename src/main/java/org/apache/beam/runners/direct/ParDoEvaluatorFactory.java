package org.apache.beam.runners.direct;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.runners.direct.DirectExecutionContext.DirectStepContext;
import org.apache.beam.runners.local.StructuralKey;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.cache.CacheBuilder;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.cache.CacheLoader;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.cache.LoadingCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tslake's replacement for the Beam 2.62 DirectRunner's evaluator factory of {@code ParDo} (same
 * name and package, so it is the one the runner's {@code TransformEvaluatorRegistry} and its
 * stateful and splittable factories use; see docs/performance.md, H21). It does what Beam's does,
 * with one difference: what an evaluator needs from the transform (side inputs, output tags, schema
 * information, side-input mapping) is worked out once per step and kept, where Beam's works it out
 * again for every bundle. Beam's {@code ParDoTranslation.getSchemaInformation} and {@code
 * getSideInputMapping} each translate the {@code ParDo} to its proto, serializing its {@code DoFn},
 * and deserialize it again: on the default job, 2,855 bundles made 6,264 such round trips, about 3
 * s of the job's 15 s of CPU.
 *
 * <p>What is kept depends on the transform alone, which does not change while the pipeline runs.
 * {@code DirectParDoEvaluatorFactoryTest} checks that this class, not Beam's, is the one loaded,
 * and pins the Beam version it was written against.
 */
final class ParDoEvaluatorFactory<InputT, OutputT> implements TransformEvaluatorFactory {
  private static final Logger LOG = LoggerFactory.getLogger(ParDoEvaluatorFactory.class);

  private final LoadingCache<AppliedPTransform<?, ?, ?>, DoFnLifecycleManager> fnClones;
  private final EvaluationContext evaluationContext;
  private final PipelineOptions options;
  private final ParDoEvaluator.DoFnRunnerFactory<InputT, OutputT> runnerFactory;

  /** Per step: what its evaluators need from the transform. Keyed by identity. */
  private final Map<IdentityKey, Step> steps = new ConcurrentHashMap<>();

  ParDoEvaluatorFactory(
      EvaluationContext evaluationContext,
      ParDoEvaluator.DoFnRunnerFactory<InputT, OutputT> runnerFactory,
      CacheLoader<AppliedPTransform<?, ?, ?>, DoFnLifecycleManager> doFnCacheLoader,
      PipelineOptions options) {
    this.evaluationContext = evaluationContext;
    this.options = options;
    this.runnerFactory = runnerFactory;
    this.fnClones = CacheBuilder.newBuilder().build(doFnCacheLoader);
  }

  /** Each step's {@code DoFn}, deserialized once per step and set up by its lifecycle manager. */
  static CacheLoader<AppliedPTransform<?, ?, ?>, DoFnLifecycleManager> basicDoFnCacheLoader() {
    return new FnLoader();
  }

  private static final class FnLoader
      extends CacheLoader<AppliedPTransform<?, ?, ?>, DoFnLifecycleManager> {
    @Override
    public DoFnLifecycleManager load(AppliedPTransform<?, ?, ?> application) throws Exception {
      return DoFnLifecycleManager.of(
          ParDoTranslation.getDoFn(application), application.getPipeline().getOptions());
    }
  }

  /** What a step's evaluators need from its transform. */
  private static final class Step {
    final List<PCollectionView<?>> sideInputs;
    final TupleTag<?> mainOutputTag;
    final List<TupleTag<?>> additionalOutputTags;
    final DoFnSchemaInformation schemaInformation;
    final Map<String, PCollectionView<?>> sideInputMapping;

    Step(AppliedPTransform<?, ?, ?> application) throws Exception {
      this.sideInputs = ParDoTranslation.getSideInputs(application);
      this.mainOutputTag = ParDoTranslation.getMainOutputTag(application);
      this.additionalOutputTags = ParDoTranslation.getAdditionalOutputTags(application).getAll();
      this.schemaInformation = ParDoTranslation.getSchemaInformation(application);
      this.sideInputMapping = ParDoTranslation.getSideInputMapping(application);
    }
  }

  /** A map key that is equal only to itself: an {@code AppliedPTransform}'s own hash is deep. */
  private static final class IdentityKey {
    private final Object of;

    IdentityKey(Object of) {
      this.of = of;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof IdentityKey && ((IdentityKey) o).of == of;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(of);
    }
  }

  private Step step(AppliedPTransform<?, ?, ?> application) throws Exception {
    IdentityKey key = new IdentityKey(application);
    Step s = steps.get(key);
    if (s == null) {
      s = new Step(application); // two threads may both work it out: the same result
      steps.putIfAbsent(key, s);
    }
    return s;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public <T> TransformEvaluator<T> forApplication(
      AppliedPTransform<?, ?, ?> application, CommittedBundle<?> inputBundle) throws Exception {
    Step s = step(application);
    return (TransformEvaluator<T>)
        createEvaluator(
            (AppliedPTransform) application,
            (PCollection<InputT>) inputBundle.getPCollection(),
            inputBundle.getKey(),
            s.sideInputs,
            (TupleTag<OutputT>) s.mainOutputTag,
            s.additionalOutputTags,
            s.schemaInformation,
            s.sideInputMapping);
  }

  @Override
  public void cleanup() throws Exception {
    DoFnLifecycleManagers.removeAllFromManagers(fnClones.asMap().values());
  }

  /**
   * An evaluator of one bundle, with the transform's pieces given (the stateful and splittable
   * factories call this with pieces of their own).
   */
  DoFnLifecycleManagerRemovingTransformEvaluator<InputT> createEvaluator(
      AppliedPTransform<PCollection<InputT>, PCollectionTuple, ?> application,
      PCollection<InputT> mainInput,
      StructuralKey<?> inputBundleKey,
      List<PCollectionView<?>> sideInputs,
      TupleTag<OutputT> mainOutputTag,
      List<TupleTag<?>> additionalOutputTags,
      DoFnSchemaInformation doFnSchemaInformation,
      Map<String, PCollectionView<?>> sideInputMapping)
      throws Exception {
    String stepName = evaluationContext.getStepName(application);
    DirectStepContext stepContext =
        evaluationContext.getExecutionContext(application, inputBundleKey).getStepContext(stepName);
    DoFnLifecycleManager fnManager = fnClones.getUnchecked(application);
    return DoFnLifecycleManagerRemovingTransformEvaluator.wrapping(
        createParDoEvaluator(
            application,
            inputBundleKey,
            mainInput,
            sideInputs,
            mainOutputTag,
            additionalOutputTags,
            stepContext,
            fnManager.get(),
            doFnSchemaInformation,
            sideInputMapping,
            fnManager),
        fnManager);
  }

  ParDoEvaluator<InputT> createParDoEvaluator(
      AppliedPTransform<PCollection<InputT>, PCollectionTuple, ?> application,
      StructuralKey<?> key,
      PCollection<InputT> mainInput,
      List<PCollectionView<?>> sideInputs,
      TupleTag<OutputT> mainOutputTag,
      List<TupleTag<?>> additionalOutputTags,
      DirectStepContext stepContext,
      DoFn<InputT, OutputT> fn,
      DoFnSchemaInformation doFnSchemaInformation,
      Map<String, PCollectionView<?>> sideInputMapping,
      DoFnLifecycleManager fnManager)
      throws Exception {
    try {
      return ParDoEvaluator.create(
          evaluationContext,
          options,
          stepContext,
          application,
          mainInput.getCoder(),
          mainInput.getWindowingStrategy(),
          fn,
          key,
          sideInputs,
          mainOutputTag,
          additionalOutputTags,
          application.getOutputs(),
          doFnSchemaInformation,
          sideInputMapping,
          runnerFactory);
    } catch (Exception e) {
      try {
        fnManager.remove(); // a DoFn that failed to start is not used again
      } catch (Exception removal) {
        LOG.error("cleaning up after a ParDo evaluator that could not be created", removal);
        e.addSuppressed(removal);
      }
      throw e;
    }
  }
}

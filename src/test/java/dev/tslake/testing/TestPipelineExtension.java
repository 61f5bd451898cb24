package dev.tslake.testing;

import java.lang.reflect.Method;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * JUnit 5 counterpart of Beam's JUnit 4 {@code @Rule public final transient TestPipeline p =
 * TestPipeline.create();}.
 *
 * <p>Beam 2.62 has no JUnit 5 support: {@link TestPipeline#run()} refuses to run unless the rule
 * was applied ({@link TestPipeline#apply(Statement, Description)} sets up its "enforcement"), and
 * after the test body the rule verifies that the pipeline was run and that no transform / {@code
 * PAssert} was left behind. This extension gives each test method its own {@code
 * TestPipeline.create()} as a parameter and runs the test method <em>inside</em> Beam's own rule
 * statement, so exactly the same checks apply as under JUnit 4: a test that builds a pipeline (e.g.
 * adds a {@code PAssert}) but never calls {@code pipeline.run()} fails with {@link
 * TestPipeline.PipelineRunMissingException}; transforms added after {@code run()} fail with {@link
 * TestPipeline.AbandonedNodeException}. As with the rule, the checks are skipped when the test body
 * itself throws (its own failure is reported instead).
 *
 * <pre>{@code
 * @ExtendWith(TestPipelineExtension.class)
 * class MyTest {
 *   @Test
 *   void doubles(TestPipeline p) {
 *     PAssert.that(p.apply(Create.of(1, 2)).apply(MapElements.into(integers()).via(x -> 2 * x)))
 *         .containsInAnyOrder(2, 4);
 *     p.run().waitUntilFinish();
 *   }
 * }
 * }</pre>
 *
 * <p>The pipeline can also be injected into {@code @BeforeEach} methods; it is the same instance
 * the test method gets. It cannot be injected into constructors or {@code @BeforeAll} methods (one
 * pipeline per test, like the rule). Runner options come from the usual {@code
 * -DbeamTestPipelineOptions=[...]} system property; the default is the DirectRunner.
 */
public final class TestPipelineExtension implements ParameterResolver, InvocationInterceptor {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(TestPipelineExtension.class);
  private static final String PIPELINE_KEY = "pipeline";

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext context) {
    return parameterContext.getParameter().getType() == TestPipeline.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
    if (!(parameterContext.getDeclaringExecutable() instanceof Method)
        || context.getTestMethod().isEmpty()) {
      throw new ParameterResolutionException(
          "TestPipeline can only be injected into test methods and @BeforeEach methods"
              + " (one pipeline per test), not into "
              + parameterContext.getDeclaringExecutable());
    }
    return pipelineFor(context, true);
  }

  @Override
  public void interceptTestMethod(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext context)
      throws Throwable {
    intercept(invocation, context);
  }

  @Override
  public void interceptTestTemplateMethod(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext context)
      throws Throwable {
    intercept(invocation, context);
  }

  private static void intercept(Invocation<Void> invocation, ExtensionContext context)
      throws Throwable {
    // Parameters are resolved before interception, so a test that uses a TestPipeline (as a
    // parameter or via @BeforeEach) already has one in the store.
    TestPipeline pipeline = pipelineFor(context, false);
    if (pipeline == null) {
      invocation.proceed();
      return;
    }
    runWithEnforcement(pipeline, describe(context), invocation::proceed);
  }

  /** The test body as JUnit 5 sees it: anything may be thrown. */
  @FunctionalInterface
  interface TestBody {
    void run() throws Throwable;
  }

  /**
   * Runs {@code body} inside {@code pipeline}'s JUnit 4 rule statement: Beam deduces the
   * enforcement level (abandoned-node enforcement for any real runner), runs the body, and then
   * verifies that the pipeline was run and that nothing was left behind. Throwables from the body
   * and from the checks propagate unchanged.
   */
  static void runWithEnforcement(TestPipeline pipeline, Description description, TestBody body)
      throws Throwable {
    Statement testBody =
        new Statement() {
          @Override
          public void evaluate() throws Throwable {
            body.run();
          }
        };
    pipeline.apply(testBody, description).evaluate();
  }

  /** The JUnit 4 description Beam's rule expects: test class, method name and its annotations. */
  static Description describe(ExtensionContext context) {
    Class<?> testClass = context.getRequiredTestClass();
    Method method = context.getRequiredTestMethod();
    return Description.createTestDescription(testClass, method.getName(), method.getAnnotations());
  }

  private static TestPipeline pipelineFor(ExtensionContext context, boolean create) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    if (!create) {
      return store.get(PIPELINE_KEY, TestPipeline.class);
    }
    return store.getOrComputeIfAbsent(PIPELINE_KEY, k -> TestPipeline.create(), TestPipeline.class);
  }
}

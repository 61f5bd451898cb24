package dev.tslake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.runner.Description;

@ExtendWith(TestPipelineExtension.class)
class TestPipelineExtensionTest {

  private TestPipeline fromBeforeEach;

  @BeforeEach
  void setUp(TestPipeline pipeline) {
    fromBeforeEach = pipeline;
  }

  @Test
  void runsPipelineWithPAsserts(TestPipeline p) {
    PCollection<Integer> tens =
        p.apply("Numbers", Create.of(1, 2, 3))
            .apply("Times10", MapElements.into(TypeDescriptors.integers()).via(x -> x * 10));
    PAssert.that(tens).containsInAnyOrder(10, 20, 30);

    PCollection<Integer> none = tens.apply("NoneOver100", Filter.by(x -> x > 100));
    PAssert.that(none).empty();

    p.run().waitUntilFinish();
  }

  @Test
  void beforeEachAndTestShareOnePipeline(TestPipeline p) {
    assertSame(fromBeforeEach, p);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5})
  void worksForParameterizedTests(int n, TestPipeline p) {
    PAssert.that(
            p.apply(Create.of(n))
                .apply(MapElements.into(TypeDescriptors.integers()).via(x -> x + 1)))
        .containsInAnyOrder(n + 1);
    p.run().waitUntilFinish();
  }

  @Test
  void failingPAssertFailsRun(TestPipeline p) {
    PAssert.that(p.apply(Create.of(1, 2))).containsInAnyOrder(1, 2, 3);
    assertThrows(AssertionError.class, () -> p.run().waitUntilFinish());
  }

  // The next tests drive the same code path the interceptor uses (runWithEnforcement) on their own
  // pipeline, so the expected enforcement failure can be asserted instead of failing this test.

  @Test
  void pipelineThatIsNeverRunFails() {
    TestPipeline own = TestPipeline.create();
    TestPipeline.PipelineRunMissingException e =
        assertThrows(
            TestPipeline.PipelineRunMissingException.class,
            () ->
                TestPipelineExtension.runWithEnforcement(
                    own,
                    describe("forgotRun"),
                    () -> PAssert.that(own.apply(Create.of(1, 2, 3))).containsInAnyOrder(1, 2, 3)));
    assertTrue(e.getMessage().contains("has not been run"), e.getMessage());
  }

  @Test
  void pAssertAddedAfterRunIsAbandoned() {
    TestPipeline own = TestPipeline.create();
    TestPipeline.AbandonedNodeException e =
        assertThrows(
            TestPipeline.AbandonedNodeException.class,
            () ->
                TestPipelineExtension.runWithEnforcement(
                    own,
                    describe("lateAssert"),
                    () -> {
                      PCollection<Integer> numbers = own.apply(Create.of(1, 2, 3));
                      own.run().waitUntilFinish();
                      PAssert.that(numbers).containsInAnyOrder(1, 2, 3);
                    }));
    assertEquals("The pipeline contains abandoned PAssert(s).", e.getMessage());
  }

  @Test
  void testBodyFailureWinsOverEnforcement() {
    TestPipeline own = TestPipeline.create();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                TestPipelineExtension.runWithEnforcement(
                    own,
                    describe("bodyThrows"),
                    () -> {
                      own.apply(Create.of(1));
                      throw new IllegalStateException("boom");
                    }));
    assertEquals("boom", e.getMessage());
  }

  @Test
  void bareTestPipelineRefusesToRun() {
    // Why the extension exists: without the rule/extension Beam refuses to run the pipeline.
    TestPipeline bare = TestPipeline.create();
    bare.apply(Create.of(1));
    IllegalStateException e = assertThrows(IllegalStateException.class, bare::run);
    assertTrue(e.getMessage().contains("@Rule"), e.getMessage());
  }

  private static Description describe(String method) {
    return Description.createTestDescription(TestPipelineExtensionTest.class, method);
  }
}

package io.github.onnxprune.pipeline;

import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.step.ModelStep;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.Optional;

/** A step with the input it ran on and its result, so the fallback can ask it again. */
record Ran<E>(ModelStep<E> step, StepInput input, StepResult<E> result) {

    static <E> Ran<E> run(ModelStep<E> step, StepInput input) {
        return new Ran<>(step, input, step.apply(input));
    }

    Ran<E> withSection(StepSection section) {
        return new Ran<>(step, input, new StepResult<>(result.model(), result.edits(), section,
                result.refitted(), result.unchangedReason()));
    }

    Optional<Ran<E>> relax(String cause) {
        return step.relax(input, result, cause).map(relaxed -> new Ran<>(step, input, relaxed));
    }
}

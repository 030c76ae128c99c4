package io.github.onnxprune.step;

import java.util.List;
import java.util.Optional;

/**
 * One transformation of a model (node pruning, weight pruning, ...): the pipeline runs a list of them in order,
 * each on the previous one's model, and renders their report sections without knowing what they do.
 *
 * @param <E> what the step records of its edits (kept units, zeroed tensors, quantized layers)
 */
public interface ModelStep<E> {

    /** The name joined with '+' into the report's method column, e.g. "nodes". */
    String id();

    /** Whether the step uses calibration activations; the pipeline loads calibration data only when one does. */
    boolean wantsCalibration();

    /**
     * What the user can change in the configuration when the gate fails after this step, as phrases for the
     * failure message (e.g. "lower &lt;sparsity&gt;"); none by default.
     */
    default List<String> remedies() {
        return List.of();
    }

    /** Transforms {@code input.model()}; returns the same model instance when it changes nothing. */
    StepResult<E> apply(StepInput input);

    /**
     * A less aggressive variant of {@code previous} (which this step returned for {@code input}), or empty when it
     * has none left. The pipeline asks the last step when the gate fails, then measures again.
     *
     * @param cause the broken limit, in a few words, for the step's report
     */
    default Optional<StepResult<E>> relax(StepInput input, StepResult<E> previous, String cause) {
        return Optional.empty();
    }
}

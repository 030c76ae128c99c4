package io.github.onnxprune.step;

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

    /** Transforms {@code input.model()}; returns the same model instance when it changes nothing. */
    StepResult<E> apply(StepInput input);
}

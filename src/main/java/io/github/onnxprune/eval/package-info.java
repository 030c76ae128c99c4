/**
 * Reads validation data, runs models with ONNX Runtime and scores pruned models against the original.
 *
 * <p>Nothing here knows about Maven: the plugin adapts these types, so they stay usable from tests and from
 * other build tools. User mistakes (bad files, wrong shapes) surface as {@link
 * io.github.onnxprune.eval.ValidationDataException}, native loading problems as {@link
 * io.github.onnxprune.eval.RuntimeUnavailableException} and ONNX Runtime failures while loading or running a
 * model as {@link io.github.onnxprune.eval.EvaluationException}; every message stands on its own.
 */
package io.github.onnxprune.eval;

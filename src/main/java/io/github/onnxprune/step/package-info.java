/**
 * The step abstraction: a model goes through a sequence of {@link io.github.onnxprune.step.ModelStep}s (each
 * method in its own sub-package), each returning its new model, its recorded edits and its report section.
 */
package io.github.onnxprune.step;

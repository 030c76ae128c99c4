package io.github.onnxprune.eval;

/** ONNX Runtime could not load or run a model (for example a pruned graph that is no longer valid). */
public final class EvaluationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a self-contained description of what failed and what to check
     */
    public EvaluationException(String message) {
        super(message);
    }

    /**
     * Creates the exception with ONNX Runtime's own error kept as the cause.
     *
     * @param message a self-contained description of what failed and what to check
     * @param cause the underlying {@code OrtException}
     */
    public EvaluationException(String message, Throwable cause) {
        super(message, cause);
    }
}

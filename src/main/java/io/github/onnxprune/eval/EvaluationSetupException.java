package io.github.onnxprune.eval;

/**
 * The evaluation as configured cannot work with this model and data, for a reason the user can fix: an output
 * that does not exist or cannot be scored as it is, or a fixed batch size the data does not fit.
 */
public final class EvaluationSetupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a self-contained paragraph: what does not fit, and which pom element fixes it
     */
    public EvaluationSetupException(String message) {
        super(message);
    }

    /**
     * Creates the exception around one that lacked context, such as the model's name.
     *
     * @param message a self-contained paragraph: what does not fit, and which pom element fixes it
     * @param cause the exception it adds context to
     */
    public EvaluationSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}

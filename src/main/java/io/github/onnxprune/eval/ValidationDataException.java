package io.github.onnxprune.eval;

/** Validation data that cannot be used: the message names the file, the problem and the fix. */
public final class ValidationDataException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a self-contained paragraph: which file, what is wrong, what to do
     */
    public ValidationDataException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the low-level cause kept for debugging.
     *
     * @param message a self-contained paragraph: which file, what is wrong, what to do
     * @param cause the I/O or parsing failure behind it
     */
    public ValidationDataException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.github.onnxprune.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How cosine and mse turn a sample's values of an output with several dimensions per sample into the one
 * vector they compare. An output with one vector per sample ({@code [N, D]}, or with extra dimensions of
 * size 1) needs none.
 */
public enum Pooling {
    /** Every value of the sample, in C order, as one vector. */
    FLATTEN("flatten"),
    /**
     * The mean over the first dimension after the batch (tokens) of the vectors there, counting only the
     * positions the mask input marks with a non-zero value: sentence-transformers' mean pooling.
     */
    MEAN("mean");

    private final String id;

    Pooling(String id) {
        this.id = id;
    }

    /** The identifier users configure, for example {@code mean}. */
    public String id() {
        return id;
    }

    /**
     * Finds a pooling by its id, ignoring case and surrounding spaces.
     *
     * @param id the configured id, or null or blank for none
     * @return the pooling, or null when none is configured
     * @throws IllegalArgumentException when no pooling has that id; the message lists the valid ones
     */
    public static Pooling parse(String id) {
        if (id == null || id.isBlank()) {
            return null;
        }
        String wanted = id.trim().toLowerCase(Locale.ROOT);
        for (Pooling pooling : values()) {
            if (pooling.id.equals(wanted)) {
                return pooling;
            }
        }
        throw new IllegalArgumentException("Unknown pooling '" + id + "'. Valid poolings are: "
                + Arrays.stream(values()).map(Pooling::id).collect(Collectors.joining(", ")) + ".");
    }
}

package io.github.onnxprune.pipeline;

import java.util.Locale;

/** What pruning removes: single weights, or whole neurons and channels. */
public enum PruneMethod {
    /** Zero the individual weights of smallest magnitude (unstructured). */
    WEIGHTS,
    /** Remove whole neurons and channels, so tensors really shrink (structured). */
    NODES;

    /** Parses {@code weights} or {@code nodes}. */
    public static PruneMethod parse(String text) {
        for (PruneMethod method : values()) {
            if (method.id().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return method;
            }
        }
        throw new IllegalArgumentException("unknown method '" + text + "': use weights or nodes");
    }

    /** The configuration spelling. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

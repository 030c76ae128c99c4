package io.github.onnxprune.prune;

import java.util.Locale;

/** How a target sparsity is spread over the chosen tensors or layers. */
public enum Scope {
    /** Every tensor (or layer) is pruned to the target on its own. */
    LAYERWISE,
    /** One total over all tensors (or layers), shared out by scale-free scores: less important ones lose more. */
    GLOBAL;

    /** Parses {@code layerwise} or {@code global}. */
    public static Scope parse(String text) {
        for (Scope scope : values()) {
            if (scope.name().equalsIgnoreCase(text.trim())) {
                return scope;
            }
        }
        throw new IllegalArgumentException("unknown scope '" + text + "': use layerwise or global");
    }

    /** The configuration spelling. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package io.github.onnxprune.prune;

import java.util.Locale;

/** How a target sparsity is spread over the chosen tensors or layers. */
public enum Scope {
    /** Every tensor (or layer) is pruned to the target on its own. */
    LAYERWISE,
    /** One total over all tensors (or layers), shared out by scale-free scores: less important ones lose more. */
    GLOBAL,
    /**
     * One total over all tensors, shared out by each layer's measured cost: every layer re-fitted alone at two
     * sparsities and scored with the configured metric on calibration data (weight pruning with a re-fit only;
     * see {@link MeasuredAllocation}).
     */
    MEASURED;

    /** Parses {@code layerwise}, {@code global} or {@code measured}. */
    public static Scope parse(String text) {
        for (Scope scope : values()) {
            if (scope.name().equalsIgnoreCase(text.trim())) {
                return scope;
            }
        }
        throw new IllegalArgumentException("unknown scope '" + text + "': use layerwise, global or measured");
    }

    /** The configuration spelling. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

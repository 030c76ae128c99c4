package io.github.onnxprune.quantize;

import io.github.onnxprune.prune.NamePattern;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What to quantize: layer-name patterns left float, and layers the fallback forces back to float.
 *
 * @param excludes globs over node names; a matching layer stays float
 * @param keepFloat node names that stay float whatever the patterns say (the accuracy fallback's choice)
 */
public record QuantizationSettings(List<NamePattern> excludes, Set<String> keepFloat) {

    /** Copies both collections; keepFloat is kept sorted so equal settings compare and print alike. */
    public QuantizationSettings {
        excludes = List.copyOf(excludes);
        keepFloat = java.util.Collections.unmodifiableSet(new TreeSet<>(keepFloat));
    }

    /** No excludes, nothing forced float. */
    public static QuantizationSettings defaults() {
        return new QuantizationSettings(List.of(), Set.of());
    }

    /** These settings with {@code layers} forced float instead of the current set. */
    public QuantizationSettings withKeepFloat(Set<String> layers) {
        return new QuantizationSettings(excludes, layers);
    }
}

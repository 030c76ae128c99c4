package io.github.onnxprune.prune;

import java.util.List;

/**
 * A sparsity for the tensors or layers whose name matches a pattern, overriding the global target.
 *
 * @param pattern which names it applies to
 * @param sparsity the fraction to remove, in [0, 1)
 */
public record SparsityOverride(NamePattern pattern, double sparsity) {

    public SparsityOverride {
        Sparsity.check(sparsity, "override for '" + pattern.glob() + "'");
    }

    /** Parses {@code pattern=fraction}, e.g. {@code fc1.*=0.3}. */
    public static SparsityOverride parse(String text) {
        int equals = text.lastIndexOf('=');
        if (equals <= 0 || equals == text.length() - 1) {
            throw new IllegalArgumentException("sparsity override '" + text
                    + "' is not of the form pattern=fraction, e.g. fc1.weight=0.3");
        }
        double value;
        try {
            value = Double.parseDouble(text.substring(equals + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sparsity override '" + text + "' has no number after '='", e);
        }
        return new SparsityOverride(new NamePattern(text.substring(0, equals).trim()), value);
    }

    /**
     * The first override whose pattern matches any of {@code names} (a weight's tensor name, then the names of the
     * layers reading it), or null.
     */
    public static SparsityOverride firstMatching(Iterable<SparsityOverride> overrides, List<String> names) {
        for (SparsityOverride override : overrides) {
            for (String name : names) {
                if (override.pattern().matches(name)) {
                    return override;
                }
            }
        }
        return null;
    }

    /** The first override whose pattern matches {@code name}, or null. */
    public static SparsityOverride firstMatching(Iterable<SparsityOverride> overrides, String name) {
        for (SparsityOverride override : overrides) {
            if (override.pattern().matches(name)) {
                return override;
            }
        }
        return null;
    }
}

package io.github.onnxprune.prune.nodes;

import java.util.Locale;

/** The norm that measures how much a unit's weights matter: sum of absolute values or Euclidean length. */
public enum UnitImportance {
    /** Sum of absolute values. */
    L1,
    /** Square root of the sum of squares. */
    L2;

    /** Parses {@code l1} or {@code l2}, in any case. */
    public static UnitImportance parse(String text) {
        for (UnitImportance value : values()) {
            if (value.name().equalsIgnoreCase(text.trim())) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown unit importance '" + text + "': use l1 or l2");
    }

    /** The configuration spelling. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

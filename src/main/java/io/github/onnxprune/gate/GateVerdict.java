package io.github.onnxprune.gate;

import java.util.List;

/**
 * The outcome of checking one model against its limits.
 *
 * @param model the model's path inside the artifact
 * @param violations one readable paragraph naming every limit the model breaks; empty when the model passes
 */
public record GateVerdict(String model, List<String> violations) {

    public GateVerdict {
        violations = List.copyOf(violations);
    }

    /** Whether every limit holds. */
    public boolean passed() {
        return violations.isEmpty();
    }
}

package io.github.onnxprune.pipeline;

import java.nio.file.Path;
import java.util.List;

/**
 * What a run did.
 *
 * @param results every model, in the order given
 * @param report the report.json written
 * @param shipped whether the pruned models were written and put into the jar
 * @param jarChanged whether the jar (or the classified copy) was rewritten; false when it already held them
 * @param fingerprint the {@link RunFingerprint} of the run's inputs, or null when an input could not be read
 * @param reused whether the stored result of an earlier run with the same fingerprint was used instead of
 *     pruning and measuring again
 * @param targets the archives the pruned models were put into, in place (empty when nothing was shipped in place)
 */
public record RunOutcome(List<ModelResult> results, Path report, boolean shipped, boolean jarChanged,
        String fingerprint, boolean reused, List<ShipTarget> targets) {

    public RunOutcome {
        results = List.copyOf(results);
        targets = List.copyOf(targets);
    }

    /** The outcome of a run that pruned and measured. */
    public RunOutcome(List<ModelResult> results, Path report, boolean shipped, boolean jarChanged) {
        this(results, report, shipped, jarChanged, null, false, List.of());
    }

    /** Every broken limit across models, one paragraph each. */
    public List<String> violations() {
        return results.stream().flatMap(r -> r.report().violations().stream()).toList();
    }
}

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
 */
public record RunOutcome(List<ModelResult> results, Path report, boolean shipped, boolean jarChanged) {

    public RunOutcome {
        results = List.copyOf(results);
    }

    /** Every broken limit across models, one paragraph each. */
    public List<String> violations() {
        return results.stream().flatMap(r -> r.report().violations().stream()).toList();
    }
}

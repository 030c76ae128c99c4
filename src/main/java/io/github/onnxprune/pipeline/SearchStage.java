package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.gate.AccuracyGate;
import io.github.onnxprune.report.Measurement;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.search.CompressionSearch;
import io.github.onnxprune.search.SearchReport;
import io.github.onnxprune.search.SearchSettings;
import io.github.onnxprune.search.SensitivityProfile;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The compression search of one model ({@code <search>} with validation data): each candidate's fractions run
 * as a whole attempt of the steps, measured and gated; for weights, the sensitivity profile with what the
 * candidates leave of the budget and the fallback with what it leaves; the chosen attempt, gated again with
 * the search's words when none passed; and the search's report section.
 */
final class SearchStage {

    /** What the search asks of the pipeline for the model it searches. */
    interface Runs {

        /** The steps run with {@code task}'s settings, measured and gated. */
        Attempt attempt(ModelTask task);

        /** The sensitivity profiles of the original under {@code task}'s metric and gate. */
        Profiles profiles(ModelTask task);

        /** The original model's metric against itself, measured without pruning anything. */
        Measurement original(ModelTask task);

        /** The gate's failures for {@code measurement} of what {@code described} says was done. */
        List<String> gate(ModelTask task, Measurement measurement, String described, List<String> remedies);
    }

    /** What a search that stops before its first candidate did, as the gate's message and the warning say it. */
    static final String STOPPED = "the search stopped before its first candidate";

    /** The attempt the search kept and its report section (null when it stopped before its first candidate). */
    record Outcome(Attempt attempt, StepSection section) {
    }

    private SearchStage() {
    }

    /**
     * Searches {@code task}'s bounds on {@code original}; {@code calibration} (null: none) says where the global
     * scope's share choices were scored.
     */
    static Outcome run(ModelTask task, ModelProto original, Runs runs, Calibration calibration,
            RunLog log) {
        SearchSettings search = task.pruning().search();
        EvaluationSettings evaluation = task.evaluation();
        long searchStart = System.nanoTime();
        // A candidate could pass a floor its original misses only by scoring above the original (a re-fit on the
        // validation data itself, or chance on few samples): no budget is spent looking for one (docs/search.md).
        Measurement unpruned = runs.original(task);
        Optional<String> missed = AccuracyGate.originalMissesFloor(task.entryName(), unpruned.metric(),
                evaluation.metric().higherIsBetter(), unpruned.baseline(), task.limits(), STOPPED);
        if (missed.isPresent()) {
            return new Outcome(new Attempt(task, List.of(), original, unpruned, List.of(missed.get()), STOPPED,
                    List.of(), 0), null);
        }
        // The profile gets what the candidates leave of the budget; the fallback, what the profile leaves.
        CompressionSearch.Profiler profiler = task.pruning().method() != PruneMethod.WEIGHTS
                ? CompressionSearch.Profiler.NONE : (evaluations, timeUp) -> {
                    List<SensitivityProfile.Curve> curves = runs.profiles(task).weights(timeUp, evaluations);
                    return new CompressionSearch.Profiled(curves, FallbackTensors.of(task, original, curves));
                };
        AtomicInteger shareRuns = new AtomicInteger();
        CompressionSearch.Outcome<Attempt> outcome = CompressionSearch.run(task.pruning().sparsity(),
                task.pruning().nodeSparsity(), search, searchStart, evaluation.metric().higherIsBetter(),
                profiler, fractions -> {
                    Attempt tried = runs.attempt(new ModelTask(task.file(), task.entryName(),
                            task.pruning().atFractions(fractions), task.evaluation(), task.limits()));
                    shareRuns.addAndGet(tried.shareRuns());
                    return new CompressionSearch.Measured<>(tried.measurement().pruned(),
                            tried.violations().isEmpty(), tried);
                }, line -> log.progress().accept(task.entryName() + " search: " + line));
        Attempt attempt = outcome.payload();
        StepSection section = SearchReport.section(task.entryName(), evaluation.metric().id(),
                task.pruning().sparsity(), task.pruning().nodeSparsity(), search,
                task.pruning().overrides().stream().map(o -> o.pattern().glob() + "=" + o.sparsity())
                        .toList(), outcome, profiler == CompressionSearch.Profiler.NONE ? outcome.sensitivity()
                                : runs.profiles(task).withOutputErrors(outcome.sensitivity()));
        if (shareRuns.get() > 0) {
            log.results().accept(task.entryName() + " search: " + SearchReport.shareChoice(
                    outcome.candidates().size(), shareRuns.get(), calibration.sameAsValidation()));
            section = SearchReport.withShareRuns(section, shareRuns.get());
        }
        if (!outcome.passed()) {
            attempt = attempt.withViolations(runs.gate(attempt.task(), attempt.measurement(), attempt.described()
                    + SearchReport.nonePassed(outcome), attempt.remedies()));
        }
        return new Outcome(attempt, section);
    }
}

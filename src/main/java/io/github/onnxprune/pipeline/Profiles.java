package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.search.CompressionSearch;
import io.github.onnxprune.search.SearchReport;
import io.github.onnxprune.search.SensitivityProfile;
import io.github.onnxprune.search.TensorGroup;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The sensitivity profiles of one model, each group measured alone on the original: weights pruned (with the
 * cheap signal of {@link OutputErrors}), units removed ({@link NodeProfile}) and layers in int8
 * ({@link Int8Profile}). Reported, never applied.
 */
final class Profiles {

    /** The metric of a model and whether the task's gate passes it. */
    record Scored(double metric, boolean passes) {
    }

    private final ModelTask task;
    private final ModelProto original;
    private final ValidationData data;
    private final Consumer<String> progress;
    private final Supplier<OnnxRuntimeEvaluator> evaluator;
    private final Function<ModelProto, Scored> score;

    Profiles(ModelTask task, ModelProto original, ValidationData data, Consumer<String> progress,
            Supplier<OnnxRuntimeEvaluator> evaluator, Function<ModelProto, Scored> score) {
        this.task = task;
        this.original = original;
        this.data = data;
        this.progress = progress;
        this.evaluator = evaluator;
        this.score = score;
    }

    /**
     * Each prunable group's metric (a transformer block's tensors of one role, or one tensor) when it alone is
     * pruned, plain, for the search's report and fallback: at most {@code evaluations}, none once {@code timeUp}.
     */
    List<SensitivityProfile.Curve> weights(BooleanSupplier timeUp, int evaluations) {
        ModelGraph graph = ModelGraph.of(original);
        List<PrunableTensor> tensors = WeightSelector.select(graph, task.pruning().filter()).tensors();
        return SensitivityProfile.measure(ProfileGroups.of(graph, tensors), (group, level) -> verdict(
                MagnitudePruner.prune(graph, tensors.stream().filter(t -> group.tensors().contains(t.name()))
                        .toList(), new WeightPruningSettings(level, Scope.LAYERWISE, List.of())).model()),
                line -> progress.accept(task.entryName() + " sensitivity: " + line), timeUp,
                task.evaluation().metric().higherIsBetter(), evaluations);
    }

    /**
     * Every weight group with its measured curve (if the budget left it one) and its layers' output error at each
     * level ({@link OutputErrors}: one run of the original on the first samples, no evaluation), so that a search
     * whose candidates spent the budget still reports a profile.
     */
    List<SensitivityProfile.Curve> withOutputErrors(List<SensitivityProfile.Curve> measured) {
        long start = System.nanoTime();
        ModelGraph graph = ModelGraph.of(original);
        List<TensorGroup> groups = ProfileGroups.of(graph, WeightSelector.select(graph, task.pruning().filter())
                .tensors());
        EvaluationSettings evaluation = task.evaluation();
        double[][] errors = OutputErrors.of(graph, groups, evaluator.get(), data, evaluation.batchSize(),
                evaluation.outputName().maskInput());
        List<SensitivityProfile.Curve> curves = SensitivityProfile.withOutputErrors(groups, measured, errors);
        progress.accept(String.format(Locale.ROOT, "%s sensitivity: output error of each group's layers pruned"
                + " alone, for %d of %d groups, in %.1f s (no evaluation)", task.entryName(), curves.stream()
                        .filter(c -> !c.outputErrors().isEmpty()).count(), groups.size(),
                (System.nanoTime() - start) / 1e9));
        return curves;
    }

    /**
     * Each group of units' metric (a transformer block's heads or feed-forward units, a layer's neurons or
     * channels) when only its units are removed, plain (no compensation), at 25/50/75/90% of them.
     */
    List<SensitivityProfile.Curve> units() {
        PruningSettings pruning = task.pruning();
        List<TensorGroup> groups = NodeProfile.groups(original, pruning.excludes(), pruning.importance());
        return SensitivityProfile.measure(groups, (group, level) -> verdict(NodeProfile.pruned(original, group,
                level, pruning.excludes(), pruning.importance())),
                line -> progress.accept(task.entryName() + " sensitivity of units: " + line), () -> false,
                task.evaluation().metric().higherIsBetter(), Integer.MAX_VALUE);
    }

    /**
     * {@code section} with the int8 profile: each group of layers (a block's role, or one layer) alone in int8,
     * its metric, verdict and largest output error, one evaluation each; a log line names the worst.
     */
    StepSection int8(ActivationCollector calibration, StepSection section) {
        long start = System.nanoTime();
        Quantization quantization = task.pruning().quantization();
        List<Int8Profile.Entry> entries = Int8Profile.measure(original, quantization.settings(), calibration, score);
        boolean higher = task.evaluation().metric().higherIsBetter();
        Int8Profile.Entry worst = entries.stream().min(Comparator.comparingDouble(
                e -> higher ? e.metric() : -e.metric())).orElse(null);
        List<String> log = new ArrayList<>(section.log());
        log.add(String.format(Locale.ROOT, "%d groups of layers each alone in int8 in %d evaluations (%.1f s)%s",
                entries.size(), entries.size(), (System.nanoTime() - start) / 1e9, worst == null ? ""
                        : String.format(Locale.ROOT, "; the worst: %s (%s %.4f, %s)", worst.name(),
                                task.evaluation().metric().id(), worst.metric(), worst.passes() ? "passes"
                                        : "fails the gate alone")));
        return new StepSection(section.step(), section.fields(), section.tensors(), section.sparsity(),
                section.reshapes(), section.logHeading(), log, section.metadata())
                .withField("int8Sensitivity", entries.stream().map(Int8Profile.Entry::json).toList());
    }

    /**
     * The report section of {@code <sensitivity>} without a search: weights pruned (with their output errors)
     * when the method prunes weights, units removed when it removes units, layers in int8 when it quantizes
     * ({@code calibration}: the int8 profile's activations, null without calibration data).
     */
    StepSection section(ActivationCollector calibration) {
        PruningSettings pruning = task.pruning();
        boolean nodes = pruning.method() == PruneMethod.NODES || pruning.nodeSparsity() > 0;
        StepSection section = SearchReport.profileSection(task.evaluation().metric().id(),
                pruning.method() != PruneMethod.WEIGHTS ? List.of() : withOutputErrors(weights(() -> false,
                        Integer.MAX_VALUE)), nodes ? units() : List.of());
        return pruning.quantization().int8() ? int8(calibration, section) : section;
    }

    private CompressionSearch.Measured<Void> verdict(ModelProto model) {
        Scored scored = score.apply(model);
        return new CompressionSearch.Measured<>(scored.metric(), scored.passes(), null);
    }
}

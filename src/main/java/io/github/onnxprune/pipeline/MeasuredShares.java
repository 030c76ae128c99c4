package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.MeasuredAllocation;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.prune.calibrate.AloneFits;
import io.github.onnxprune.report.JsonFields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The measured scope ({@link Scope#MEASURED}): every weight layer pruned and re-fitted alone at the target
 * fraction and a step above it ({@link AloneFits}), the dense model with that one layer swapped in scored with
 * the configured metric on the first {@link #SAMPLES} calibration samples, and the total shared out by
 * {@link MeasuredAllocation}. The shares become per-tensor overrides after the user's own, so the weight
 * pruning step and its re-fit then run exactly as for {@code layerwise}. Never scored on the validation data:
 * the gate's figure stays one the allocation did not see.
 */
final class MeasuredShares {

    /**
     * Calibration samples each swapped-in layer is scored on: each of the two evaluations per layer runs the
     * whole model over them (on all-MiniLM-L6-v2, 64 sentences as the benchmark recipe this comes from).
     */
    static final int SAMPLES = 64;

    /** The largest step between the two levels measured (less near 1: halfway to it). */
    static final double STEP = 0.1;

    private MeasuredShares() {
    }

    /**
     * The task with the measured shares as its overrides, and what the measurement found for report.json.
     *
     * @param task the task to run, its overrides the user's and the shares'
     * @param report the {@code measuredShares} field of the weights section
     * @param summary the line the log shows
     */
    record Allocated(ModelTask task, Map<String, Object> report, String summary) {
    }

    /**
     * Fails unless {@code scope measured} has what it needs: weight pruning, a re-fit, calibration data. The
     * message does not name the model: the build's failure puts it in front, as for every invalid setting.
     */
    static void check(PruningSettings pruning, EvaluationSettings evaluation) {
        if (pruning.scope() != Scope.MEASURED) {
            return;
        }
        if (pruning.method() != PruneMethod.WEIGHTS || pruning.nodeSparsity() > 0) {
            throw new IllegalArgumentException("<scope>measured</scope> shares out weight"
                    + " pruning's zeros, but this model removes units (" + (pruning.method() == PruneMethod.NODES
                            ? "<method>nodes</method>" : "<nodeSparsity>") + "). Use <scope>global</scope> for"
                    + " units, or <method>weights</method> without <nodeSparsity>");
        }
        if (evaluation.calibration().calibrationData() == null || !evaluation.calibration().reconstruct()) {
            throw new IllegalArgumentException("<scope>measured</scope> measures what each"
                    + " layer costs by re-fitting it alone on calibration data, but " + (evaluation.calibration()
                            .reconstruct() ? "no <calibrationData> is set (the validation data is not used for"
                                    + " it, so the gate keeps measuring on samples the allocation did not see)"
                                    : "<reconstruct> is false") + ". Set <calibrationData> to samples like the ones"
                    + " the model will see, with <reconstruct>true</reconstruct>, or use <scope>global</scope>,"
                    + " which needs no data");
        }
    }

    /** Measures every layer of {@code task}'s model and returns the task pruned to the measured shares. */
    static Allocated allocate(ModelTask task, ModelProto original, Calibration calibration,
            Consumer<String> progress) {
        PruningSettings pruning = task.pruning();
        double s0 = pruning.sparsity();
        double s1 = s0 + Math.min(STEP, (1 - s0) / 2);
        ModelGraph graph = ModelGraph.of(original);
        // The tensors the weight step would prune at the shared target: no table, no override of the user's.
        List<PrunableTensor> pool = WeightSelector.select(graph, pruning.filter(), false).tensors().stream()
                .filter(t -> !t.table() && SparsityOverride.firstMatching(pruning.overrides(), t.overrideNames())
                        == null).toList();
        List<ModelProto> levels = List.of(prunedTo(graph, pool, s0), prunedTo(graph, pool, s1));
        CalibrationScore score = calibration.score().firstSamples(SAMPLES);
        double reference = score.original();
        boolean higher = task.evaluation().metric().higherIsBetter();
        Map<String, double[]> losses = new LinkedHashMap<>();
        long started = System.nanoTime();
        int[] evaluations = new int[1];
        String prefix = task.entryName() + " weights: measured scope: ";
        long[] scoring = new long[1];
        // The re-fit's own options: each layer's loss is measured with the fit it will get. Cheaper fits (the
        // column sweep without the per-output least squares) inflate the losses of the layers whose real fit is
        // exact and not of the others, and so move zeros to the wrong layers (MiniLM: 0.9380 against 0.9205).
        AloneFits.fit(original, levels, pool.stream().map(PrunableTensor::name).toList(), calibration.collector(),
                task.evaluation().calibration().refitOptions(), fit -> {
                    if (fit.replacements() != null) {
                        long start = System.nanoTime();
                        double metric = score.of(ModelBytes.serialize(graph.withConstants(fit.replacements())));
                        scoring[0] += System.nanoTime() - start;
                        evaluations[0]++;
                        losses.computeIfAbsent(fit.tensor(), k -> new double[levels.size()])[fit.level()] =
                                higher ? reference - metric : metric - reference;
                    }
                    if (fit.level() == levels.size() - 1) {
                        double elapsed = (System.nanoTime() - started) / 1e9;
                        double[] loss = losses.get(fit.tensor());
                        progress.accept(String.format(Locale.ROOT, "%slayer %d of %d, %s: %s; %.1f s elapsed,"
                                + " about %.0f s left", prefix, fit.layer() + 1, fit.layers(), fit.tensor(),
                                loss == null ? "not re-fitted, stays at " + s0 : String.format(Locale.ROOT,
                                        "loss %.5f at %.2f, %.5f at %.2f", loss[0], s0, loss[1], s1), elapsed,
                                elapsed * (fit.layers() - fit.layer() - 1) / (fit.layer() + 1)));
                    }
                });
        List<MeasuredAllocation.Layer> layers = new ArrayList<>();
        for (PrunableTensor tensor : pool) {
            double[] loss = losses.get(tensor.name());
            if (loss != null) {
                layers.add(new MeasuredAllocation.Layer(tensor.name(),
                        FloatTensor.of(tensor.constant().tensor()).size(), loss[0], loss[1]));
            }
        }
        MeasuredAllocation.Result result = MeasuredAllocation.allocate(layers, s0, s1);
        double seconds = (System.nanoTime() - started) / 1e9;
        List<SparsityOverride> overrides = new ArrayList<>(pruning.overrides());
        List<JsonFields> tensors = new ArrayList<>();
        double lowest = 1;
        double highest = 0;
        for (MeasuredAllocation.Share share : result.shares()) {
            overrides.add(new SparsityOverride(new NamePattern(share.tensor()), share.overrideFraction()));
            tensors.add(JsonFields.object().put("name", share.tensor()).put("size", share.size())
                    .put("loss", List.of(losses.get(share.tensor())[0], losses.get(share.tensor())[1]))
                    .put("slope", share.slope()).put("zeros", share.zeros()).put("sparsity", share.sparsity()));
            lowest = Math.min(lowest, share.sparsity());
            highest = Math.max(highest, share.sparsity());
        }
        Map<String, Object> report = JsonFields.object().put("levels", List.of(s0, s1))
                .put("samples", score.sampleCount()).put("evaluations", evaluations[0]).put("seconds", seconds)
                .put("scoringSeconds", scoring[0] / 1e9)
                .put("informative", result.informative()).put("modelledLoss", result.predictedLoss())
                .put("uniformLoss", result.uniformLoss()).put("tensors", JsonFields.list(tensors)).build();
        String found = result.informative() ? String.format(Locale.ROOT, "summed loss modelled at %.4g against"
                + " %.4g uniform, %.2f to %.2f per tensor", result.predictedLoss(), result.uniformLoss(), lowest,
                highest) : "no layer moved the metric, so every layer keeps " + s0;
        String summary = String.format(Locale.ROOT, "%s%d layers re-fitted alone at %.2f and %.2f, scored on %d"
                + " calibration samples (%d evaluations; %.1f s, %.1f s of it scoring); %s", prefix, layers.size(),
                s0, s1, score.sampleCount(), evaluations[0], seconds, scoring[0] / 1e9, found);
        PruningSettings allocated = new PruningSettings(pruning.method(), s0, pruning.nodeSparsity(),
                pruning.scope(), overrides, pruning.filter(), pruning.importance(), pruning.quantization(),
                pruning.search(), pruning.tableSparsity());
        return new Allocated(new ModelTask(task.file(), task.entryName(), allocated, task.evaluation(),
                task.limits()), report, summary);
    }

    private static ModelProto prunedTo(ModelGraph graph, List<PrunableTensor> pool, double sparsity) {
        return MagnitudePruner.prune(graph, pool, new WeightPruningSettings(sparsity, Scope.LAYERWISE, List.of()))
                .model();
    }
}

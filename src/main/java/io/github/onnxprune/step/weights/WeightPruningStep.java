package io.github.onnxprune.step.weights;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.gate.AccuracyGate;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.SkippedTensor;
import io.github.onnxprune.prune.TensorChange;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import io.github.onnxprune.prune.calibrate.WeightReconstruction;
import io.github.onnxprune.report.JsonFields;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.step.ModelStep;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Weight pruning as a step: zeroes the smallest weights ({@link MagnitudePruner}), then, with calibration data,
 * re-chooses the mask and re-fits the remaining weights of exactly the tensors it zeroed
 * ({@link WeightReconstruction}).
 */
public final class WeightPruningStep implements ModelStep<ZeroedWeights> {

    /** The step's id in the method column. */
    public static final String ID = "weights";

    private final WeightPruningSettings settings;
    private final TensorFilter filter;
    private final boolean reconstruct;
    private final WeightReconstruction.Options refitOptions;

    /** A step zeroing weights that {@code filter} allows as {@code settings} says, re-fitting when asked to. */
    public WeightPruningStep(WeightPruningSettings settings, TensorFilter filter, boolean reconstruct) {
        this(settings, filter, reconstruct, WeightReconstruction.Options.defaults());
    }

    /** As the step above, the re-fit run with {@code refit} (the task's, from its calibration settings). */
    public WeightPruningStep(WeightPruningSettings settings, TensorFilter filter, boolean reconstruct,
            WeightReconstruction.Options refit) {
        this.settings = settings;
        this.filter = filter;
        this.reconstruct = reconstruct;
        this.refitOptions = refit;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public List<String> remedies() {
        return settings.sparsity() > 0 ? AccuracyGate.PRUNING_REMEDIES : List.of();
    }

    @Override
    public boolean wantsCalibration() {
        return reconstruct && settings.sparsity() > 0;
    }

    /**
     * The initializers this step may change in {@code model} (zeroing and, with calibration data, re-fitting only
     * rewrites their values); every other tensor and the graph stay as they are.
     */
    public Set<String> mayChange(ModelProto model) {
        ModelGraph graph = ModelGraph.of(model);
        Set<String> names = new HashSet<>();
        chosen(selection(graph)).forEach(t -> names.add(t.name()));
        return names;
    }

    private WeightSelector.Selection selection(ModelGraph graph) {
        // Tables are looked at only when some may be pruned: a table left at 0 is not listed as a pruned tensor.
        boolean tables = settings.tableSparsity() > 0 || !settings.overrides().isEmpty();
        return WeightSelector.select(graph, filter, tables);
    }

    private List<PrunableTensor> chosen(WeightSelector.Selection selection) {
        return selection.tensors().stream().filter(t -> !t.table() || settings.target(t) > 0).toList();
    }

    @Override
    public StepResult<ZeroedWeights> apply(StepInput input) {
        ModelGraph graph = ModelGraph.of(input.model());
        WeightSelector.Selection selection = selection(graph);
        List<PrunableTensor> chosen = chosen(selection);
        MagnitudePruner.Result result = MagnitudePruner.prune(graph, chosen, settings, input.calibration() != null);
        ZeroedWeights edits = new ZeroedWeights(result.tensors(), selection.skipped());
        List<String> zeroed = edits.tensors().stream().filter(t -> t.zeroed() > 0).map(TensorChange::name).toList();
        // A lookup has no input to fit its rows to: a pruned table keeps its magnitude mask as it is.
        List<String> refittable = edits.tensors().stream().filter(t -> t.zeroed() > 0 && !t.opTypes().contains(
                "Gather")).map(TensorChange::name).toList();
        ModelProto model = zeroed.isEmpty() ? input.model() : result.model();
        result = null;
        List<LayerReconstruction> refitted = null;
        if (input.calibration() != null && !refittable.isEmpty()) {
            // Handed over, not held here: the weights the re-fit replaces can then go while it runs.
            AtomicReference<ModelProto> pruned = new AtomicReference<>(model);
            model = null;
            WeightReconstruction.Result refit = WeightReconstruction.reconstruct(input.model(), pruned, refittable,
                    input.calibration(), refitOptions, input.progress());
            model = refit.model();
            refitted = refit.layers();
        } else if (input.calibration() != null) {
            refitted = List.of();
        }
        String unchanged = "";
        if (zeroed.isEmpty()) {
            unchanged = edits.tensors().isEmpty()
                    ? "no weight of " + String.join(", ", new TreeSet<>(filter.opTypes()))
                            + " that it may change" + (edits.skipped().isEmpty() ? ""
                                    : " (" + edits.skipped().get(0).name() + ": " + edits.skipped().get(0).reason()
                                            + ")")
                    : "no weight was zeroed at sparsity " + settings.sparsity();
        }
        return new StepResult<>(model, edits, section(edits), refitted, unchanged);
    }

    private static StepSection section(ZeroedWeights edits) {
        List<JsonFields> tensors = new ArrayList<>();
        for (TensorChange tensor : edits.tensors()) {
            tensors.add(JsonFields.object().put("name", tensor.name()).put("opTypes", tensor.opTypes())
                    .put("shape", tensor.dims()).put("size", tensor.size())
                    .put("targetSparsity", tensor.targetSparsity()).put("zeroed", tensor.zeroed())
                    .put("zerosBefore", tensor.zerosBefore()).put("zerosAfter", tensor.zerosAfter())
                    .put("sparsityReached", tensor.sparsityReached()));
        }
        List<JsonFields> skipped = new ArrayList<>();
        for (SkippedTensor tensor : edits.skipped()) {
            skipped.add(JsonFields.object().put("name", tensor.name()).put("reason", tensor.reason()));
        }
        Map<String, Object> fields = JsonFields.object().put("sparsityReached", edits.sparsityReached())
                .put("prunedWeights", edits.prunedWeights()).put("zeroWeights", edits.zeroWeights())
                .put("tensors", JsonFields.list(tensors)).put("skippedTensors", JsonFields.list(skipped)).build();
        List<String> log = new ArrayList<>();
        for (TensorChange tensor : edits.tensors()) {
            if (tensor.opTypes().contains("Gather") && tensor.zeroed() > 0) {
                log.add(String.format(java.util.Locale.ROOT, "%s (embedding table %dx%d): %.2f of each row zeroed,"
                        + " not re-fitted (a lookup has no inputs to fit)", tensor.name(), tensor.dims()[0],
                        tensor.size() / Math.max(1, tensor.dims()[0]), tensor.targetSparsity()));
            }
        }
        // With no tensor pruned, the fraction that matters is an earlier step's (node pruning's units).
        return new StepSection(ID, fields, edits.tensors().size(),
                edits.tensors().isEmpty() ? null : edits.sparsityReached(), false, "tensors:", log, Map.of());
    }
}

package io.github.onnxprune.step.nodes;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.gate.AccuracyGate;
import io.github.onnxprune.prune.calibrate.CompensatedRanking;
import io.github.onnxprune.prune.calibrate.FeatureVariances;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import io.github.onnxprune.prune.calibrate.NodeCompensation;
import io.github.onnxprune.prune.calibrate.RankingMemo;
import io.github.onnxprune.prune.nodes.LayerChange;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.prune.nodes.ReaderRanking;
import io.github.onnxprune.prune.nodes.SkippedLayer;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.report.JsonFields;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.step.ModelStep;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Node pruning as a step: removes whole units ({@link NodePruner}, ranked by calibration statistics with
 * {@link UnitImportance#FLUCTUATION} or {@link UnitImportance#COMPENSATED}), then, with calibration data,
 * compensates the layers that read them ({@link NodeCompensation}) from the slices node pruning recorded.
 */
public final class NodePruningStep implements ModelStep<NodePruningResult> {

    /** The step's id in the method column. */
    public static final String ID = "nodes";

    private final NodePruningSettings settings;
    private final boolean compensate;
    private final NodeCompensation.Options compensation;
    private final RankingMemo memo;

    /** A step removing units as {@code settings} says, compensating with the default options when asked to. */
    public NodePruningStep(NodePruningSettings settings, boolean compensate) {
        this(settings, compensate, NodeCompensation.Options.defaults(), new RankingMemo());
    }

    /**
     * A step removing units as {@code settings} says, compensating with {@code compensation} when asked to; the
     * rankings keep what they measured on the original model in {@code memo} (fluctuation's variances, the compensated
     * ranking's removal orders), which runs on the same original and calibration data share.
     */
    public NodePruningStep(NodePruningSettings settings, boolean compensate, NodeCompensation.Options compensation,
            RankingMemo memo) {
        this.settings = settings;
        this.compensate = compensate;
        this.compensation = compensation;
        this.memo = memo;
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
        return settings.sparsity() > 0 && (compensate || settings.importance().fromCalibration());
    }

    @Override
    public StepResult<NodePruningResult> apply(StepInput input) {
        NodePruningResult nodes;
        // The ranked values are collected stage by stage and let go as their statistics are taken.
        try (FeatureVariances variances = input.calibration() == null ? null
                : new FeatureVariances(input.calibration(), input.model())) {
            long started = System.nanoTime();
            int[] measured = {0};
            // On thousands of calibration sentences ranking takes minutes: a line per value measured.
            // What is kept belongs to the original, so a step run on another model measures its own.
            RankingMemo kept = input.model() == input.original() ? memo : new RankingMemo();
            NodePruner.FeatureVariance variance = variances == null ? null : value -> kept.variance(value, v -> {
                double[] result = variances.of(v);
                input.progress().accept(String.format(Locale.ROOT, "ranking: value %d measured, %s; %.1f s elapsed",
                        ++measured[0], v, (System.nanoTime() - started) / 1e9));
                return result;
            });
            // Each reader's input covariance from the same staged values, on as many rows as a fit reads.
            ReaderRanking ranking = variances == null || settings.importance() != UnitImportance.COMPENSATED ? null
                    : new CompensatedRanking(variances, compensation.maxRows(), kept, input.progress());
            nodes = NodePruner.prune(input.model(), settings, variance, ranking);
        }
        ModelProto model = nodes.model();
        List<LayerReconstruction> refitted = null;
        if (compensate && input.calibration() != null) {
            // The reference is the model this step received: compensation undoes this step's removals only.
            NodeCompensation.Result compensated = NodeCompensation.compensate(input.model(), nodes,
                    input.calibration(), compensation, input.progress());
            model = compensated.model();
            refitted = compensated.layers();
        }
        String unchanged = "";
        if (nodes.model() == input.model()) {
            unchanged = nodes.layers().isEmpty() ? "no Gemm, MatMul or Conv layer with a constant weight"
                    : "no unit could be removed" + (nodes.skipped().isEmpty() ? ""
                            : " (" + nodes.skipped().get(0).layer() + ": " + nodes.skipped().get(0).reason() + ")");
        }
        // Fluctuation without data ranks as l2 does: said, so the user does not believe the data-aware ranking ran.
        String ranking = settings.importance() == UnitImportance.FLUCTUATION && input.calibration() == null
                && !nodes.layers().isEmpty() ? "units ranked by L2 norms: fluctuation needs calibration or validation"
                + " data, and none was given (<calibrationData> or <validationData>)" : null;
        return new StepResult<>(model, nodes, section(nodes, ranking), refitted, unchanged);
    }

    /** The fraction of units removed over the layers node pruning saw. */
    static double unitsRemoved(NodePruningResult nodes) {
        long before = nodes.unitsBefore();
        return before == 0 ? 0.0 : (double) (before - nodes.unitsAfter()) / before;
    }

    private static StepSection section(NodePruningResult nodes, String ranking) {
        List<JsonFields> layers = new ArrayList<>();
        List<String> log = new ArrayList<>();
        if (ranking != null) {
            log.add(ranking);
        }
        int unchanged = 0;
        for (LayerChange layer : nodes.layers()) {
            layers.add(JsonFields.object().put("layer", layer.layer()).put("opType", layer.opType())
                    .put("unitsBefore", layer.unitsBefore()).put("unitsAfter", layer.unitsAfter())
                    .put("parametersBefore", layer.paramsBefore()).put("parametersAfter", layer.paramsAfter())
                    .put("macsBefore", layer.macsBefore()).put("macsAfter", layer.macsAfter())
                    .put("macsPer", layer.macsPerToken() ? "token" : "sample"));
            // A transformer with per-block amounts leaves many layers whole: the log names what changed only.
            if (layer.unitsAfter() == layer.unitsBefore() && layer.paramsAfter() == layer.paramsBefore()) {
                unchanged++;
                continue;
            }
            log.add(String.format(Locale.ROOT, "%s (%s): units %d -> %d, params %d -> %d, MACs%s %s -> %s",
                    layer.layer(), layer.opType(), layer.unitsBefore(), layer.unitsAfter(), layer.paramsBefore(),
                    layer.paramsAfter(), layer.macsPerToken() ? " per token" : "", macs(layer.macsBefore()),
                    macs(layer.macsAfter())));
        }
        if (unchanged > 0) {
            log.add(unchanged + (unchanged == 1 ? " other layer" : " other layers")
                    + " unchanged (report.json lists every layer)");
        }
        perToken(nodes).ifPresent(log::add);
        List<JsonFields> skipped = new ArrayList<>();
        for (SkippedLayer layer : nodes.skipped()) {
            skipped.add(JsonFields.object().put("name", layer.layer()).put("reason", layer.reason()));
            log.add(layer.layer() + ": left unpruned, " + layer.reason());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        double removed = unitsRemoved(nodes);
        if (!nodes.layers().isEmpty()) {
            metadata.put("onnx-prune.unitsRemoved", String.format(Locale.ROOT, "%.4f", removed));
        }
        return new StepSection(ID, JsonFields.object().put("layers", JsonFields.list(layers))
                .put("skippedLayers", JsonFields.list(skipped)).build(), 0, removed, !nodes.layers().isEmpty(),
                "layers:", log, metadata);
    }

    /**
     * The line summing the layers counted per token (a transformer's projections, whose sequence length is known
     * only at run time), so that a user sees what share of the multiply-adds per token went; empty without any.
     */
    static Optional<String> perToken(NodePruningResult nodes) {
        long before = 0;
        long after = 0;
        int layers = 0;
        for (LayerChange layer : nodes.layers()) {
            if (layer.macsPerToken() && layer.macsBefore() >= 0 && layer.macsAfter() >= 0) {
                before += layer.macsBefore();
                after += layer.macsAfter();
                layers++;
            }
        }
        return layers == 0 || before == 0 ? Optional.empty() : Optional.of(String.format(
                Locale.ROOT, "MACs per token of the %d layers that read a sequence: %d -> %d (%.1f%% fewer)", layers,
                before, after, 100.0 * (before - after) / before));
    }

    private static String macs(long value) {
        return value < 0 ? "unknown" : Long.toString(value);
    }
}

package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.util.List;
import java.util.Locale;

/**
 * Prints the BERT-style fixture's validation accuracy after removing heads and feed-forward units, per unit
 * ranking and scope, without and with compensation on its calibration set. A command, not a test.
 */
public final class AttentionFixtureBenchmark {

    private AttentionFixtureBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        ModelProto model = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ModelSignature signature = ModelSignature.of(model);
        ValidationData validation = ValidationDataReader.read(Fixtures.ROOT.resolve("digits-bert/validation.npz"),
                signature, "labels");
        ValidationData calibration = ValidationDataReader.read(Fixtures.ROOT.resolve("digits-bert/calibration.npz"),
                signature, "labels");
        // -Dridge, -DsequenceRidge, -DholdBack and -Dresidual change the options (CompensationProperties).
        NodeCompensation.Options options = CompensationProperties.options();
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 256, 64);
            System.out.printf(Locale.ROOT, "digits-bert, original accuracy %.1f%%%n",
                    100 * AttentionCompensationTest.accuracy(runtime, model, validation));
            System.out.printf(Locale.ROOT, "%-12s %-10s %8s %6s %6s %8s %12s%n", "importance", "scope", "fraction",
                    "heads", "units", "plain", "compensated");
            for (UnitImportance importance : UnitImportance.values()) {
                for (Scope scope : Scope.values()) {
                    for (double fraction : new double[] {0.25, 0.5}) {
                        NodePruningSettings settings = new NodePruningSettings(fraction, scope, List.of(), List.of(),
                                importance);
                        NodePruningResult pruned;
                        try (FeatureVariances variances = new FeatureVariances(collector, model)) {
                            pruned = NodePruner.prune(model, settings, variances,
                                    new CompensatedRanking(variances, options.maxRows(), new RankingMemo(),
                                            line -> { }));
                        }
                        ModelProto fitted = NodeCompensation.compensate(model, pruned, collector, options)
                                .model();
                        int heads = 0;
                        int units = 0;
                        for (var layer : pruned.layers()) {
                            heads += layer.layer().contains("query") ? layer.unitsAfter() / 8 : 0;
                            units += layer.layer().contains("intermediate") ? layer.unitsAfter() : 0;
                        }
                        System.out.printf(Locale.ROOT, "%-12s %-10s %8.2f %6s %6s %7.1f%% %11.1f%%%n",
                                importance.id(), scope.id(), fraction, heads + "/8", units + "/256",
                                100 * AttentionCompensationTest.accuracy(runtime, pruned.model(), validation),
                                100 * AttentionCompensationTest.accuracy(runtime, fitted, validation));
                    }
                }
            }
        }
    }
}

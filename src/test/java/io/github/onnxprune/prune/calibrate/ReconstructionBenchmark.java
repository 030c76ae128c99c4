package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.Fixtures;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import java.util.List;
import java.util.Locale;

/**
 * Prints validation accuracy of every fixture, node-pruned at 25/50/75% and weight-pruned at 50/70/90%
 * (layerwise): plain, re-fitted ("refit": node compensation, or the magnitude mask's kept weights re-fitted) and,
 * for weights, with the mask re-chosen by OBS saliency before the re-fit ("OBS", the default: the exact per-output
 * path on layers this small) and by the column sweep forced on every layer ("sweep", what wide layers get);
 * calibrated and
 * evaluated on all samples, and held out ("ho": calibrated on the first half, evaluated on the second).
 *
 * <p>A command, not a test: {@code mvn -B -q -o test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.github.onnxprune.prune.calibrate.ReconstructionBenchmark}, or see the README.
 */
public final class ReconstructionBenchmark {

    private ReconstructionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            System.out.printf(Locale.ROOT, "%-18s %-8s %5s %8s | %8s %8s %8s %8s | %8s %8s %8s %8s%n",
                    "model", "method", "frac", "original", "plain", "refit", "OBS", "sweep", "ho plain", "ho refit",
                    "ho OBS", "ho sweep");
            for (String name : Fixtures.names()) {
                Fixtures.Loaded fixture = Fixtures.load(name);
                ValidationData all = fixture.data();
                ValidationData first = Fixtures.firstHalf(all);
                ValidationData second = Fixtures.secondHalf(all);
                ActivationCollector onAll = new ActivationCollector(runtime, all, 512, 64);
                ActivationCollector onFirst = new ActivationCollector(runtime, first, 512, 64);
                double original = Fixtures.accuracy(runtime, fixture.model(), all);
                for (double fraction : new double[] {0.25, 0.5, 0.75}) {
                    NodePruningResult result = NodePruner.prune(fixture.model(),
                            NodePruningSettings.of(fraction, Scope.LAYERWISE));
                    ModelProto pruned = result.model();
                    ModelProto fitted = nodes(fixture.model(), result, onAll);
                    ModelProto heldOut = nodes(fixture.model(), result, onFirst);
                    print(name, "nodes", fraction, original,
                            Fixtures.accuracy(runtime, pruned, all),
                            Fixtures.accuracy(runtime, fitted, all),
                            Double.NaN,
                            Double.NaN,
                            Fixtures.accuracy(runtime, pruned, second),
                            Fixtures.accuracy(runtime, heldOut, second),
                            Double.NaN,
                            Double.NaN);
                }
                for (double sparsity : new double[] {0.5, 0.7, 0.9}) {
                    ModelProto pruned = weights(fixture.model(), sparsity);
                    List<String> names = tensors(fixture.model());
                    WeightReconstruction.Options keep = WeightReconstruction.Options.keepingMask();
                    WeightReconstruction.Options obs = WeightReconstruction.Options.defaults();
                    if (System.getProperty("target") != null) {
                        // Another fitting target for every weight column, e.g. -Dtarget=DENSE_INPUTS.
                        WeightReconstruction.Target target = WeightReconstruction.Target.valueOf(
                                System.getProperty("target"));
                        keep = keep.withTarget(target);
                        obs = obs.withTarget(target);
                    }
                    WeightReconstruction.Options sweep = obs.withExactFlops(0);
                    print(name, "weights", sparsity, original,
                            Fixtures.accuracy(runtime, pruned, all),
                            Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), pruned, names,
                                    onAll, keep).model(), all),
                            Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), pruned, names,
                                    onAll, obs).model(), all),
                            Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), pruned, names,
                                    onAll, sweep).model(), all),
                            Fixtures.accuracy(runtime, pruned, second),
                            Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), pruned, names,
                                    onFirst, keep).model(), second),
                            Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), pruned, names,
                                    onFirst, obs).model(), second),
                            Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), pruned, names,
                                    onFirst, sweep).model(), second));
                }
            }
        }
    }

    static ModelProto nodes(ModelProto original, NodePruningResult pruned, ActivationCollector collector) {
        // -Dridge, -DsequenceRidge, -DholdBack and -Dresidual change the options (CompensationProperties).
        return NodeCompensation.compensate(original, pruned, collector, CompensationProperties.options()).model();
    }

    static List<String> tensors(ModelProto model) {
        return WeightSelector.select(ModelGraph.of(model), TensorFilter.all()).tensors().stream()
                .map(PrunableTensor::name).toList();
    }

    static ModelProto weights(ModelProto model, double sparsity) {
        ModelGraph graph = ModelGraph.of(model);
        return MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                new WeightPruningSettings(sparsity, Scope.LAYERWISE, List.of())).model();
    }

    private static void print(String name, String method, double fraction, double original, double plain,
            double recon, double better, double swept, double heldPlain, double heldRecon, double heldBetter,
            double heldSwept) {
        System.out.printf(Locale.ROOT,
                "%-18s %-8s %4.0f%% %7.1f%% | %7.1f%% %7.1f%% %7.1f%% %7.1f%% | %7.1f%% %7.1f%% %7.1f%% %7.1f%%%n",
                name, method, fraction * 100, original * 100, plain * 100, recon * 100, better * 100, swept * 100,
                heldPlain * 100, heldRecon * 100, heldBetter * 100, heldSwept * 100);
    }
}

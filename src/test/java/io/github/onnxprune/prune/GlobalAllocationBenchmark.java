package io.github.onnxprune.prune;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.WeightReconstruction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints top-1 accuracy of every fixture weight-pruned at 50/70/90% by four allocations: the first global
 * scope (one raw magnitude threshold over all tensors, rebuilt here since the plugin no longer has it),
 * layerwise (each tensor on its own), LAMP scores alone (the second global scope) and the shipped global scope
 * ({@link GlobalAllocation}, with the share the plugin uses with and without a re-fit); each plain and re-fitted
 * (the default OBS mask and re-fit), on all samples and held out (calibrated on the first half, evaluated on the
 * second), plus the per-tensor sparsities the global scopes chose.
 *
 * <p>A command, not a test; see the README for how to run it.
 */
public final class GlobalAllocationBenchmark {

    private GlobalAllocationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            Map<String, Integer> shortfalls = new java.util.TreeMap<>();
            System.out.printf(Locale.ROOT, "%-18s %4s | %-30s | %-30s | %-30s | %-30s%n", "model", "s",
                    "plain all: old lw lamp new", "refit all: old lw lamp new", "plain ho: old lw lamp new",
                    "refit ho: old lw lamp new");
            for (String name : Fixtures.names()) {
                Fixtures.Loaded fixture = Fixtures.load(name);
                ValidationData all = fixture.data();
                ValidationData first = Fixtures.firstHalf(all);
                ValidationData second = Fixtures.secondHalf(all);
                ActivationCollector onAll = new ActivationCollector(runtime, all, 512, 64);
                ActivationCollector onFirst = new ActivationCollector(runtime, first, 512, 64);
                ModelGraph graph = ModelGraph.of(fixture.model());
                List<PrunableTensor> tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
                List<String> names = tensors.stream().map(PrunableTensor::name).toList();
                for (double sparsity : new double[] {0.5, 0.7, 0.9}) {
                    WeightPruningSettings global = new WeightPruningSettings(sparsity, Scope.GLOBAL, List.of());
                    ModelProto[] plain = {
                        oldGlobal(graph, tensors, sparsity),
                        MagnitudePruner.prune(graph, tensors,
                                new WeightPruningSettings(sparsity, Scope.LAYERWISE, List.of())).model(),
                        lampGlobal(graph, tensors, sparsity),
                        MagnitudePruner.prune(graph, tensors, global, false).model()};
                    // The plugin re-fits what it pruned with the re-fit's share; the other three do not depend on it.
                    ModelProto[] refit = plain.clone();
                    refit[3] = MagnitudePruner.prune(graph, tensors, global, true).model();
                    double[][] acc = new double[4][plain.length];
                    // Each re-fitted model's accuracy on the data it was calibrated on: all samples, the first half.
                    double[][] onCalibration = new double[2][plain.length];
                    // Each plain model's accuracy on the data the plugin chooses on without a re-fit.
                    double[][] plainOnCalibration = new double[2][plain.length];
                    for (int m = 0; m < plain.length; m++) {
                        acc[0][m] = Fixtures.accuracy(runtime, plain[m], all);
                        ModelProto refitAll = WeightReconstruction.reconstruct(fixture.model(), refit[m], names,
                                onAll, WeightReconstruction.Options.defaults()).model();
                        acc[1][m] = Fixtures.accuracy(runtime, refitAll, all);
                        onCalibration[0][m] = acc[1][m];
                        plainOnCalibration[0][m] = acc[0][m];
                        plainOnCalibration[1][m] = Fixtures.accuracy(runtime, plain[m], first);
                        acc[2][m] = Fixtures.accuracy(runtime, plain[m], second);
                        ModelProto refitFirst = WeightReconstruction.reconstruct(fixture.model(), refit[m], names,
                                onFirst, WeightReconstruction.Options.defaults()).model();
                        acc[3][m] = Fixtures.accuracy(runtime, refitFirst, second);
                        onCalibration[1][m] = Fixtures.accuracy(runtime, refitFirst, first);
                    }
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-18s %3.0f%%", name,
                            sparsity * 100));
                    for (double[] row : acc) {
                        line.append(String.format(Locale.ROOT, " | %6.1f%% %6.1f%% %6.1f%% %6.1f%%", row[0] * 100,
                                row[1] * 100, row[2] * 100, row[3] * 100));
                    }
                    System.out.println(line);
                    StringBuilder selected = new StringBuilder("    chosen by accuracy on the calibration data"
                            + " (refit all / refit ho):");
                    for (int[] set : SELECTIONS) {
                        int onAllData = select(onCalibration[0], set);
                        int onFirstHalf = select(onCalibration[1], set);
                        selected.append(String.format(Locale.ROOT, " %s %.1f%% / %.1f%%;", label(set),
                                acc[1][onAllData] * 100, acc[3][onFirstHalf] * 100));
                        shortfalls.merge(label(set) + (sparsity == 0.9 ? " at 90% below lw" : " below lw"),
                                (acc[1][onAllData] < acc[1][1] ? 1 : 0) + (acc[3][onFirstHalf] < acc[3][1] ? 1 : 0),
                                Integer::sum);
                        shortfalls.merge(label(set) + " below max(old, lw)",
                                (acc[1][onAllData] < Math.max(acc[1][0], acc[1][1]) ? 1 : 0)
                                        + (acc[3][onFirstHalf] < Math.max(acc[3][0], acc[3][1]) ? 1 : 0),
                                Integer::sum);
                    }
                    // What the plugin ships: {lw, new, old} chosen on the calibration data, plain and re-fitted.
                    int[] shipped = SELECTIONS[SELECTIONS.length - 1];
                    int[] picks = {select(plainOnCalibration[0], shipped), select(onCalibration[0], shipped),
                        select(plainOnCalibration[1], shipped), select(onCalibration[1], shipped)};
                    StringBuilder plugin = new StringBuilder("    shipped choice {lw,new,old} (plain all / refit all /"
                            + " plain ho / refit ho):");
                    for (int column = 0; column < 4; column++) {
                        double got = acc[column][picks[column]];
                        double better = Math.max(acc[column][0], acc[column][1]);
                        plugin.append(String.format(Locale.ROOT, " %s %.1f%%%s%s;", NAMES[picks[column]], got * 100,
                                got < acc[column][1] ? " <lw" : "", got < better ? " <max(old,lw)" : ""));
                        shortfalls.merge("shipped " + (column % 2 == 0 ? "plain" : "refit") + " below max(old, lw)",
                                got < better ? 1 : 0, Integer::sum);
                        shortfalls.merge("shipped " + (column % 2 == 0 ? "plain" : "refit") + " below lw",
                                got < acc[column][1] ? 1 : 0, Integer::sum);
                        if (got < better) {
                            shortfalls.merge("shipped largest shortfall (tenths of a point)",
                                    (int) Math.round((better - got) * 1000), Math::max);
                        }
                    }
                    System.out.println(plugin);
                    selected.append(String.format(Locale.ROOT, " on the calibration data itself: all %s, first half %s",
                            java.util.Arrays.toString(onCalibration[0]), java.util.Arrays.toString(onCalibration[1])));
                    System.out.println(selected);
                    System.out.println("    new global per tensor: " + perTensor(plain[3], tensors)
                            + "\n    new global before a re-fit: " + perTensor(refit[3], tensors)
                            + "\n    LAMP alone per tensor: " + perTensor(plain[2], tensors)
                            + "\n    old global per tensor: " + perTensor(plain[0], tensors));
                }
            }
            System.out.println("re-fitted cases (30: 15 all, 15 held out) where the choice falls short: " + shortfalls);
        }
    }

    /**
     * Candidate sets chosen among by calibration accuracy: indices into old, lw, lamp, new; ties to the first
     * (uniform, as the plugin keeps uniform shares unless another scores better). {lw,new,old} is what it ships,
     * in the order its ties go.
     */
    private static final int[][] SELECTIONS = {{1, 3}, {1, 2, 3}, {0, 1, 2, 3}, {1, 3, 0}};

    private static final String[] NAMES = {"old", "lw", "lamp", "new"};

    private static int select(double[] accuracy, int[] set) {
        int best = set[0];
        for (int candidate : set) {
            best = accuracy[candidate] > accuracy[best] ? candidate : best;
        }
        return best;
    }

    private static String label(int[] set) {
        StringBuilder label = new StringBuilder("{");
        for (int candidate : set) {
            label.append(label.length() > 1 ? "," : "").append(NAMES[candidate]);
        }
        return label.append('}').toString();
    }

    private static String perTensor(ModelProto model, List<PrunableTensor> tensors) {
        ModelGraph pruned = ModelGraph.of(model);
        Map<String, String> out = new LinkedHashMap<>();
        for (PrunableTensor tensor : tensors) {
            FloatTensor view = FloatTensor.of(pruned.constant(tensor.name()).orElseThrow().tensor());
            out.put(tensor.name(), String.format(Locale.ROOT, "%.2f", (double) view.zeroCount() / view.size()));
        }
        return out.toString();
    }

    /** The LAMP scores alone (the global scope before the blend with uniform). */
    static ModelProto lampGlobal(ModelGraph graph, List<PrunableTensor> tensors, double sparsity) {
        List<float[]> magnitudes = magnitudes(tensors);
        return GlobalAllocationAlternatives.apply(graph, tensors, magnitudes,
                GlobalAllocation.lampCounts(magnitudes, total(magnitudes, sparsity)));
    }

    /** The first global scope: floor(s * n) smallest raw magnitudes over all tensors at once. */
    static ModelProto oldGlobal(ModelGraph graph, List<PrunableTensor> tensors, double sparsity) {
        List<float[]> magnitudes = magnitudes(tensors);
        return GlobalAllocationAlternatives.apply(graph, tensors, magnitudes,
                GlobalAllocationAlternatives.oldCounts(magnitudes, total(magnitudes, sparsity)));
    }

    private static List<float[]> magnitudes(List<PrunableTensor> tensors) {
        List<float[]> magnitudes = new ArrayList<>();
        for (PrunableTensor tensor : tensors) {
            magnitudes.add(FloatTensor.of(tensor.constant().tensor()).magnitudes());
        }
        return magnitudes;
    }

    private static long total(List<float[]> magnitudes, double sparsity) {
        long size = 0;
        for (float[] tensor : magnitudes) {
            size += tensor.length;
        }
        return Sparsity.countToRemove(sparsity, size);
    }
}

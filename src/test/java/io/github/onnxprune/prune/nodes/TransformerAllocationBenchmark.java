package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.CompensationProperties;
import io.github.onnxprune.prune.calibrate.FeatureVariances;
import io.github.onnxprune.prune.calibrate.NodeCompensation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-block, per-kind amounts of node pruning for all-MiniLM-L6-v2 from measured sensitivity: for each block's
 * heads and feed-forward units alone, at a few fractions, the pooled-cosine loss on calibration sentences the
 * compensation did not see (fitted on all but the last 64, judged on those: 192 and 64 of the 256), then a greedy
 * allocation under an exact multiply-add budget (the step of least loss per multiply-add removed first, losses
 * interpolated between the measured fractions, never beyond the largest). Prints {@code sensitivity} lines and, per
 * budget, the {@code -Doverrides} / {@code sparsityOverrides} list that {@link TransformerPruningBenchmark} and the
 * plugin take. The validation sentences are never read.
 *
 * <p>Arguments: budgets (fractions of the encoder's multiply-adds to remove, default 0.25,0.4), FFN fractions
 * measured (default 0.3,0.6,0.85), head fractions (default 0.25,0.5), and optionally a file of earlier
 * {@code sensitivity} lines to allocate from without measuring. Compensation's options as in
 * {@link TransformerPruningBenchmark} ({@link CompensationProperties}: the plugin's defaults unless
 * {@code -Dridge}, {@code -Dresidual}, ... say otherwise), at most {@code -DmaxRows} rows per fit (default 8192);
 * {@code -Dheads=false} allocates feed-forward units only. {@code -Dcalibration=file.npz} measures on another
 * calibration set (e.g. {@code benchmarks/minilm/src/data/calibration-2800.npz}): fitted on all its sentences but
 * the last 64, judged on those.
 */
public final class TransformerAllocationBenchmark {

    private static final int BLOCKS = 6;
    private static final int HEADS = 12;
    private static final int UNITS = 1536;
    private static final int FFN_STEP = 32;

    private TransformerAllocationBenchmark() {
    }

    /** One group: a block's heads or its feed-forward units. */
    private record Kind(String name, String pattern, int chunks, int step) {
    }

    /** Runs the measurement (or reads it) and prints the allocations. */
    public static void main(String[] args) throws Exception {
        double[] budgets = doubles(args.length > 0 ? args[0] : "0.25,0.4");
        double[] ffnFractions = doubles(args.length > 1 ? args[1] : "0.3,0.6,0.85");
        double[] headFractions = doubles(args.length > 2 ? args[2] : "0.25,0.5");
        boolean heads = Boolean.parseBoolean(System.getProperty("heads", "true"));
        List<Kind> kinds = new ArrayList<>();
        for (int b = 0; b < BLOCKS; b++) {
            kinds.add(new Kind("ffn" + b, "/encoder/layer." + b + "/intermediate/*", UNITS, FFN_STEP));
            if (heads) {
                kinds.add(new Kind("heads" + b, "/encoder/layer." + b + "/attention/self/*", HEADS, 1));
            }
        }
        Map<String, double[][]> curves = new LinkedHashMap<>();
        long baseMacs;
        if (args.length > 3) {
            baseMacs = read(Path.of(args[3]), curves);
        } else {
            baseMacs = measure(kinds, ffnFractions, headFractions, curves);
        }
        for (double budget : budgets) {
            allocate(kinds, curves, baseMacs, budget);
        }
    }

    private static long measure(List<Kind> kinds, double[] ffnFractions, double[] headFractions,
            Map<String, double[][]> curves) throws Exception {
        ModelProto model = MiniLmFigures.model(MiniLmFigures.JAR);
        ValidationData all = ValidationDataReader.read(Path.of(System.getProperty("calibration",
                "benchmarks/minilm/src/data/calibration.npz")), ModelSignature.of(model), "labels");
        int fitCount = all.sampleCount() - 64;
        ValidationData fit = ActivationCollector.firstSamples(all, fitCount);
        ValidationData judge = lastSamples(all, fitCount);
        double tokens = meanTokens(judge);
        NodeCompensation.Options options = CompensationProperties.options(Integer.getInteger("maxRows",
                NodeCompensation.Options.defaults().maxRows()));
        long baseMacs = TransformerPruningBenchmark.encoderMacs(model, tokens);
        System.out.printf(Locale.ROOT, "base %d MACs/token at %.1f tokens; fitted on %d calibration sentences,"
                + " judged on %d others; ridge %s (token sequences %s), residual target %s, %d rows per fit%n",
                baseMacs, tokens, fit.sampleCount(), judge.sampleCount(), options.ridge(), options.sequenceRidge(),
                options.residual(), options.maxRows());
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            float[][] reference = MiniLmFigures.pooled(runtime, model, judge);
            ActivationCollector collector = new ActivationCollector(runtime, fit, fitCount, 64);
            Map<String, double[]> variances = new HashMap<>();
            FeatureVariances staged = new FeatureVariances(collector, model);
            for (Kind kind : kinds) {
                double[] fractions = kind.name().startsWith("ffn") ? ffnFractions : headFractions;
                double[][] curve = new double[fractions.length][];
                for (int i = 0; i < fractions.length; i++) {
                    long start = System.nanoTime();
                    NodePruningResult result = NodePruner.prune(model, new NodePruningSettings(0, Scope.LAYERWISE,
                            List.of(SparsityOverride.parse(kind.pattern() + "=" + fractions[i])), List.of(),
                            UnitImportance.FLUCTUATION), value -> variances.computeIfAbsent(value,
                                    staged::of));
                    ModelProto fitted = NodeCompensation.compensate(model, result, collector, options).model();
                    double loss = 1 - MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, fitted, judge));
                    long removed = baseMacs - TransformerPruningBenchmark.encoderMacs(fitted, tokens);
                    curve[i] = new double[] {fractions[i], removed, loss};
                    System.out.printf(Locale.ROOT, "sensitivity %s %.4f %d %.6f (%.0f s)%n", kind.name(),
                            fractions[i], removed, loss, (System.nanoTime() - start) / 1e9);
                }
                curves.put(kind.name(), curve);
            }
            staged.close();
        }
        return baseMacs;
    }

    private static long read(Path file, Map<String, double[][]> curves) throws Exception {
        long base = 0;
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String[] parts = line.trim().split("\\s+");
            if (parts[0].equals("base")) {
                base = Long.parseLong(parts[1]);
            } else if (parts[0].equals("sensitivity")) {
                points.computeIfAbsent(parts[1], k -> new ArrayList<>()).add(new double[] {
                    Double.parseDouble(parts[2]), Double.parseDouble(parts[3]), Double.parseDouble(parts[4])});
            }
        }
        points.forEach((name, list) -> curves.put(name, list.toArray(new double[0][])));
        return base;
    }

    /** Loss at {@code fraction}: linear between (0, 0) and the measured points, the last slope beyond them. */
    private static double loss(double[][] curve, double fraction) {
        double x0 = 0;
        double y0 = 0;
        for (double[] point : curve) {
            if (fraction <= point[0]) {
                return y0 + (point[2] - y0) * (fraction - x0) / (point[0] - x0);
            }
            if (point == curve[curve.length - 1]) {
                return point[2] + (point[2] - y0) * (fraction - point[0]) / (point[0] - x0);
            }
            x0 = point[0];
            y0 = point[2];
        }
        return y0;
    }

    private static void allocate(List<Kind> kinds, Map<String, double[][]> curves, long baseMacs, double budget) {
        int[] counts = new int[kinds.size()];
        double[] macsPerChunk = new double[kinds.size()];
        for (int k = 0; k < kinds.size(); k++) {
            double[] last = curves.get(kinds.get(k).name())[0];
            macsPerChunk[k] = last[1] / Math.floor(last[0] * kinds.get(k).chunks());
        }
        double target = budget * baseMacs;
        double removed = 0;
        while (removed < target) {
            int best = -1;
            double bestRate = Double.MAX_VALUE;
            for (int k = 0; k < kinds.size(); k++) {
                Kind kind = kinds.get(k);
                double[][] measured = curves.get(kind.name());
                // Never beyond the largest fraction measured: extrapolated losses flatter a group's last units.
                int most = (int) Math.floor(measured[measured.length - 1][0] * kind.chunks());
                int next = Math.min(Math.min(counts[k] + kind.step(), kind.chunks() - kind.step()), most);
                if (next <= counts[k]) {
                    continue;
                }
                double[][] curve = curves.get(kind.name());
                double cost = loss(curve, (double) next / kind.chunks())
                        - loss(curve, (double) counts[k] / kind.chunks());
                double rate = Math.max(0, cost) / ((next - counts[k]) * macsPerChunk[k]);
                if (rate < bestRate) {
                    bestRate = rate;
                    best = k;
                }
            }
            if (best < 0) {
                break;
            }
            Kind kind = kinds.get(best);
            double[][] measured = curves.get(kind.name());
            int most = (int) Math.floor(measured[measured.length - 1][0] * kind.chunks());
            int next = Math.min(Math.min(counts[best] + kind.step(), kind.chunks() - kind.step()), most);
            // The last step is cut to what the budget still needs, so the total lands on it.
            int needed = (int) Math.ceil((target - removed) / macsPerChunk[best]);
            next = Math.min(next, counts[best] + needed);
            removed += (next - counts[best]) * macsPerChunk[best];
            counts[best] = next;
        }
        StringBuilder overrides = new StringBuilder();
        double predicted = 0;
        System.out.printf(Locale.ROOT, "budget %.2f: %.0f of %d MACs/token removed (%.4f)%n", budget, removed,
                baseMacs, removed / baseMacs);
        for (int k = 0; k < kinds.size(); k++) {
            Kind kind = kinds.get(k);
            double fraction = counts[k] == 0 ? 0 : (counts[k] + 0.5) / kind.chunks();
            predicted += loss(curves.get(kind.name()), (double) counts[k] / kind.chunks());
            System.out.printf(Locale.ROOT, "  %-7s %4d of %4d%n", kind.name(), counts[k], kind.chunks());
            overrides.append(overrides.length() == 0 ? "" : ",").append(kind.pattern()).append('=')
                    .append(String.format(Locale.ROOT, "%.6f", fraction));
        }
        System.out.printf(Locale.ROOT, "  predicted loss (sum of the groups') %.4f%n  overrides %s%n", predicted,
                overrides);
    }

    private static ValidationData lastSamples(ValidationData data, int from) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        data.inputs().forEach((name, tensor) -> inputs.put(name, tensor.rows(from, data.sampleCount())));
        return new ValidationData(inputs, null, null, data.source());
    }

    private static double meanTokens(ValidationData data) {
        long[] mask = (long[]) data.inputs().get("attention_mask").data();
        long sum = 0;
        for (long v : mask) {
            sum += v;
        }
        return (double) sum / data.sampleCount();
    }

    private static double[] doubles(String text) {
        return java.util.Arrays.stream(text.split(",")).mapToDouble(Double::parseDouble).toArray();
    }
}

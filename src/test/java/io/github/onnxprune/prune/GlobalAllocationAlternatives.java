package io.github.onnxprune.prune;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.WeightReconstruction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The allocations tried for the global scope, on every fixture at 50/70/90%, plain and re-fitted, on all samples
 * and held out (as {@link GlobalAllocationBenchmark}); per rule a line per case with the per-tensor sparsities
 * (calibrated on all samples | on the first half), then per rule the sum of each column over the 15 cases, how
 * many cases fall below the better of the first global scope and layerwise, and the largest shortfall.
 *
 * <p>Rules: old (one raw threshold), lw (uniform), lamp (LAMP scores alone), bA (uniform and LAMP blended with
 * LAMP's weight A, as {@link GlobalAllocation#counts}), geo0.5 (densities blended geometrically), actlamp / abA
 * (LAMP on each weight's magnitude times its input feature's RMS on the calibration rows, alone / blended),
 * outerr (each tensor's model-output error curve when it alone is pruned, then equal marginal error), selErr /
 * selAgree / selRefit / selAct (the candidate among uniform-LAMP blends with the least output error on the
 * calibration rows / the most top-1 agreement with the dense model / the least output error after a re-fit /
 * including activation-weighted blends). Arguments: a comma-separated list of rules (default: all) and
 * optionally one fixture. A command, not a test (docs/global-scope.md).
 */
public final class GlobalAllocationAlternatives {

    interface Rule {
        long[] counts(Ctx ctx, long total);
    }

    record Ctx(ModelProto model, ModelGraph graph, List<PrunableTensor> tensors, List<float[]> mags,
            ActivationCollector calib, OnnxRuntimeEvaluator runtime, double sparsity) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Rule> rules = new LinkedHashMap<>();
        rules.put("old", (c, t) -> oldCounts(c.mags, t));
        rules.put("lw", (c, t) -> uniform(c.mags, c.sparsity));
        rules.put("lamp", (c, t) -> GlobalAllocation.lampCounts(c.mags, t));
        String only = args.length > 1 ? args[1] : "";
        for (double a : new double[] {0.15, 0.25, 0.35, 0.4, 0.5, 0.75}) {
            rules.put("b" + a, (c, t) -> GlobalAllocation.counts(c.mags, t, a));
        }
        rules.put("geo0.5", (c, t) -> geo(c.mags, t, GlobalAllocation.lampCounts(c.mags, t), 0.5));
        rules.put("actlamp", (c, t) -> GlobalAllocation.lampCounts(weighted(c), t));
        for (double a : new double[] {0.25, 0.5, 0.75}) {
            rules.put("ab" + a, (c, t) -> blend(c.mags, t, GlobalAllocation.lampCounts(weighted(c), t), a));
        }
        rules.put("outerr", (c, t) -> OutputErrorAllocation.counts(c, t));
        rules.put("selErr", (c, t) -> select(c, t, 0));
        rules.put("selAgree", (c, t) -> select(c, t, 1));
        rules.put("selRefit", (c, t) -> select(c, t, 2));
        rules.put("selAct", (c, t) -> select(c, t, 3));
        if (args.length > 0 && !args[0].isEmpty()) {
            List<String> wanted = List.of(args[0].split(","));
            rules.keySet().retainAll(wanted);
            for (String must : List.of("lw", "old")) {
                if (!rules.containsKey(must)) {
                    throw new IllegalArgumentException("the rule list must include old and lw");
                }
            }
        }
        List<String> names = new ArrayList<>(rules.keySet());
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            double[][] sums = new double[names.size()][4];
            int[][] losses = new int[names.size()][4];
            double[][] worst = new double[names.size()][4];
            for (String name : Fixtures.names()) {
                if (!only.isEmpty() && !name.equals(only)) {
                    continue;
                }
                Fixtures.Loaded fixture = Fixtures.load(name);
                ValidationData all = fixture.data();
                ValidationData first = Fixtures.firstHalf(all);
                ValidationData second = Fixtures.secondHalf(all);
                ActivationCollector onAll = new ActivationCollector(runtime, all, 512, 64);
                ActivationCollector onFirst = new ActivationCollector(runtime, first, 512, 64);
                ModelGraph graph = ModelGraph.of(fixture.model());
                List<PrunableTensor> tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
                List<String> tnames = tensors.stream().map(PrunableTensor::name).toList();
                List<float[]> mags = new ArrayList<>();
                long n = 0;
                for (PrunableTensor tensor : tensors) {
                    mags.add(FloatTensor.of(tensor.constant().tensor()).magnitudes());
                    n += mags.get(mags.size() - 1).length;
                }
                for (double sparsity : new double[] {0.5, 0.7, 0.9}) {
                    long total = Sparsity.countToRemove(sparsity, n);
                    Ctx cAll = new Ctx(fixture.model(), graph, tensors, mags, onAll, runtime, sparsity);
                    Ctx cFirst = new Ctx(fixture.model(), graph, tensors, mags, onFirst, runtime, sparsity);
                    double[][] acc = new double[names.size()][4];
                    for (int r = 0; r < names.size(); r++) {
                        Rule rule = rules.get(names.get(r));
                        long[] ca = rule.counts(cAll, total);
                        long[] cf = rule.counts(cFirst, total);
                        ModelProto ma = apply(graph, tensors, mags, ca);
                        ModelProto mf = apply(graph, tensors, mags, cf);
                        acc[r][0] = Fixtures.accuracy(runtime, ma, all);
                        acc[r][1] = Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), ma,
                                tnames, onAll, WeightReconstruction.Options.defaults()).model(), all);
                        acc[r][2] = Fixtures.accuracy(runtime, mf, second);
                        acc[r][3] = Fixtures.accuracy(runtime, WeightReconstruction.reconstruct(fixture.model(), mf,
                                tnames, onFirst, WeightReconstruction.Options.defaults()).model(), second);
                        System.out.printf(Locale.ROOT, "%-18s %3.0f%% %-9s %6.1f %6.1f %6.1f %6.1f  %s | %s%n", name,
                                sparsity * 100, names.get(r), acc[r][0] * 100, acc[r][1] * 100, acc[r][2] * 100,
                                acc[r][3] * 100, fractions(ca, mags), fractions(cf, mags));
                    }
                    for (int r = 0; r < names.size(); r++) {
                        for (int k = 0; k < 4; k++) {
                            sums[r][k] += acc[r][k];
                            double best = Math.max(acc[0][k], acc[1][k]);
                            if (acc[r][k] < best - 1e-9) {
                                losses[r][k]++;
                                worst[r][k] = Math.max(worst[r][k], best - acc[r][k]);
                            }
                        }
                    }
                }
            }
            System.out.println("rule      sum(plainAll refitAll plainHo refitHo)  losses  worst");
            for (int r = 0; r < names.size(); r++) {
                System.out.printf(Locale.ROOT, "%-9s %6.1f %6.1f %6.1f %6.1f | %d %d %d %d | %5.1f %5.1f %5.1f %5.1f%n",
                        names.get(r), sums[r][0] * 100, sums[r][1] * 100, sums[r][2] * 100, sums[r][3] * 100,
                        losses[r][0], losses[r][1], losses[r][2], losses[r][3], worst[r][0] * 100, worst[r][1] * 100,
                        worst[r][2] * 100, worst[r][3] * 100);
            }
        }
    }

    static long[] geo(List<float[]> mags, long total, long[] other, double a) {
        long n = 0;
        for (float[] m : mags) {
            n += m.length;
        }
        double d = 1 - (double) total / n;
        double[] dens = new double[mags.size()];
        for (int t = 0; t < dens.length; t++) {
            double dt = Math.max(1e-6, 1 - (double) other[t] / mags.get(t).length);
            dens[t] = Math.pow(d, 1 - a) * Math.pow(dt, a);
        }
        double lo = 0;
        double hi = 1e6;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            double kept = 0;
            for (int t = 0; t < dens.length; t++) {
                kept += Math.min(1, dens[t] * mid) * mags.get(t).length;
            }
            if (kept > n - total) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        double[] target = new double[dens.length];
        for (int t = 0; t < dens.length; t++) {
            target[t] = mags.get(t).length * (1 - Math.min(1, dens[t] * lo));
        }
        return round(target, mags, total);
    }

    static long[] select(Ctx c, long total, int mode) {
        List<long[]> cands = new ArrayList<>();
        long[] lamp = GlobalAllocation.lampCounts(c.mags, total);
        for (double a : new double[] {0, 0.25, 0.5, 0.75, 1}) {
            cands.add(blend(c.mags, total, lamp, a));
        }
        if (mode == 3) {
            long[] act = GlobalAllocation.lampCounts(weighted(c), total);
            for (double a : new double[] {0.25, 0.5, 0.75, 1}) {
                cands.add(blend(c.mags, total, act, a));
            }
        }
        String out = c.model.getGraph().getOutput(0).getName();
        float[] dense = (float[]) c.calib.collect(c.model, List.of(out)).get(out).data();
        int classes = (int) c.calib.collect(c.model, List.of(out)).get(out).shape()[1];
        long[] best = null;
        double bestScore = Double.POSITIVE_INFINITY;
        for (long[] cand : cands) {
            ModelProto m = apply(c.graph, c.tensors, c.mags, cand);
            if (mode == 2) {
                m = WeightReconstruction.reconstruct(c.model, m, c.tensors.stream().map(PrunableTensor::name).toList(),
                        c.calib, WeightReconstruction.Options.defaults()).model();
            }
            float[] v = (float[]) c.calib.collect(m, List.of(out)).get(out).data();
            double e = 0;
            double ref = 0;
            for (int i = 0; i < v.length; i++) {
                e += (v[i] - dense[i]) * (double) (v[i] - dense[i]);
                ref += dense[i] * (double) dense[i];
            }
            double score = e / ref;
            if (mode == 1) {
                int agree = 0;
                for (int r = 0; r < v.length / classes; r++) {
                    agree += argmax(v, r, classes) == argmax(dense, r, classes) ? 1 : 0;
                }
                score = -agree + Math.min(0.999, score);
            }
            if (score < bestScore) {
                bestScore = score;
                best = cand;
            }
        }
        return best;
    }

    static int argmax(float[] v, int r, int k) {
        int b = 0;
        for (int i = 1; i < k; i++) {
            if (v[r * k + i] > v[r * k + b]) {
                b = i;
            }
        }
        return b;
    }

    static String fractions(long[] counts, List<float[]> mags) {
        StringBuilder b = new StringBuilder();
        for (int t = 0; t < counts.length; t++) {
            b.append(String.format(Locale.ROOT, "%.2f ", (double) counts[t] / mags.get(t).length));
        }
        return b.toString().trim();
    }

    static ModelProto apply(ModelGraph graph, List<PrunableTensor> tensors, List<float[]> mags, long[] counts) {
        Map<String, TensorProto> replacements = new LinkedHashMap<>();
        for (int t = 0; t < tensors.size(); t++) {
            replacements.put(tensors.get(t).name(), FloatTensor.of(tensors.get(t).constant().tensor())
                    .withZeros(SmallestMagnitudes.select(mags.get(t), (int) counts[t])));
        }
        return graph.withConstants(replacements);
    }

    static long[] uniform(List<float[]> mags, double s) {
        long[] c = new long[mags.size()];
        for (int t = 0; t < c.length; t++) {
            c[t] = Sparsity.countToRemove(s, mags.get(t).length);
        }
        return c;
    }

    static long[] oldCounts(List<float[]> mags, long total) {
        int size = 0;
        for (float[] m : mags) {
            size += m.length;
        }
        float[] pool = new float[size];
        int[] offsets = new int[mags.size() + 1];
        for (int t = 0; t < mags.size(); t++) {
            System.arraycopy(mags.get(t), 0, pool, offsets[t], mags.get(t).length);
            offsets[t + 1] = offsets[t] + mags.get(t).length;
        }
        long[] c = new long[mags.size()];
        for (int i : SmallestMagnitudes.select(pool, (int) total)) {
            int t = 0;
            while (i >= offsets[t + 1]) {
                t++;
            }
            c[t]++;
        }
        return c;
    }

    /** Linear blend of sparsities between uniform and {@code other}, rounded to the exact total. */
    static long[] blend(List<float[]> mags, long total, long[] other, double a) {
        long n = 0;
        for (float[] m : mags) {
            n += m.length;
        }
        double s = (double) total / n;
        double[] target = new double[mags.size()];
        for (int t = 0; t < target.length; t++) {
            target[t] = mags.get(t).length * ((1 - a) * s) + a * other[t];
        }
        return round(target, mags, total);
    }

    static long[] round(double[] target, List<float[]> mags, long total) {
        long[] c = new long[target.length];
        long sum = 0;
        for (int t = 0; t < c.length; t++) {
            c[t] = Math.min(mags.get(t).length, (long) Math.floor(target[t]));
            sum += c[t];
        }
        while (sum < total) {
            int best = -1;
            double bestRem = -1;
            for (int t = 0; t < c.length; t++) {
                if (c[t] < mags.get(t).length && target[t] - c[t] > bestRem) {
                    best = t;
                    bestRem = target[t] - c[t];
                }
            }
            c[best]++;
            sum++;
        }
        while (sum > total) {
            int best = -1;
            double bestRem = Double.POSITIVE_INFINITY;
            for (int t = 0; t < c.length; t++) {
                if (c[t] > 0 && target[t] - c[t] < bestRem) {
                    best = t;
                    bestRem = target[t] - c[t];
                }
            }
            c[best]--;
            sum--;
        }
        return c;
    }

    /** Magnitudes times the RMS of the input feature each weight multiplies. */
    static List<float[]> weighted(Ctx c) {
        List<float[]> out = new ArrayList<>();
        for (int t = 0; t < c.tensors.size(); t++) {
            double[] rms = InputRms.of(c.graph, c.tensors.get(t).name(), c.calib);
            float[] m = c.mags.get(t);
            float[] w = new float[m.length];
            int[] feature = InputRms.featureIndex(c.graph, c.tensors.get(t).name());
            for (int i = 0; i < m.length; i++) {
                w[i] = (float) (m[i] * rms[feature[i]]);
            }
            out.add(w);
        }
        return out;
    }

    /** Per input feature RMS of a weight's layer input on calibration data. */
    static final class InputRms {

        static NodeInput reader(ModelGraph graph, String weight) {
            return graph.consumers(weight).get(0);
        }

        static int[] featureIndex(ModelGraph graph, String weight) {
            NodeInput use = reader(graph, weight);
            NodeProto node = use.node();
            long[] dims = FloatTensor.of(graph.constant(weight).orElseThrow().tensor()).dims();
            int size = 1;
            for (long d : dims) {
                size *= (int) d;
            }
            int[] f = new int[size];
            switch (node.getOpType()) {
                case "Conv" -> {
                    int perGroupIn = (int) dims[1];
                    int spatial = size / (int) (dims[0] * dims[1]);
                    long groups = attr(node, "group", 1);
                    int outPerGroup = (int) (dims[0] / groups);
                    for (int i = 0; i < size; i++) {
                        int o = i / (perGroupIn * spatial);
                        int c = (i / spatial) % perGroupIn;
                        f[i] = (o / outPerGroup) * perGroupIn + c;
                    }
                }
                case "Gemm" -> {
                    boolean transB = attr(node, "transB", 0) == 1;
                    int rows = (int) dims[0];
                    int cols = (int) dims[1];
                    for (int i = 0; i < size; i++) {
                        f[i] = transB ? i % cols : i / cols;
                    }
                }
                default -> {
                    // MatMul, weight as input 1: [in, out]
                    int cols = (int) dims[dims.length - 1];
                    for (int i = 0; i < size; i++) {
                        f[i] = use.inputIndex() == 1 ? i / cols : i % cols;
                    }
                }
            }
            return f;
        }

        static long attr(NodeProto node, String name, long fallback) {
            for (var a : node.getAttributeList()) {
                if (a.getName().equals(name)) {
                    return a.getI();
                }
            }
            return fallback;
        }

        static double[] of(ModelGraph graph, String weight, ActivationCollector calib) {
            NodeInput use = reader(graph, weight);
            NodeProto node = use.node();
            String input = node.getInput(use.inputIndex() == 1 ? 0 : 1);
            Tensor x = calib.maskedRows(calib.collect(graph.model(), List.of(input)).get(input));
            float[] v = (float[]) x.data();
            long[] shape = x.shape();
            if (node.getOpType().equals("Conv")) {
                int channels = (int) shape[1];
                int spatial = 1;
                for (int d = 2; d < shape.length; d++) {
                    spatial *= (int) shape[d];
                }
                double[] sum = new double[channels];
                int n = (int) shape[0];
                for (int s = 0; s < n; s++) {
                    for (int ch = 0; ch < channels; ch++) {
                        for (int p = 0; p < spatial; p++) {
                            double a = v[(s * channels + ch) * spatial + p];
                            sum[ch] += a * a;
                        }
                    }
                }
                for (int ch = 0; ch < channels; ch++) {
                    sum[ch] = Math.sqrt(sum[ch] / ((double) n * spatial));
                }
                return sum;
            }
            int features = (int) shape[shape.length - 1];
            double[] sum = new double[features];
            int rows = v.length / features;
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < features; k++) {
                    double a = v[r * features + k];
                    sum[k] += a * a;
                }
            }
            for (int k = 0; k < features; k++) {
                sum[k] = Math.sqrt(sum[k] / rows);
            }
            return sum;
        }
    }
}

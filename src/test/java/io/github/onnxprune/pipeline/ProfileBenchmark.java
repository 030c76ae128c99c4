package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.search.CompressionSearch;
import io.github.onnxprune.search.SensitivityProfile;
import io.github.onnxprune.search.TensorGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The sensitivity profile with every point measured against the same profile started from the cheap signal
 * ({@link OutputErrors}): for every fixture (the digits-bert encoder included) and gates of at most 0.01, 0.02
 * and 0.05 accuracy drop, the evaluations each takes and whether every group's verdicts (pass or fail at each
 * level up to its first failure) agree. Prints one line per fixture and gate, each disagreeing group with its
 * output errors, and per gate the smallest output error of a group that failed alone and the largest of one that
 * passed. The cheap-signal profile is an experiment kept here ({@link #guided}); the plugin measures every point
 * and reports the output errors beside them (docs/search.md says why).
 *
 * <p>A command, not a test; see docs/search.md for how to run it.
 */
public final class ProfileBenchmark {

    private ProfileBenchmark() {
    }

    /** A level's verdict for one group: measured by a model run, or inferred from the output errors. */
    private record Point(boolean passes, boolean measured) {
    }

    /**
     * The profile started from the cheap signal: level by level, the groups ordered by output error are bisected
     * (the middle of those still open is measured); an open group whose error is at most that of a measured pass
     * and below every measured failure divided by {@code margin} is inferred to pass, one at least that of a
     * measured failure and above every measured pass times {@code margin} to fail. A curve stops at its first
     * failure, as the plugin's does.
     */
    static List<List<Point>> guided(List<TensorGroup> groups, double[][] errors, SensitivityProfile.Evaluator
            evaluator, double margin) {
        List<List<Point>> curves = new ArrayList<>();
        List<Integer> active = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            curves.add(new ArrayList<>());
            active.add(g);
        }
        double largestPass = Double.NEGATIVE_INFINITY;
        double smallestFailure = Double.POSITIVE_INFINITY;
        for (int level = 0; level < SensitivityProfile.LEVELS.size(); level++) {
            int at = level;
            List<Integer> open = new ArrayList<>(active.stream().filter(g -> !Double.isNaN(errors[g][at]))
                    .sorted(java.util.Comparator.comparingDouble(g -> errors[g][at])).toList());
            int signalled = open.size();
            active.stream().filter(g -> Double.isNaN(errors[g][at])).forEach(open::add);
            List<Integer> failed = new ArrayList<>();
            while (!open.isEmpty()) {
                for (int i = 0; i < signalled; i++) {
                    double e = errors[open.get(i)][at];
                    Boolean verdict = e <= largestPass && e * margin < smallestFailure ? Boolean.TRUE
                            : e >= smallestFailure && e > largestPass * margin ? Boolean.FALSE : null;
                    if (verdict != null) {
                        int g = open.remove(i--);
                        signalled--;
                        curves.get(g).add(new Point(verdict, false));
                        if (!verdict) {
                            failed.add(g);
                        }
                    }
                }
                if (open.isEmpty()) {
                    break;
                }
                int g = open.remove(signalled > 0 ? signalled / 2 : 0);
                signalled = Math.max(0, signalled - 1);
                boolean passes = evaluator.evaluate(groups.get(g), SensitivityProfile.LEVELS.get(level)).passes();
                curves.get(g).add(new Point(passes, true));
                if (!Double.isNaN(errors[g][at])) {
                    largestPass = passes ? Math.max(largestPass, errors[g][at]) : largestPass;
                    smallestFailure = passes ? smallestFailure : Math.min(smallestFailure, errors[g][at]);
                }
                if (!passes) {
                    failed.add(g);
                }
            }
            active.removeAll(failed);
        }
        return curves;
    }

    public static void main(String[] args) throws Exception {
        double margin = args.length > 0 ? Double.parseDouble(args[0]) : 1;
        List<String> names = new ArrayList<>(Fixtures.names());
        names.add("digits-bert");
        System.out.printf(Locale.ROOT, "%-18s %5s %6s %5s %6s %7s %8s %7s %7s%n", "model", "drop", "groups",
                "full", "guided", "saved", "inferred", "agree", "signal");
        int full = 0;
        int guided = 0;
        int disagreeing = 0;
        int groupsCount = 0;
        double[] largestPass = {0, 0, 0};
        double[] smallestFailure = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            for (String name : names) {
                boolean bert = name.equals("digits-bert");
                Path modelFile = bert ? Fixtures.fixture("digits-bert/model.onnx") : Fixtures.load(name).modelFile();
                ModelProto model = OnnxModelReader.read(modelFile);
                ValidationData data = bert ? ValidationDataReader.read(Fixtures.fixture("digits-bert/validation.npz"),
                        ModelSignature.of(model), "labels") : Fixtures.load(name).data();
                ScoredOutput output = bert ? ScoredOutput.named("logits") : ScoredOutput.first();
                ModelGraph graph = ModelGraph.of(model);
                List<PrunableTensor> tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
                List<TensorGroup> groups = ProfileGroups.of(graph, tensors);
                long began = System.nanoTime();
                double[][] signals = OutputErrors.of(graph, groups, runtime, data, 64, output.maskInput());
                double signalSeconds = (System.nanoTime() - began) / 1e9;
                long[] labels = data.effectiveLabels();
                float[][] baseline = runtime.run(ModelBytes.serialize(model), data, output, 64).rows();
                double original = Metric.ACCURACY.score(baseline, baseline, labels);
                for (double drop : new double[] {0.01, 0.02, 0.05}) {
                    SensitivityProfile.Evaluator evaluator = (group, level) -> {
                        ModelProto pruned = MagnitudePruner.prune(graph, tensors.stream()
                                .filter(t -> group.tensors().contains(t.name())).toList(),
                                new WeightPruningSettings(level, Scope.LAYERWISE, List.of())).model();
                        double metric = Metric.ACCURACY.score(baseline,
                                runtime.run(ModelBytes.serialize(pruned), data, output, 64).rows(), labels);
                        return new CompressionSearch.Measured<>(metric, original - metric <= drop + 1e-12, null);
                    };
                    List<SensitivityProfile.Curve> every = SensitivityProfile.measure(groups, evaluator,
                            line -> { });
                    List<List<Point>> cheap = guided(groups, signals, evaluator, margin);
                    // Whether any error threshold could separate passes from failures across groups.
                    int d = drop == 0.01 ? 0 : drop == 0.02 ? 1 : 2;
                    for (int g = 0; g < groups.size(); g++) {
                        for (SensitivityProfile.Point point : every.get(g).points()) {
                            double e = signals[g][SensitivityProfile.LEVELS.indexOf(point.sparsity())];
                            if (!Double.isNaN(e) && point.passes()) {
                                largestPass[d] = Math.max(largestPass[d], e);
                            } else if (!Double.isNaN(e)) {
                                smallestFailure[d] = Math.min(smallestFailure[d], e);
                            }
                        }
                    }
                    int agree = 0;
                    for (int g = 0; g < groups.size(); g++) {
                        List<Boolean> a = every.get(g).points().stream().map(SensitivityProfile.Point::passes)
                                .toList();
                        List<Boolean> b = cheap.get(g).stream().map(Point::passes).toList();
                        if (a.equals(b)) {
                            agree++;
                        } else {
                            List<String> errors = new ArrayList<>();
                            for (int l = 0; l < SensitivityProfile.LEVELS.size(); l++) {
                                errors.add(String.format(Locale.ROOT, "%.4f", signals[g][l]));
                            }
                            System.out.printf(Locale.ROOT, "  %s at drop %.2f: measured %s, guided %s, errors %s%n",
                                    groups.get(g).name(), drop, a, b, errors);
                        }
                    }
                    int e = every.stream().mapToInt(k -> k.points().size()).sum();
                    int c = (int) cheap.stream().flatMap(List::stream).filter(Point::measured).count();
                    int inferred = (int) cheap.stream().flatMap(List::stream).filter(k -> !k.measured()).count();
                    full += e;
                    guided += c;
                    disagreeing += groups.size() - agree;
                    groupsCount += groups.size();
                    System.out.printf(Locale.ROOT, "%-18s %5.2f %6d %5d %6d %7d %8d %4d/%-2d %6.2fs%n", name, drop,
                            groups.size(), e, c, e - c, inferred, agree, groups.size(), signalSeconds);
                }
            }
        }
        System.out.printf(Locale.ROOT, "all: %d evaluations measured in full, %d from the cheap signal (%.0f%%"
                + " saved); %d of %d curves disagree%n", full, guided, 100.0 * (full - guided) / full, disagreeing,
                groupsCount);
        for (int d = 0; d < 3; d++) {
            System.out.printf(Locale.ROOT, "drop %.2f: smallest output error of a group that fails alone %.4f,"
                    + " largest of one that passes %.4f%n", new double[] {0.01, 0.02, 0.05}[d], smallestFailure[d],
                    largestPass[d]);
        }
    }
}

package io.github.onnxprune.prune;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Unstructured pruning: zeroes the weights of smallest magnitude, exactly floor(s * n) of them, per tensor or
 * over all chosen tensors, shared out by evidence no tensor's scale can change ({@link GlobalAllocation});
 * embedding tables floor(s * columns) in each row.
 */
public final class MagnitudePruner {

    private MagnitudePruner() {
    }

    /** The pruned model and what happened to each tensor. */
    public record Result(ModelProto model, List<TensorChange> tensors) {

        public Result {
            tensors = List.copyOf(tensors);
        }
    }

    /**
     * Prunes {@code tensors} of the graph's model for use as they are; a model with nothing to zero is returned as
     * the same object.
     */
    public static Result prune(ModelGraph graph, List<PrunableTensor> tensors, WeightPruningSettings settings) {
        return prune(graph, tensors, settings, false);
    }

    /**
     * Prunes {@code tensors} of the graph's model; a model with nothing to zero is returned as the same object.
     *
     * @param refitFollows whether calibration re-fits the pruned layers afterwards, which moves the global
     *     scope's shares nearer uniform ({@link GlobalAllocation#SALIENCY_SHARE_BEFORE_REFIT})
     */
    public static Result prune(ModelGraph graph, List<PrunableTensor> tensors, WeightPruningSettings settings,
            boolean refitFollows) {
        List<FloatTensor> views = new ArrayList<>();
        List<Double> targets = new ArrayList<>();
        List<Integer> globalPool = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            PrunableTensor tensor = tensors.get(t);
            views.add(FloatTensor.of(tensor.constant().tensor()));
            targets.add(settings.target(tensor));
            if (settings.pooled(tensor)) {
                globalPool.add(t);
            }
        }
        Zeroed[] zeroed = new Zeroed[tensors.size()];
        // Each tensor's choice depends on its own values only, so the tensors share the cores with the same result
        // as one after the other; its magnitudes serve the choice and the zero counts, then go.
        IntStream.range(0, tensors.size()).parallel().filter(t -> !globalPool.contains(t)).forEach(t -> {
            FloatTensor view = views.get(t);
            float[] magnitudes = view.magnitudes();
            zeroed[t] = tensors.get(t).table() ? zeroRows(view, magnitudes, targets.get(t))
                    : zeroSmallest(view, magnitudes, toInt(Sparsity.countToRemove(targets.get(t), view.size())));
        });
        if (!globalPool.isEmpty()) {
            selectGlobally(views, globalPool, settings.sparsity(), settings.shares(), refitFollows
                    ? GlobalAllocation.SALIENCY_SHARE_BEFORE_REFIT : GlobalAllocation.SALIENCY_SHARE, zeroed);
        }

        Map<String, TensorProto> replacements = new LinkedHashMap<>();
        List<TensorChange> changes = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            PrunableTensor tensor = tensors.get(t);
            if (zeroed[t].replaces()) {
                replacements.put(tensor.name(), zeroed[t].proto());
            }
            changes.add(new TensorChange(tensor.name(), tensor.opTypes(), views.get(t).dims(), targets.get(t),
                    zeroed[t].count(), zeroed[t].zerosBefore(), zeroed[t].zerosAfter()));
        }
        return new Result(graph.withConstants(replacements), changes);
    }

    /**
     * A tensor with {@code count} elements zeroed, its zeros before and after, and whether it replaces the
     * original.
     */
    private record Zeroed(TensorProto proto, int count, int zerosBefore, int zerosAfter, boolean replaces) {

        Zeroed(FloatTensor before, TensorProto proto, int count, int zerosBefore, int zerosAfter) {
            // Only when every chosen element was a zero already can the copy equal the original (-0 becomes +0).
            this(proto, count, zerosBefore, zerosAfter, proto != before.proto()
                    && (zerosAfter != zerosBefore || !proto.equals(before.proto())));
        }
    }

    /**
     * The {@code k} smallest magnitudes zeroed in one pass over the tensor ({@link SmallestMagnitudes#cut}). Zero is
     * the smallest magnitude, so the k smallest take min(k, zeros) of the zeros and leave max(k, zeros) in all.
     */
    private static Zeroed zeroSmallest(FloatTensor before, float[] magnitudes, int k) {
        SmallestMagnitudes.Cut cut = SmallestMagnitudes.cut(magnitudes, k);
        TensorProto pruned = before.withZerosBelow(cut.threshold(), cut.ties());
        if (before.type() == TensorProto.DataType.DOUBLE) {
            return counted(before, pruned, k);
        }
        int zerosBefore = zeros(magnitudes);
        return new Zeroed(before, pruned, k, zerosBefore, Math.max(k, zerosBefore));
    }

    /** A table's rows zeroed as {@link #perRow} chooses: its zeros after are counted over the chosen. */
    private static Zeroed zeroRows(FloatTensor table, float[] magnitudes, double sparsity) {
        int[] chosen = perRow(table, magnitudes, sparsity);
        TensorProto pruned = table.withZeros(chosen);
        if (table.type() == TensorProto.DataType.DOUBLE) {
            return counted(table, pruned, chosen.length);
        }
        int zerosBefore = zeros(magnitudes);
        int zerosAfter = zerosBefore;
        for (int index : chosen) {
            if (magnitudes[index] != 0f) {
                zerosAfter++;
            }
        }
        return new Zeroed(table, pruned, chosen.length, zerosBefore, zerosAfter);
    }

    /**
     * The zeros counted on the values: a float64's magnitude rounded to float may be 0 where the value is not, so
     * the magnitudes cannot count its zeros.
     */
    private static Zeroed counted(FloatTensor before, TensorProto pruned, int count) {
        int zerosBefore = before.zeroCount();
        int zerosAfter = pruned == before.proto() ? zerosBefore : FloatTensor.of(pruned).zeroCount();
        return new Zeroed(before, pruned, count, zerosBefore, zerosAfter);
    }

    /** The magnitudes equal to 0: the elements equal to zero of a float32, float16 or bfloat16 tensor. */
    private static int zeros(float[] magnitudes) {
        int zeros = 0;
        for (float magnitude : magnitudes) {
            if (magnitude == 0f) {
                zeros++;
            }
        }
        return zeros;
    }

    /**
     * A table's floor(s * columns) smallest values in every row: each looked-up row keeps the same share of its
     * values, so no token's embedding is emptied while another keeps all of its own (a threshold over the whole
     * table would mostly empty the rows of small norm).
     */
    private static int[] perRow(FloatTensor table, float[] magnitudes, double sparsity) {
        long[] dims = table.dims();
        int rows = dims.length == 0 ? 1 : toInt(dims[0]);
        int columns = rows == 0 ? 0 : toInt(table.size() / rows);
        int perRow = toInt(Sparsity.countToRemove(sparsity, columns));
        int[] chosen = new int[toInt((long) rows * perRow)];
        float[] row = new float[columns];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(magnitudes, r * columns, row, 0, columns);
            int[] inRow = SmallestMagnitudes.select(row, perRow);
            for (int i = 0; i < perRow; i++) {
                chosen[r * perRow + i] = r * columns + inRow[i];
            }
        }
        return chosen;
    }

    private static void selectGlobally(List<FloatTensor> views, List<Integer> pool, double sparsity,
            GlobalShares shares, double share, Zeroed[] zeroed) {
        List<float[]> magnitudes = new ArrayList<>();
        long total = 0;
        for (int t : pool) {
            magnitudes.add(views.get(t).magnitudes());
            total += views.get(t).size();
        }
        long count = Sparsity.countToRemove(sparsity, total);
        long[] counts = shares == GlobalShares.THRESHOLD ? GlobalAllocation.thresholdCounts(magnitudes, count)
                : GlobalAllocation.counts(magnitudes, count, share);
        IntStream.range(0, pool.size()).parallel().forEach(p -> zeroed[pool.get(p)] = zeroSmallest(
                views.get(pool.get(p)), magnitudes.get(p), toInt(counts[p])));
    }

    private static int toInt(long count) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("more than 2^31 weights in one selection is not supported");
        }
        return (int) count;
    }
}

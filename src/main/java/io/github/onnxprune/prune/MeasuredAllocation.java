package io.github.onnxprune.prune;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Zeros per tensor from each layer's measured cost, under the exact total of a uniform fraction.
 *
 * <p>Each layer's loss (how much the metric falls when only that layer is pruned and re-fitted) is measured at
 * the target fraction {@code s0} and at a higher {@code s1}, and modelled as
 * {@code L_i(s) = L_i(s0) exp(a_i (s - s0))} with {@code a_i = ln(L_i(s1) / L_i(s0)) / (s1 - s0)} held within
 * [{@link #MIN_SLOPE}, {@link #MAX_SLOPE}] (two noisy points can give any slope; a loss that does not grow, or
 * one that explodes, is not extrapolated as such). The sum of the {@code L_i} is minimised subject to
 * {@code sum n_i s_i = sum floor(s0 n_i)} with every {@code s_i} in [s0 / 2, (1 + s0) / 2]: where the constraint
 * binds, the marginal loss per zero {@code a_i L_i(s_i) / n_i} is the same for every layer, a bisection on its
 * logarithm finds it, and the counts are rounded and the few left over given one each to the largest tensors,
 * so the total is exact and the same losses give the same counts. Losses are floored at {@link #MIN_LOSS}; when
 * every layer's losses are at that floor the measurement says nothing and every layer keeps {@code s0}.
 */
public final class MeasuredAllocation {

    /** Smallest loss the model takes: a metric that did not move at all still costs something. */
    public static final double MIN_LOSS = 1e-6;

    /** Smallest slope of a loss curve: a loss measured flat or falling still grows with sparsity. */
    public static final double MIN_SLOPE = 2;

    /** Largest slope: one noisy measurement must not make a layer untouchable. */
    public static final double MAX_SLOPE = 40;

    private MeasuredAllocation() {
    }

    /**
     * One layer's measurements.
     *
     * @param tensor the weight tensor's name
     * @param size its number of weights
     * @param lossLow the metric's fall with only this layer pruned to {@code s0} and re-fitted
     * @param lossHigh the same at {@code s1}
     */
    public record Layer(String tensor, long size, double lossLow, double lossHigh) {
    }

    /**
     * One layer's share.
     *
     * @param tensor the weight tensor's name
     * @param size its number of weights
     * @param zeros how many of them to zero
     * @param slope the fitted {@code a_i}
     */
    public record Share(String tensor, long size, long zeros, double slope) {

        /** The fraction of its weights zeroed. */
        public double sparsity() {
            return size == 0 ? 0 : (double) zeros / size;
        }

        /** A fraction whose {@link Sparsity#countToRemove} over {@code size} is exactly {@link #zeros}. */
        public double overrideFraction() {
            return (zeros + 0.5) / size;
        }
    }

    /**
     * The shares, and the sum of the modelled losses with them and with every layer at {@code s0}.
     *
     * @param shares per layer, in the order given
     * @param predictedLoss the modelled sum of losses at the shares
     * @param uniformLoss the measured sum of losses at {@code s0}
     * @param informative whether any loss was above {@link #MIN_LOSS} (else every share is {@code s0})
     */
    public record Result(List<Share> shares, double predictedLoss, double uniformLoss, boolean informative) {

        public Result {
            shares = List.copyOf(shares);
        }
    }

    /** The shares of {@code layers} measured at {@code s0} and {@code s1} (s1 above s0). */
    public static Result allocate(List<Layer> layers, double s0, double s1) {
        if (!(s1 > s0)) {
            throw new IllegalArgumentException("the second level " + s1 + " must be above the first " + s0);
        }
        int n = layers.size();
        double low = s0 / 2;
        double high = (1 + s0) / 2;
        double[] loss = new double[n];
        double[] slope = new double[n];
        long total = 0;
        double uniform = 0;
        boolean informative = false;
        for (int i = 0; i < n; i++) {
            Layer layer = layers.get(i);
            loss[i] = Math.max(layer.lossLow(), MIN_LOSS);
            double higher = Math.max(layer.lossHigh(), MIN_LOSS);
            informative |= layer.lossLow() > MIN_LOSS || layer.lossHigh() > MIN_LOSS;
            slope[i] = Math.min(MAX_SLOPE, Math.max(MIN_SLOPE, Math.log(higher / loss[i]) / (s1 - s0)));
            total += Sparsity.countToRemove(s0, layer.size());
            uniform += loss[i];
        }
        long[] zeros = new long[n];
        if (!informative) {
            for (int i = 0; i < n; i++) {
                zeros[i] = Sparsity.countToRemove(s0, layers.get(i).size());
            }
        } else {
            double lo = -60;
            double hi = 60;
            for (int step = 0; step < 200; step++) {
                double mid = (lo + hi) / 2;
                if (weightedSum(layers, fractions(layers, loss, slope, mid, s0, low, high)) > total) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            double[] chosen = fractions(layers, loss, slope, lo, s0, low, high);
            long placed = 0;
            for (int i = 0; i < n; i++) {
                long size = layers.get(i).size();
                zeros[i] = Math.min(size - 1, Math.max(0, Math.round(chosen[i] * size)));
                placed += zeros[i];
            }
            settle(layers, zeros, total - placed, low, high);
        }
        List<Share> shares = new ArrayList<>();
        double predicted = 0;
        for (int i = 0; i < n; i++) {
            Layer layer = layers.get(i);
            Share share = new Share(layer.tensor(), layer.size(), zeros[i], slope[i]);
            shares.add(share);
            predicted += loss[i] * Math.exp(slope[i] * (share.sparsity() - s0));
        }
        return new Result(shares, informative ? predicted : uniform, uniform, informative);
    }

    /** Each layer's fraction where its marginal loss per zero is {@code exp(logMu)}, within the bounds. */
    private static double[] fractions(List<Layer> layers, double[] loss, double[] slope, double logMu, double s0,
            double low, double high) {
        double[] result = new double[layers.size()];
        for (int i = 0; i < result.length; i++) {
            double size = Math.max(1, layers.get(i).size());
            double free = s0 + (logMu + Math.log(size / (loss[i] * slope[i]))) / slope[i];
            result[i] = Math.min(high, Math.max(low, free));
        }
        return result;
    }

    private static double weightedSum(List<Layer> layers, double[] fractions) {
        double sum = 0;
        for (int i = 0; i < fractions.length; i++) {
            sum += fractions[i] * layers.get(i).size();
        }
        return sum;
    }

    /** Gives the {@code left} zeros (either sign) one each to the largest tensors first, within the bounds. */
    private static void settle(List<Layer> layers, long[] zeros, long left, double low, double high) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingLong((Integer i) -> -layers.get(i).size()));
        while (left != 0) {
            long before = left;
            for (int i : order) {
                if (left == 0) {
                    break;
                }
                long size = layers.get(i).size();
                long step = left > 0 ? 1 : -1;
                long next = zeros[i] + step;
                if (next >= Math.floor(low * size) && next <= Math.min(size - 1, Math.ceil(high * size))) {
                    zeros[i] = next;
                    left -= step;
                }
            }
            if (left == before) {
                throw new IllegalStateException("cannot place " + left + " zeros within the bounds");
            }
        }
    }
}

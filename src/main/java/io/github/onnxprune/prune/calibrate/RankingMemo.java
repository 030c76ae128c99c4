package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.prune.nodes.ReaderRanking;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What the unit rankings measured on one model and its calibration data, kept between runs of node pruning on that
 * same model: a search's candidates change only how many units go, so the compensated ranking's greedy removal
 * orders (an order that went as far or further gives their costs without its covariance, inverse and greedy steps
 * again, {@link CompensatedRanking.Order#costs}) and fluctuation's feature variances are measured once. Safe to
 * share between threads.
 */
public final class RankingMemo {

    /** A reader, told apart by its input, its shape, its weight rows and the rows its covariance reads. */
    private record Key(String input, int features, int outputs, int granule, int weights, int maxRows) {
    }

    /** A reader's order and its output variance, or a reader that could not be measured ({@code order} null). */
    record Known(CompensatedRanking.Order order, double reference) {
    }

    private final Map<Key, Known> known = new ConcurrentHashMap<>();
    private final Map<String, Optional<double[]>> variances = new ConcurrentHashMap<>();

    /**
     * The feature variances of {@code value}, measured by {@code measure} the first time (null when it is not a
     * measurable tensor), kept for the next run. The caller must not change the array.
     */
    public double[] variance(String value, Function<String, double[]> measure) {
        Optional<double[]> kept = variances.get(value);
        if (kept == null) {
            kept = Optional.ofNullable(measure.apply(value));
            variances.put(value, kept);
        }
        return kept.orElse(null);
    }

    /** The order known for {@code reader} that covers its removals, or null. */
    Known find(ReaderRanking.Reader reader, int maxRows) {
        Known found = known.get(key(reader, maxRows));
        return found != null && (found.order() == null || found.order().covers(reader.removals())) ? found : null;
    }

    /** Keeps {@code found} for {@code reader}, replacing a shorter order. */
    void keep(ReaderRanking.Reader reader, int maxRows, Known found) {
        known.put(key(reader, maxRows), found);
    }

    private static Key key(ReaderRanking.Reader reader, int maxRows) {
        return new Key(reader.input(), reader.features(), reader.outputs(), reader.granule(),
                Arrays.hashCode(reader.rows()), maxRows);
    }
}

package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.prune.nodes.ReaderRanking;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The compensated ranking's greedy removal orders of one model's readers, kept between runs of node pruning on
 * that same model and calibration data: a search's candidates change only how many units go, and the order of
 * a greedy removal that went as far or further gives their costs without its covariance, inverse and greedy
 * steps again ({@link CompensatedRanking.Order#costs}). Safe to share between threads.
 */
public final class RemovalOrders {

    /** A reader, told apart by its input, its shape, its weight rows and the rows its covariance reads. */
    private record Key(String input, int features, int outputs, int granule, int weights, int maxRows) {
    }

    /** A reader's order and its output variance, or a reader that could not be measured ({@code order} null). */
    record Known(CompensatedRanking.Order order, double reference) {
    }

    private final Map<Key, Known> known = new ConcurrentHashMap<>();

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

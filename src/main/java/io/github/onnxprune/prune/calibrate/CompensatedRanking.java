package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.prune.nodes.ReaderRanking;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Ranks the units a layer reads by the output error their removal leaves once the layer reading them is re-fitted
 * (Optimal Brain Surgeon on whole rows, gradient-free; {@code <importance>compensated</importance>}): with {@code C}
 * the covariance of the reader's input over the calibration tokens and {@code H = C^-1}, removing the features
 * {@code c} of one unit (a head's columns) and re-fitting the rest by least squares adds
 * {@code tr(W_c^T (H_cc)^-1 W_c)} to the squared output error per token, where {@code W_c} are the weight rows
 * reading them. Units go greedily, cheapest first; after each the remaining rows and {@code H} are updated as the
 * re-fit would change them, so a unit whose information the others carry (a duplicate, a linear mix of kept ones)
 * costs nothing, which variance times weight norm (FLAP's fluctuation) cannot see. The mean is not part of it:
 * compensation moves it into the bias.
 *
 * <p>On MiniLM within the measured per-block allocation it keeps 0.0015 (25% fewer multiply-adds) and 0.0085
 * (40%) more pooled cosine than fluctuation (docs/transformers.md), for a ranking that costs more: the covariance
 * of each reader's input ({@code rows x features^2}) and the greedy removal.
 */
public final class CompensatedRanking implements ReaderRanking {

    /** The ridge added to the covariance's diagonal, relative to its mean, before it is inverted. */
    static final double RIDGE = 1e-2;

    /**
     * The most calibration rows a reader's covariance is taken from, evenly spread, however many the fits read
     * ({@code calibrationRows}): on MiniLM's 2800 sentences 4096 of the 16,384 rows keep pooled cosine 0.9517
     * against 0.9521 (8192: 0.9519), and on 256 sentences 0.9397 against 0.9391 on all 5315, for a quarter of the
     * covariance's multiply-adds and of its copy of the rows (docs/transformers.md).
     */
    static final int MAX_ROWS = 4096;

    private final Function<String, double[]> covariance;
    private final int maxRows;
    private final RankingMemo orders;
    private final Consumer<String> progress;
    private long started;
    private int reused;

    /**
     * Ranks from the covariances of {@code values}' staged values, each from at most {@code maxRows} (and at most
     * {@link #MAX_ROWS}) of its calibration rows, evenly spread, reusing and keeping the removal orders in
     * {@code orders} (which must belong to the model and calibration data of {@code values}); a line per group
     * ranked to {@code progress}.
     */
    public CompensatedRanking(FeatureVariances values, int maxRows, RankingMemo orders,
            Consumer<String> progress) {
        this(value -> values.covariance(value, Math.min(maxRows, MAX_ROWS)), Math.min(maxRows, MAX_ROWS), orders,
                progress);
    }

    /** Ranks from the covariance {@code covariance} gives of a value's features, null when it has none. */
    public CompensatedRanking(Function<String, double[]> covariance, Consumer<String> progress) {
        this(covariance, 0, new RankingMemo(), progress);
    }

    private CompensatedRanking(Function<String, double[]> covariance, int maxRows, RankingMemo orders,
            Consumer<String> progress) {
        this.covariance = covariance;
        this.maxRows = maxRows;
        this.orders = orders;
        this.progress = progress;
    }

    @Override
    public Scores of(Reader reader) {
        if (reader.index() == 0) {
            started = System.nanoTime();
            reused = 0;
        }
        int done = reader.index() + 1;
        RankingMemo.Known known = orders.find(reader, maxRows);
        Scores scores;
        if (known != null) {
            reused++;
            scores = known.order() == null ? null
                    : new Scores(known.order().costs(reader.removals()), known.reference());
        } else {
            scores = rank(reader, done);
        }
        if (done == reader.count() && reused > 0) {
            reportReused(reader.count());
        }
        return scores;
    }

    /** Ranks {@code reader}, the {@code done}-th group, from its covariance, keeps its order and logs a line. */
    private Scores rank(Reader reader, int done) {
        int features = reader.features();
        double[] c = covariance.apply(reader.input());
        Scores scores = null;
        if (c != null && c.length == features * features) {
            Order order = order(c, features, reader.rows(), reader.outputs(), reader.granule(), reader.removals(),
                    RIDGE);
            double reference = outputVariance(c, features, reader.rows(), reader.outputs());
            orders.keep(reader, maxRows, new RankingMemo.Known(order, reference));
            scores = new Scores(order.costs(reader.removals()), reference);
        } else {
            orders.keep(reader, maxRows, new RankingMemo.Known(null, 0));
        }
        // Groups alternate between a block's heads and its wider feed-forward units: an even estimate per group.
        double elapsed = (System.nanoTime() - started) / 1e9;
        progress.accept(String.format(Locale.ROOT, "ranking by compensated cost: group %d of %d, %s (%d features,"
                + " %d of %d %s removed at most)%s; %.1f s elapsed, about %.0f s left", done, reader.count(),
                reader.input(), features, reader.removals(), features / reader.granule(), reader.granule() > 1
                        ? "heads" : "units", scores == null ? ", not measurable: fluctuation instead" : "", elapsed,
                elapsed / done * (reader.count() - done)));
        return scores;
    }

    /** One line for the groups whose order was kept: a search's later candidates rank nothing again. */
    private void reportReused(int count) {
        progress.accept(String.format(Locale.ROOT, "ranking by compensated cost: the removal orders of %d of %d"
                + " groups kept from an earlier run on this model (only the number of units removed changed)",
                reused, count));
    }

    /**
     * The covariance of the columns of a {@code rows x features} row-major matrix, {@code features x features}
     * row-major: the columns are centred on their means, then multiplied on both cores ({@link RowProducts#gram}).
     */
    public static double[] covariance(float[] x, int rows, int features) {
        double[] mean = new double[features];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < features; f++) {
                mean[f] += x[r * features + f];
            }
        }
        for (int f = 0; f < features; f++) {
            mean[f] /= Math.max(1, rows);
        }
        float[] centred = new float[rows * features];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < features; f++) {
                centred[r * features + f] = (float) (x[r * features + f] - mean[f]);
            }
        }
        double[] c = RowProducts.gram(new Features(centred, rows, features));
        for (int i = 0; i < c.length; i++) {
            c[i] /= Math.max(1, rows);
        }
        return c;
    }

    /**
     * The cost of each feature: the cumulative output error at the step its unit is removed, shared evenly by
     * the unit's {@code granule} features, so that ranking by it (or by a unit's sum) follows the greedy order.
     * The greedy removal stops after {@code removals} units (at most all but one); the units it leaves cost more
     * than any it removed.
     *
     * @param covariance {@code features x features} covariance of the reader's input
     * @param weight {@code features x outputs} rows of the reader's weight, row-major
     * @param granule features per unit (a head's size, else 1)
     * @param removals units removed at most
     * @param ridge added to the diagonal, relative to its mean, so a constant or duplicated feature stays solvable
     */
    public static double[] costs(double[] covariance, int features, double[] weight, int outputs, int granule,
            int removals, double ridge) {
        return order(covariance, features, weight, outputs, granule, removals, ridge).costs(removals);
    }

    /**
     * The greedy removal of {@link #costs}, as the order it removes units in. Each step runs on both cores: the
     * units' errors by strips of units, the update by strips of rows; every element is computed by the same
     * operations in the same order whatever thread takes its strip, and the cheapest unit is then found in unit
     * order, so the order is the same bit for bit on one thread as on many.
     *
     * <p>A removed unit's rows and columns of {@code H} and rows of {@code W} are never read again, so every
     * sixteenth of the units still there, the matrices are packed without them, in place: later updates skip
     * them, and the entries that remain, and with them the order, are the same bits.
     */
    static Order order(double[] covariance, int features, double[] weight, int outputs, int granule,
            int removals, double ridge) {
        double[] h = inverse(covariance, features, ridge);
        double[] w = weight.clone();
        int units = features / granule;
        // live[p]: the unit at position p of the compacted matrices, in unit order
        int[] live = new int[units];
        for (int u = 0; u < units; u++) {
            live[u] = u;
        }
        int count = units;
        boolean[] removed = new boolean[units];
        int stale = 0;
        double[] errors = new double[units];
        double[][] blockInverses = new double[units][];
        int steps = Math.min(removals, units - 1);
        int[] order = new int[Math.max(0, steps)];
        double[] cumulative = new double[order.length];
        double sum = 0;
        for (int step = 0; step < steps; step++) {
            int n = count * granule;
            SparseSweep.inChunks(count, (from, to) -> {
                for (int p = from; p < to; p++) {
                    if (!removed[p]) {
                        blockInverses[p] = blockInverse(h, n, p * granule, granule);
                        errors[p] = blockInverses[p] == null ? Double.POSITIVE_INFINITY
                                : blockError(w, outputs, p * granule, granule, blockInverses[p]);
                    }
                }
            });
            int best = -1;
            for (int p = 0; p < count; p++) {
                if (!removed[p] && (best < 0 || errors[p] < errors[best])) {
                    best = p;
                }
            }
            removed[best] = true;
            stale++;
            sum += Math.max(0, errors[best]);
            order[step] = live[best];
            cumulative[step] = sum;
            if (blockInverses[best] != null) {
                update(h, w, n, outputs, best * granule, granule, blockInverses[best]);
            }
            if (stale * 16 >= count && step + 1 < steps) {
                int kept = 0;
                int[] positions = new int[count - stale];
                for (int p = 0; p < count; p++) {
                    if (!removed[p]) {
                        positions[kept] = p;
                        live[kept++] = live[p];
                    }
                }
                compact(h, n, positions, granule, true);
                compact(w, outputs, positions, granule, false);
                count = kept;
                stale = 0;
                java.util.Arrays.fill(removed, false);
            }
        }
        return new Order(order, cumulative, units, granule);
    }

    /**
     * Moves the rows of the units at {@code positions} (ascending, of {@code granule} rows each) of a row-major
     * matrix with {@code width} columns to its start, packed; when {@code square}, their columns too, so the
     * result has as many columns as rows, else {@code width}. In place, with no new matrix per compaction: every
     * piece moves to an index no higher than its own, and after every piece still to be moved.
     */
    private static void compact(double[] matrix, int width, int[] positions, int granule, boolean square) {
        int rows = positions.length * granule;
        int columns = square ? rows : width;
        for (int a = 0; a < rows; a++) {
            int from = (positions[a / granule] * granule + a % granule) * width;
            if (!square) {
                System.arraycopy(matrix, from, matrix, a * columns, width);
                continue;
            }
            for (int b = 0; b < positions.length; b++) {
                System.arraycopy(matrix, from + positions[b] * granule, matrix, a * columns + b * granule, granule);
            }
        }
    }

    /**
     * The units a greedy removal took, in its order, and the cumulative output error after each: enough to give
     * the costs of any number of removals up to its own, as a removal stopped there would have given them.
     *
     * @param units the unit removed at each step
     * @param cumulative the cumulative error after each step
     * @param count the reader's units
     * @param granule features per unit
     */
    record Order(int[] units, double[] cumulative, int count, int granule) {

        /** Whether it gives the costs of {@code removals} removals: it went as far, or to all units but one. */
        boolean covers(int removals) {
            return Math.min(removals, count - 1) <= units.length;
        }

        /** The cost of each feature after {@code removals} removals ({@link #costs}). */
        double[] costs(int removals) {
            int steps = Math.min(removals, count - 1);
            double[] cost = new double[count * granule];
            boolean[] removed = new boolean[count];
            double total = 0;
            for (int step = 0; step < steps; step++) {
                int unit = units[step];
                removed[unit] = true;
                total = cumulative[step];
                for (int g = 0; g < granule; g++) {
                    cost[unit * granule + g] = total / granule;
                }
            }
            for (int u = 0; u < count; u++) {
                if (!removed[u]) {
                    for (int g = 0; g < granule; g++) {
                        cost[u * granule + g] = 2 * total / granule + 1;
                    }
                }
            }
            return cost;
        }
    }

    /**
     * The reader's output variance per token, {@code tr(W^T C W)}: what a cost is relative to. The rows of
     * {@code C W} are computed by strips on both cores, then summed in row order, so the total is the same bit
     * for bit on one thread as on many.
     */
    public static double outputVariance(double[] covariance, int features, double[] weight, int outputs) {
        double[] terms = new double[features * outputs];
        SparseSweep.inChunks(features, (from, to) -> {
            double[] cw = new double[outputs];
            for (int i = from; i < to; i++) {
                java.util.Arrays.fill(cw, 0);
                for (int j = 0; j < features; j++) {
                    double c = covariance[i * features + j];
                    if (c != 0) {
                        int row = j * outputs;
                        for (int o = 0; o < outputs; o++) {
                            cw[o] += c * weight[row + o];
                        }
                    }
                }
                int row = i * outputs;
                for (int o = 0; o < outputs; o++) {
                    terms[row + o] = weight[row + o] * cw[o];
                }
            }
        });
        double total = 0;
        for (double term : terms) {
            total += term;
        }
        return total;
    }

    /**
     * The inverse of a symmetric positive definite matrix with a ridge of {@code ridge} times its mean diagonal
     * added first: Cholesky, then the identity solved on both cores ({@link RidgeLeastSquares#inverse}).
     *
     * @throws IllegalStateException when it is singular even with the ridge
     */
    public static double[] inverse(double[] matrix, int n, double ridge) {
        return RidgeLeastSquares.inverse(matrix, n, ridge);
    }

    /** {@code tr(W_c^T B W_c)} with {@code B = (H_cc)^-1}. */
    private static double blockError(double[] w, int outputs, int start, int size, double[] blockInverse) {
        double error = 0;
        for (int o = 0; o < outputs; o++) {
            for (int a = 0; a < size; a++) {
                double wa = w[(start + a) * outputs + o];
                double sum = 0;
                for (int b = 0; b < size; b++) {
                    sum += blockInverse[a * size + b] * w[(start + b) * outputs + o];
                }
                error += wa * sum;
            }
        }
        return error;
    }

    /**
     * Removes features {@code start .. start+size-1}: {@code W -= H[:, c] B W_c} (the re-fit of the remaining
     * rows) and {@code H -= H[:, c] B H[c, :]}, the inverse covariance of the features that remain. Rows are
     * independent once the removed rows are copied (row i's {@code H[i, c] B} reads only row i): strips of them
     * run on both cores.
     */
    private static void update(double[] h, double[] w, int n, int outputs, int start, int size,
            double[] blockInverse) {
        double[] wc = new double[size * outputs];
        System.arraycopy(w, start * outputs, wc, 0, size * outputs);
        double[] hc = new double[size * n];
        for (int b = 0; b < size; b++) {
            System.arraycopy(h, (start + b) * n, hc, b * n, n);
        }
        SparseSweep.inChunks(n, (from, to) -> {
            // k = H[i, c] B for the strip's row i
            double[] k = new double[size];
            for (int i = from; i < to; i++) {
                for (int b = 0; b < size; b++) {
                    double sum = 0;
                    for (int a = 0; a < size; a++) {
                        sum += h[i * n + start + a] * blockInverse[a * size + b];
                    }
                    k[b] = sum;
                }
                for (int b = 0; b < size; b++) {
                    double kb = k[b];
                    if (kb == 0) {
                        continue;
                    }
                    int wRow = i * outputs;
                    int wcRow = b * outputs;
                    for (int o = 0; o < outputs; o++) {
                        w[wRow + o] -= kb * wc[wcRow + o];
                    }
                    int hRow = i * n;
                    int hcRow = b * n;
                    for (int j = 0; j < n; j++) {
                        h[hRow + j] -= kb * hc[hcRow + j];
                    }
                }
            }
        });
    }

    /**
     * {@code (H_cc)^-1} for the unit's block of the inverse covariance; null when it is not positive definite
     * (rounding left a unit the removed ones already determine): such a unit is never the cheapest.
     */
    private static double[] blockInverse(double[] h, int n, int start, int size) {
        if (size == 1) {
            double pivot = h[start * n + start];
            return pivot > 0 ? new double[] {1 / pivot} : null;
        }
        double[] block = new double[size * size];
        for (int a = 0; a < size; a++) {
            for (int b = 0; b < size; b++) {
                block[a * size + b] = h[(start + a) * n + start + b];
            }
        }
        try {
            return inverse(block, size, 0);
        } catch (IllegalStateException e) {
            return null;
        }
    }
}

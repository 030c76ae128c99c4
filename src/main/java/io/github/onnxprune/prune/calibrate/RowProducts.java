package io.github.onnxprune.prune.calibrate;

/**
 * The products of calibration rows that reconstruction needs ({@code X^T X}, {@code X M}, {@code X^T T}), on both
 * cores by strips of the result.
 *
 * <p>They take the rows four at a time, so each pass over a strip of the result (or of {@code M}) serves four
 * rows instead of one: row by row, these loops were 86% of reconstruction's Java time on MiniLM, bound by
 * memory traffic rather than arithmetic. Every element still receives its terms one by one in row order (a
 * zero term changes no sum that starts at +0), so the results are bit-identical to the row-by-row loops.
 */
final class RowProducts {

    private RowProducts() {
    }

    /**
     * {@code X^T X} of the current input, upper triangle by strips of rows on both cores, then mirrored.
     */
    static double[] gram(Features xc) {
        int width = xc.cols();
        int rows = xc.rows();
        double[] gram = new double[width * width];
        float[] c = xc.data();
        SparseSweep.inChunks(width, (from, to) -> {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int b0 = r * width;
                int b1 = b0 + width;
                int b2 = b1 + width;
                int b3 = b2 + width;
                for (int i = from; i < to; i++) {
                    double x0 = c[b0 + i];
                    double x1 = c[b1 + i];
                    double x2 = c[b2 + i];
                    double x3 = c[b3 + i];
                    if (x0 == 0 && x1 == 0 && x2 == 0 && x3 == 0) {
                        continue;
                    }
                    int g = i * width;
                    for (int j = i; j < width; j++) {
                        double sum = gram[g + j];
                        sum += x0 * c[b0 + j];
                        sum += x1 * c[b1 + j];
                        sum += x2 * c[b2 + j];
                        sum += x3 * c[b3 + j];
                        gram[g + j] = sum;
                    }
                }
            }
            for (; r < rows; r++) {
                int base = r * width;
                for (int i = from; i < to; i++) {
                    double xi = c[base + i];
                    if (xi == 0) {
                        continue;
                    }
                    for (int j = i; j < width; j++) {
                        gram[i * width + j] += xi * c[base + j];
                    }
                }
            }
        });
        for (int i = 0; i < width; i++) {
            for (int j = 0; j < i; j++) {
                gram[i * width + j] = gram[j * width + i];
            }
        }
        return gram;
    }

    /** {@code X M}: {@code rows x outputs}, for canonical {@code M} ({@code cols x outputs}). */
    static double[] product(Features x, double[] m, int outputs) {
        int width = x.cols();
        int rows = x.rows();
        float[] data = x.data();
        double[] result = new double[rows * outputs];
        // Strips of outputs keep their slice of m in cache while the rows stream past.
        SparseSweep.inChunks(outputs, (from, to) -> {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int o0 = r * outputs;
                int o1 = o0 + outputs;
                int o2 = o1 + outputs;
                int o3 = o2 + outputs;
                for (int f = 0; f < width; f++) {
                    double v0 = data[r * width + f];
                    double v1 = data[(r + 1) * width + f];
                    double v2 = data[(r + 2) * width + f];
                    double v3 = data[(r + 3) * width + f];
                    if (v0 == 0 && v1 == 0 && v2 == 0 && v3 == 0) {
                        continue;
                    }
                    int in = f * outputs;
                    for (int o = from; o < to; o++) {
                        double weight = m[in + o];
                        result[o0 + o] += v0 * weight;
                        result[o1 + o] += v1 * weight;
                        result[o2 + o] += v2 * weight;
                        result[o3 + o] += v3 * weight;
                    }
                }
            }
            for (; r < rows; r++) {
                int out = r * outputs;
                for (int f = 0; f < width; f++) {
                    double value = data[r * width + f];
                    if (value != 0) {
                        int in = f * outputs;
                        for (int o = from; o < to; o++) {
                            result[out + o] += value * m[in + o];
                        }
                    }
                }
            }
        });
        return result;
    }

    /**
     * {@code X^T T}, {@code width x outputs}: with {@code T = X_dense M_dense} the right-hand side of every
     * output at once, in {@code rows x width x outputs} operations (no {@code width x width} cross product).
     */
    static double[] transposedProduct(Features x, double[] t, int outputs) {
        int width = x.cols();
        int rows = x.rows();
        float[] data = x.data();
        double[] result = new double[width * outputs];
        SparseSweep.inChunks(outputs, (from, to) -> {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int t0 = r * outputs;
                int t1 = t0 + outputs;
                int t2 = t1 + outputs;
                int t3 = t2 + outputs;
                for (int f = 0; f < width; f++) {
                    double v0 = data[r * width + f];
                    double v1 = data[(r + 1) * width + f];
                    double v2 = data[(r + 2) * width + f];
                    double v3 = data[(r + 3) * width + f];
                    if (v0 == 0 && v1 == 0 && v2 == 0 && v3 == 0) {
                        continue;
                    }
                    int out = f * outputs;
                    for (int o = from; o < to; o++) {
                        double sum = result[out + o];
                        sum += v0 * t[t0 + o];
                        sum += v1 * t[t1 + o];
                        sum += v2 * t[t2 + o];
                        sum += v3 * t[t3 + o];
                        result[out + o] = sum;
                    }
                }
            }
            for (; r < rows; r++) {
                int in = r * outputs;
                for (int f = 0; f < width; f++) {
                    double value = data[r * width + f];
                    if (value != 0) {
                        int out = f * outputs;
                        for (int o = from; o < to; o++) {
                            result[out + o] += value * t[in + o];
                        }
                    }
                }
            }
        });
        return result;
    }

    /**
     * {@code G M}: {@code n x outputs}, for a square {@code n x n} G and canonical M. Each result row is a sum of
     * M's rows scaled by G's row, added whole (long contiguous loops the JIT vectorizes); rows are independent and
     * shared by both cores, each summed in a fixed order.
     */
    static double[] gramProduct(double[] g, int n, double[] m, int outputs) {
        double[] result = new double[n * outputs];
        java.util.stream.IntStream.range(0, n).parallel().forEach(i -> {
            int out = i * outputs;
            int row = i * n;
            for (int k = 0; k < n; k++) {
                double factor = g[row + k];
                if (factor == 0) {
                    continue;
                }
                int in = k * outputs;
                for (int o = 0; o < outputs; o++) {
                    result[out + o] += factor * m[in + o];
                }
            }
        });
        return result;
    }

    /** {@code A^T B}, {@code a.cols() x b.cols()}, for rows that line up, by strips of A's columns on both cores. */
    static double[] cross(Features a, Features b) {
        int width = a.cols();
        int other = b.cols();
        int rows = a.rows();
        double[] result = new double[width * other];
        float[] x = a.data();
        float[] y = b.data();
        SparseSweep.inChunks(width, (from, to) -> {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int a0 = r * width;
                int y0 = r * other;
                int y1 = y0 + other;
                int y2 = y1 + other;
                int y3 = y2 + other;
                for (int i = from; i < to; i++) {
                    double x0 = x[a0 + i];
                    double x1 = x[a0 + width + i];
                    double x2 = x[a0 + 2 * width + i];
                    double x3 = x[a0 + 3 * width + i];
                    if (x0 == 0 && x1 == 0 && x2 == 0 && x3 == 0) {
                        continue;
                    }
                    int out = i * other;
                    for (int j = 0; j < other; j++) {
                        double sum = result[out + j];
                        sum += x0 * y[y0 + j];
                        sum += x1 * y[y1 + j];
                        sum += x2 * y[y2 + j];
                        sum += x3 * y[y3 + j];
                        result[out + j] = sum;
                    }
                }
            }
            for (; r < rows; r++) {
                for (int i = from; i < to; i++) {
                    double xi = x[r * width + i];
                    if (xi == 0) {
                        continue;
                    }
                    int out = i * other;
                    for (int j = 0; j < other; j++) {
                        result[out + j] += xi * y[r * other + j];
                    }
                }
            }
        });
        return result;
    }
}

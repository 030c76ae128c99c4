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
     * {@code X^T X} of the current input, upper triangle by strips of rows on both cores, then mirrored. Each
     * strip widens four input rows to double once (from its first column on), then adds them to four result rows
     * at a time, so every element read serves 16 multiply-adds on doubles instead of 4 on floats widened in the
     * loop: 1.5x less CPU time on 8192 x 1536 rows. Each element still adds its terms row by row, so the result
     * is the same, bit for bit.
     */
    static double[] gram(Features xc) {
        int width = xc.cols();
        int rows = xc.rows();
        double[] gram = new double[width * width];
        float[] c = xc.data();
        SparseSweep.inChunks(width, (from, to) -> {
            double[] y = new double[4 * width];
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int b0 = r * width;
                for (int k = 0; k < 4; k++) {
                    for (int j = from; j < width; j++) {
                        y[k * width + j] = c[b0 + k * width + j];
                    }
                }
                int i = from;
                for (; i + 4 <= to; i += 4) {
                    quad(gram, y, width, i);
                }
                for (; i < to; i++) {
                    double x0 = y[i];
                    double x1 = y[width + i];
                    double x2 = y[2 * width + i];
                    double x3 = y[3 * width + i];
                    int g = i * width;
                    for (int j = i; j < width; j++) {
                        double sum = gram[g + j];
                        sum += x0 * y[j];
                        sum += x1 * y[width + j];
                        sum += x2 * y[2 * width + j];
                        sum += x3 * y[3 * width + j];
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

    /**
     * Adds the four rows in {@code y} (widened, {@code width} apart) to result rows {@code i..i+3} of the upper
     * triangle, from column {@code i} (the few columns below the diagonal this touches are overwritten by the
     * mirror). A zero term adds nothing to a sum, so no row is skipped for its zeros.
     */
    private static void quad(double[] gram, double[] y, int width, int i) {
        int w1 = width;
        int w2 = 2 * width;
        int w3 = 3 * width;
        double a00 = y[i];
        double a01 = y[i + 1];
        double a02 = y[i + 2];
        double a03 = y[i + 3];
        double a10 = y[w1 + i];
        double a11 = y[w1 + i + 1];
        double a12 = y[w1 + i + 2];
        double a13 = y[w1 + i + 3];
        double a20 = y[w2 + i];
        double a21 = y[w2 + i + 1];
        double a22 = y[w2 + i + 2];
        double a23 = y[w2 + i + 3];
        double a30 = y[w3 + i];
        double a31 = y[w3 + i + 1];
        double a32 = y[w3 + i + 2];
        double a33 = y[w3 + i + 3];
        int g0 = i * width;
        int g1 = g0 + width;
        int g2 = g1 + width;
        int g3 = g2 + width;
        for (int j = i; j < width; j++) {
            double y0 = y[j];
            double y1 = y[w1 + j];
            double y2 = y[w2 + j];
            double y3 = y[w3 + j];
            double s0 = gram[g0 + j];
            s0 += a00 * y0;
            s0 += a10 * y1;
            s0 += a20 * y2;
            s0 += a30 * y3;
            gram[g0 + j] = s0;
            double s1 = gram[g1 + j];
            s1 += a01 * y0;
            s1 += a11 * y1;
            s1 += a21 * y2;
            s1 += a31 * y3;
            gram[g1 + j] = s1;
            double s2 = gram[g2 + j];
            s2 += a02 * y0;
            s2 += a12 * y1;
            s2 += a22 * y2;
            s2 += a32 * y3;
            gram[g2 + j] = s2;
            double s3 = gram[g3 + j];
            s3 += a03 * y0;
            s3 += a13 * y1;
            s3 += a23 * y2;
            s3 += a33 * y3;
            gram[g3 + j] = s3;
        }
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
                int f = 0;
                for (; f + 4 <= width; f += 4) {
                    productQuad(data, r * width + f, width, m, f * outputs, outputs, result, o0, from, to);
                }
                for (; f < width; f++) {
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
     * Adds four features' terms (M's rows {@code in..in+3}) to four result rows ({@code out}, {@code outputs}
     * apart) of the strip {@code from..to}, from the four input rows at {@code at} ({@code width} apart): each M
     * element read serves four rows, each result element read and written serves four features (a feature at a
     * time, four rows took twice the time per multiply-add of {@link #transposedProduct}). Each element still
     * adds its terms in feature order, so the sums are those of the feature-by-feature loop, bit for bit.
     */
    private static void productQuad(float[] data, int at, int width, double[] m, int in, int outputs,
            double[] result, int out, int from, int to) {
        double a00 = data[at];
        double a01 = data[at + 1];
        double a02 = data[at + 2];
        double a03 = data[at + 3];
        double a10 = data[at + width];
        double a11 = data[at + width + 1];
        double a12 = data[at + width + 2];
        double a13 = data[at + width + 3];
        double a20 = data[at + 2 * width];
        double a21 = data[at + 2 * width + 1];
        double a22 = data[at + 2 * width + 2];
        double a23 = data[at + 2 * width + 3];
        double a30 = data[at + 3 * width];
        double a31 = data[at + 3 * width + 1];
        double a32 = data[at + 3 * width + 2];
        double a33 = data[at + 3 * width + 3];
        int m0 = in;
        int m1 = m0 + outputs;
        int m2 = m1 + outputs;
        int m3 = m2 + outputs;
        int r0 = out;
        int r1 = r0 + outputs;
        int r2 = r1 + outputs;
        int r3 = r2 + outputs;
        for (int o = from; o < to; o++) {
            double w0 = m[m0 + o];
            double w1 = m[m1 + o];
            double w2 = m[m2 + o];
            double w3 = m[m3 + o];
            double s0 = result[r0 + o];
            s0 += a00 * w0;
            s0 += a01 * w1;
            s0 += a02 * w2;
            s0 += a03 * w3;
            result[r0 + o] = s0;
            double s1 = result[r1 + o];
            s1 += a10 * w0;
            s1 += a11 * w1;
            s1 += a12 * w2;
            s1 += a13 * w3;
            result[r1 + o] = s1;
            double s2 = result[r2 + o];
            s2 += a20 * w0;
            s2 += a21 * w1;
            s2 += a22 * w2;
            s2 += a23 * w3;
            result[r2 + o] = s2;
            double s3 = result[r3 + o];
            s3 += a30 * w0;
            s3 += a31 * w1;
            s3 += a32 * w2;
            s3 += a33 * w3;
            result[r3 + o] = s3;
        }
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

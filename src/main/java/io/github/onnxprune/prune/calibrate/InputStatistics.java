package io.github.onnxprune.prune.calibrate;

/**
 * The products of one layer input's calibration rows that every layer reading that input shares (a
 * transformer's Q, K and V projections read one value): {@code X^T X} of the input in the model re-fitted so
 * far, and for {@link WeightReconstruction.Target#DENSE_INPUTS} either {@code X^T X_dense} and
 * {@code X_dense^T X_dense} (when the layers reading the input have more outputs than it has features, about)
 * or the rows themselves for the per-layer products {@code X^T (X_dense M)}. Each layer then costs
 * {@code features^2 x outputs} instead of {@code rows x features x outputs}.
 */
final class InputStatistics {

    /** What one layer's least squares needs: {@code X^T X}, {@code X^T T} and {@code ||T||^2}. */
    record Equations(double[] gram, double[] rhs, double reference) {
    }

    // Weak: the values are the stages' to drop, and only compared by identity here.
    private final java.lang.ref.WeakReference<StagedValue> current;
    private final java.lang.ref.WeakReference<StagedValue> dense;
    private final boolean denseRows;
    private final int requestedRows;
    // Dropped once X^T X is made when nothing else needs the rows (the layers fit the pruned inputs only).
    private Features xc;
    private final int rows;
    private final int width;
    private final Features xd;
    // X^T X, or once a layer asked for the centred equations, X^T X - s s^T / n in its place (one n x n array).
    private double[] gram;
    private boolean centred;
    private final double[] sums;
    private final boolean crossed;
    private double[] cross;
    private double[] denseGram;
    private double[] denseSums;

    /**
     * @param requestedRows the most rows asked for
     * @param current the input's value in the model re-fitted so far, as collected (null: these statistics match
     *     no value)
     * @param dense its value in the dense model, or null when the layers fit the pruned inputs only
     * @param denseRows whether {@code xd} holds rows of the dense model's value
     * @param xc rows of {@code current}
     * @param xd the same rows of {@code dense}, or null
     * @param outputs outputs of all layers reading this input, which decide whether the cross products pay
     */
    InputStatistics(int requestedRows, StagedValue current, StagedValue dense, boolean denseRows, Features xc,
            Features xd, int outputs) {
        this.sums = xc.columnSums();
        this.requestedRows = requestedRows;
        this.current = new java.lang.ref.WeakReference<>(current);
        this.dense = new java.lang.ref.WeakReference<>(dense);
        this.denseRows = denseRows;
        this.xc = xc;
        this.xd = xd;
        this.gram = RowProducts.gram(xc);
        // Cross products cost rows x features^2 (3/2 of it with X_dense^T X_dense) once; the per-layer route
        // 2 x rows x features x outputs per layer.
        this.crossed = xd != null && 0.75 * xc.cols() < outputs;
        this.rows = xc.rows();
        this.width = xc.cols();
        if (xd == null) {
            this.xc = null;
        }
    }

    /** Whether these statistics belong to exactly these collected values and rows. */
    boolean matches(StagedValue currentValue, StagedValue denseValue, int rows) {
        return current.get() != null && current.get() == currentValue && dense.get() == denseValue
                && (denseValue != null) == denseRows && requestedRows == rows;
    }

    int rows() {
        return rows;
    }

    /** Sum of each feature over the fitted rows. */
    double[] sums() {
        return sums;
    }

    /** The normal equations of a layer with dense canonical weights {@code md}. */
    Equations equations(double[] md, int outputs) {
        double[] gram = centred ? uncentred() : this.gram;
        if (xd == null) {
            // SparseGPT's objective: the target is the dense weights on these same inputs.
            double[] rhs = RowProducts.gramProduct(gram, width, md, outputs);
            return new Equations(gram, rhs, dot(md, rhs));
        }
        if (crossed) {
            if (cross == null) {
                cross = RowProducts.cross(xc, xd);
                denseGram = RowProducts.gram(xd);
            }
            double[] rhs = RowProducts.gramProduct(cross, width, md, outputs);
            return new Equations(gram, rhs, dot(md, RowProducts.gramProduct(denseGram, width, md, outputs)));
        }
        double[] target = RowProducts.product(xd, md, outputs);
        double reference = 0;
        for (double t : target) {
            reference += t * t;
        }
        return new Equations(gram, RowProducts.transposedProduct(xc, target, outputs), reference);
    }

    /**
     * The normal equations with the rows' mean taken out, when the layers fit the pruned inputs only: the
     * covariance {@code C = X^T X - s s^T / n} (made in place of {@code X^T X}, so a wide input's Gram matrix is not
     * held twice), {@code C md} and {@code <md, C md>}.
     */
    Equations centredEquations(double[] md, int outputs) {
        if (xd != null) {
            throw new IllegalStateException("centred equations are for layers fitted to their pruned inputs");
        }
        double[] rhs = RowProducts.gramProduct(centredInPlace(), width, md, outputs);
        return new Equations(gram, rhs, dot(md, rhs));
    }

    /**
     * What the rows' mean adds to {@code ||X d||^2} over the columns of canonical {@code d} beyond {@code <d, C d>}:
     * {@code sum over outputs of (s^T d_o)^2 / n}.
     */
    double meanTerm(double[] d, int outputs) {
        return meanTerm(d, outputs, new double[outputs]);
    }

    /** As {@link #meanTerm(double[], int)} with {@code offset[o]} added to each output's {@code s^T d_o}. */
    double meanTerm(double[] d, int outputs, double[] offset) {
        double total = 0;
        for (int o = 0; o < outputs; o++) {
            double moved = offset[o];
            for (int f = 0; f < width; f++) {
                moved += sums[f] * d[f * outputs + o];
            }
            total += moved * moved / rows;
        }
        return total;
    }

    /**
     * The normal equations of a layer fitted to its pruned inputs X with a share {@code c} of their error
     * corrected: the target {@code T = (1 - c) X md + c X_dense md}, so {@code X^T T = (1 - c) X^T X md + c X^T
     * X_dense md}; with {@code centre}, every product over the rows with their means taken out (the bias then takes
     * the mean, {@link #correctionOffset}). Needs the dense rows.
     */
    Equations correctedEquations(double[] md, int outputs, double c, boolean centre) {
        if (xd == null) {
            throw new IllegalStateException("a corrected target needs the dense model's rows");
        }
        if (cross == null) {
            cross = RowProducts.cross(xc, xd);
            denseGram = RowProducts.gram(xd);
        }
        if (denseSums == null) {
            denseSums = xd.columnSums();
        }
        double[] g = centre ? centredInPlace() : centred ? uncentred() : gram;
        double[] k = centre ? centredProduct(cross, sums, denseSums) : cross;
        double[] d = centre ? centredProduct(denseGram, denseSums, denseSums) : denseGram;
        double[] own = RowProducts.gramProduct(g, width, md, outputs);
        double[] carried = RowProducts.gramProduct(k, width, md, outputs);
        double[] rhs = new double[own.length];
        for (int i = 0; i < rhs.length; i++) {
            rhs[i] = (1 - c) * own[i] + c * carried[i];
        }
        double reference = (1 - c) * (1 - c) * dot(md, own) + 2 * c * (1 - c) * dot(md, carried)
                + c * c * dot(md, RowProducts.gramProduct(d, width, md, outputs));
        return new Equations(g, rhs, reference);
    }

    /**
     * Per output, what the corrected target adds to the sum over the rows of the pruned inputs' {@code X md}:
     * {@code c (s_dense - s)^T md_o}; the bias of a centred fit takes it divided by the rows.
     */
    double[] correctionOffset(double[] md, int outputs, double c) {
        double[] offset = new double[outputs];
        for (int f = 0; f < width; f++) {
            double moved = c * (denseSums[f] - sums[f]);
            for (int o = 0; o < outputs; o++) {
                offset[o] += moved * md[f * outputs + o];
            }
        }
        return offset;
    }

    /**
     * {@code equations} (of {@link #correctedEquations} with the same {@code c} and {@code centre}) with {@code r D}
     * added to the target, D the residual stream's error ({@code rows x outputs}, the same rows): {@code X^T T}
     * gains {@code r X^T D}, {@code ||T||^2} gains {@code 2 r <T, D> + r^2 ||D||^2} (every product with the rows'
     * means taken out when centred), and {@code offset} gains {@code r} times D's column sums.
     */
    Equations withResidual(Equations equations, Features difference, double[] md, int outputs, double c, double r,
            boolean centre, double[] offset) {
        float[] data = difference.data();
        double[] d = new double[data.length];
        double[] dSums = new double[outputs];
        double dSquares = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = data[i];
            dSums[i % outputs] += data[i];
            dSquares += d[i] * d[i];
        }
        double[] own = RowProducts.transposedProduct(xc, d, outputs);
        double[] carried = RowProducts.transposedProduct(xd, d, outputs);
        if (centre) {
            for (int f = 0; f < width; f++) {
                for (int o = 0; o < outputs; o++) {
                    own[f * outputs + o] -= sums[f] * dSums[o] / rows;
                    carried[f * outputs + o] -= denseSums[f] * dSums[o] / rows;
                }
            }
            for (int o = 0; o < outputs; o++) {
                dSquares -= dSums[o] * dSums[o] / rows;
            }
        }
        double[] rhs = equations.rhs().clone();
        double cross = 0;
        for (int i = 0; i < rhs.length; i++) {
            rhs[i] += r * own[i];
            cross += md[i] * ((1 - c) * own[i] + c * carried[i]);
        }
        for (int o = 0; o < outputs; o++) {
            offset[o] += r * dSums[o];
        }
        return new Equations(equations.gram(), rhs, equations.reference() + 2 * r * cross + r * r * dSquares);
    }

    /** {@code X^T X} centred in place (as {@link #centredEquations} leaves it). */
    private double[] centredInPlace() {
        if (!centred) {
            for (int i = 0; i < width; i++) {
                for (int j = 0; j < width; j++) {
                    gram[i * width + j] -= sums[i] * sums[j] / rows;
                }
            }
            centred = true;
        }
        return gram;
    }

    /** {@code A^T B - a b^T / n} for the product {@code A^T B} of rows with column sums a and b. */
    private double[] centredProduct(double[] product, double[] a, double[] b) {
        double[] result = product.clone();
        for (int i = 0; i < width; i++) {
            for (int j = 0; j < width; j++) {
                result[i * width + j] -= a[i] * b[j] / rows;
            }
        }
        return result;
    }

    /** {@code X^T X} again from the centred matrix, for a layer reading the same input that is not centred. */
    private double[] uncentred() {
        double[] g = gram.clone();
        for (int i = 0; i < width; i++) {
            for (int j = 0; j < width; j++) {
                g[i * width + j] += sums[i] * sums[j] / rows;
            }
        }
        return g;
    }

    static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}

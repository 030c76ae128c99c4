package io.github.onnxprune.prune.calibrate;

/**
 * Calibration rows split into those a compensating fit learns from and every {@code every}-th row, held back to
 * judge it: the output error on rows the fit has not seen tells a fit that generalises from one that only
 * matches its own rows.
 *
 * @param fitOriginal the original layer's input on the rows the fit uses
 * @param fitCurrent the pruned layer's input on the same rows
 * @param heldOriginal the original layer's input on the held-back rows
 * @param heldCurrent the pruned layer's input on the held-back rows
 * @param every the period of the held-back rows
 */
record HeldBack(Features fitOriginal, Features fitCurrent, Features heldOriginal, Features heldCurrent, int every) {

    /** Splits aligned rows; null when {@code every} is below 2 or too few rows would be left on either side. */
    static HeldBack split(Features original, Features current, int every) {
        int rows = original.rows();
        if (every < 2 || rows != current.rows() || rows / every < 8) {
            return null;
        }
        Features[] o = original.splitEvery(every);
        Features[] c = current.splitEvery(every);
        return new HeldBack(o[0], c[0], o[1], c[1], every);
    }

    /** The number of held-back rows. */
    int rows() {
        return heldOriginal.rows();
    }

    /**
     * Rows of {@code width} values, aligned with the original rows, split as the features are: {fitted, held back}
     * (a target computed once on all rows serves both sides).
     */
    double[][] split(double[] values, int width) {
        int all = fitOriginal.rows() + rows();
        if (values.length != all * width) {
            throw new IllegalArgumentException("the values' size does not match " + all + " rows");
        }
        double[] fitted = new double[fitOriginal.rows() * width];
        double[] back = new double[rows() * width];
        int f = 0;
        int h = 0;
        for (int r = 0; r < all; r++) {
            if (r % every == every - 1 && h < rows()) {
                System.arraycopy(values, r * width, back, h++ * width, width);
            } else {
                System.arraycopy(values, r * width, fitted, f++ * width, width);
            }
        }
        return new double[][] {fitted, back};
    }

    /**
     * Relative squared output error {@code sum (y - t)^2 / sum t^2} on the held-back rows of the layer with
     * {@code weights} (kept features x kept outputs, row-major) and effective {@code bias}, against the original
     * layer's output {@code t}.
     */
    double error(Fit.Problem problem, double[] weights, double[] bias) {
        return error(problem, problem.targetOf(heldOriginal), weights, bias);
    }

    /**
     * As {@link #error(Fit.Problem, double[], double[])} with the original layer's output on the held-back rows
     * less its bias already known ({@link Fit.Problem#targetOf} of {@link #heldOriginal}), so that judging
     * several candidates computes it once.
     */
    double error(Fit.Problem problem, double[] heldTarget, double[] weights, double[] bias) {
        return errors(problem, heldTarget, weights, bias)[0];
    }

    /**
     * As {@link #error(Fit.Problem, double[], double[], double[])} for the same weights under each of
     * {@code biases}: the layer's output on the held-back rows is computed once for all of them (the plain and the
     * mean-compensated candidates differ only in their bias).
     */
    double[] errors(Fit.Problem problem, double[] heldTarget, double[] weights, double[]... biases) {
        int n = problem.keptOutputs().length;
        double[] output = RowProducts.product(heldCurrent, weights, n);
        double[] errors = new double[biases.length];
        for (int i = 0; i < biases.length; i++) {
            errors[i] = Fit.relativeError(heldTarget, problem.bias(), output, biases[i], n);
        }
        return errors;
    }
}

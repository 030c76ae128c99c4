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
 */
record HeldBack(Features fitOriginal, Features fitCurrent, Features heldOriginal, Features heldCurrent) {

    /** Splits aligned rows; null when {@code every} is below 2 or too few rows would be left on either side. */
    static HeldBack split(Features original, Features current, int every) {
        int rows = original.rows();
        if (every < 2 || rows != current.rows() || rows / every < 8) {
            return null;
        }
        Features[] o = original.splitEvery(every);
        Features[] c = current.splitEvery(every);
        return new HeldBack(o[0], c[0], o[1], c[1]);
    }

    /** The number of held-back rows. */
    int rows() {
        return heldOriginal.rows();
    }

    /**
     * Relative squared output error {@code sum (y - t)^2 / sum t^2} on the held-back rows of the layer with
     * {@code weights} (kept features x kept outputs, row-major) and effective {@code bias}, against the original
     * layer's output {@code t}.
     */
    double error(Fit.Problem problem, double[] weights, double[] bias) {
        int[] keptOutputs = problem.keptOutputs();
        int n = keptOutputs.length;
        int cols = heldOriginal.cols();
        int k = heldCurrent.cols();
        int outputs = problem.outputs();
        double[] m = problem.m();
        double[] target = new double[n];
        double[] output = new double[n];
        double reference = 0;
        double error = 0;
        for (int r = 0; r < rows(); r++) {
            for (int j = 0; j < n; j++) {
                target[j] = problem.bias()[j];
                output[j] = bias[j];
            }
            for (int f = 0; f < cols; f++) {
                double x = heldOriginal.data()[r * cols + f];
                if (x != 0) {
                    int row = f * outputs;
                    for (int j = 0; j < n; j++) {
                        target[j] += x * m[row + keptOutputs[j]];
                    }
                }
            }
            for (int i = 0; i < k; i++) {
                double x = heldCurrent.data()[r * k + i];
                if (x != 0) {
                    int row = i * n;
                    for (int j = 0; j < n; j++) {
                        output[j] += x * weights[row + j];
                    }
                }
            }
            for (int j = 0; j < n; j++) {
                double d = output[j] - target[j];
                reference += target[j] * target[j];
                error += d * d;
            }
        }
        return reference == 0 ? error : error / reference;
    }
}

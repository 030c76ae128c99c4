package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.eval.Tensor;

/**
 * A layer's input as a {@code rows x cols} float matrix, row-major: one row per sample (and per position for
 * MatMul on 3-D inputs and for Conv, whose rows are im2col patches). Rows are picked the same way for any
 * tensor of the same batch and spatial size, so the original and the pruned model's rows line up.
 *
 * @param data the elements
 * @param rows the number of rows
 * @param cols the number of features
 */
record Features(float[] data, int rows, int cols) {

    /** The input of {@code layer} from an activation tensor, at most {@code maxRows} rows; null if it does not fit. */
    static Features of(LinearLayer layer, Tensor activation, int units, int maxRows) {
        StagedValue value = new StagedValue(java.util.List.of(activation));
        return of(layer, value.shape(), value.elements(), null, units, maxRows);
    }

    /**
     * The rows a fit of {@code layer} reads of a staged value, at most {@code maxRows}, evenly spread over the
     * positions the samples' mask keeps ({@link ActivationCollector#keptPositions}; all of them for a value that is
     * not a float tensor); null if it does not fit.
     */
    static Features of(LinearLayer layer, StagedValue value, ActivationCollector collector, int units, int maxRows) {
        int[] positions = value.isFloat() ? collector.keptPositions(value.shape()) : null;
        return of(layer, value.shape(), value.elements(), positions, units, maxRows);
    }

    /**
     * As {@link #of(LinearLayer, Tensor, int, int)} for an activation of this shape read from its elements, on
     * the rows {@code positions} of its last axis ({@link ActivationCollector#keptPositions}: the masked rows);
     * all rows when null.
     */
    static Features of(LinearLayer layer, long[] shape, StagedValue.Elements values, int[] positions, int units,
            int maxRows) {
        // Read in place, each part let go once its rows are read: a copy of a collected activation (80 MB for a
        // transformer's feed-forward value) would double what calibration holds at its peak.
        if (layer.conv() == null) {
            if (shape.length < 2 || shape[shape.length - 1] != (long) units * layer.block()) {
                return null;
            }
            int cols = (int) shape[shape.length - 1];
            long elements = 1;
            for (long dimension : shape) {
                elements *= dimension;
            }
            int total = positions != null ? positions.length : (int) (elements / cols);
            int rows = Math.min(total, maxRows);
            float[] data = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                int row = pick(r, rows, total);
                long start = (long) (positions != null ? positions[row] : row) * cols;
                values.release(start);
                values.get(start, data, r * cols, cols);
            }
            return new Features(data, rows, cols);
        }
        if (shape.length != 4 || shape[1] != units) {
            return null;
        }
        LinearLayer.ConvGeometry g = layer.conv();
        int n = (int) shape[0];
        int channels = (int) shape[1];
        int height = (int) shape[2];
        int width = (int) shape[3];
        int outH = (height + g.padTop() + g.padBottom() - g.dilationH() * (g.kernelH() - 1) - 1) / g.strideH() + 1;
        int outW = (width + g.padLeft() + g.padRight() - g.dilationW() * (g.kernelW() - 1) - 1) / g.strideW() + 1;
        if (outH < 1 || outW < 1) {
            return null;
        }
        int cols = channels * layer.block();
        long totalLong = (long) n * outH * outW;
        int total = (int) Math.min(Integer.MAX_VALUE, totalLong);
        int rows = Math.min(total, maxRows);
        float[] data = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            int position = pick(r, rows, total);
            int sample = position / (outH * outW);
            int y = position / outW % outH;
            int x = position % outW;
            int base = r * cols;
            for (int c = 0; c < channels; c++) {
                for (int ky = 0; ky < g.kernelH(); ky++) {
                    int iy = y * g.strideH() - g.padTop() + ky * g.dilationH();
                    for (int kx = 0; kx < g.kernelW(); kx++) {
                        int ix = x * g.strideW() - g.padLeft() + kx * g.dilationW();
                        // Positions in the padding read zero, exactly as the convolution does.
                        if (iy >= 0 && iy < height && ix >= 0 && ix < width) {
                            data[base + (c * g.kernelH() + ky) * g.kernelW() + kx] =
                                    values.get(((long) (sample * channels + c) * height + iy) * width + ix);
                        }
                    }
                }
            }
        }
        return new Features(data, rows, cols);
    }

    /** Row r of {@code rows} spread evenly over {@code total}: all rows when they fit, a fixed stride otherwise. */
    static int pick(int r, int rows, int total) {
        return rows == total ? r : (int) ((long) r * total / rows);
    }

    /** Sum of every column, each added in row order. */
    double[] columnSums() {
        double[] sums = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                sums[c] += data[r * cols + c];
            }
        }
        return sums;
    }

    /** Mean of every column. */
    double[] columnMeans() {
        double[] means = columnSums();
        for (int c = 0; c < cols; c++) {
            means[c] /= Math.max(1, rows);
        }
        return means;
    }

    /** These rows split into those a fit learns from and every {@code k}-th one, held out: {fitted, held out}. */
    Features[] splitEvery(int k) {
        int held = rows / k;
        float[] fitted = new float[(rows - held) * cols];
        float[] back = new float[held * cols];
        int f = 0;
        int h = 0;
        for (int r = 0; r < rows; r++) {
            if (r % k == k - 1 && h < held) {
                System.arraycopy(data, r * cols, back, h++ * cols, cols);
            } else {
                System.arraycopy(data, r * cols, fitted, f++ * cols, cols);
            }
        }
        return new Features[] {new Features(fitted, f, cols), new Features(back, h, cols)};
    }
}

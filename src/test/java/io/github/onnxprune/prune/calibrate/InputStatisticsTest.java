package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InputStatisticsTest {

    private static final int ROWS = 37;
    private static final int WIDTH = 5;
    private static final int OUTPUTS = 3;

    @Test
    void theResidualStreamsErrorAddsToTheTargetAsIfItWereFittedRowByRow() {
        SplittableRandom random = new SplittableRandom(5);
        Features x = features(random, ROWS, WIDTH, 0.4);
        Features xd = features(random, ROWS, WIDTH, -0.2);
        Features d = features(random, ROWS, OUTPUTS, 0.7);
        double[] md = new double[WIDTH * OUTPUTS];
        for (int i = 0; i < md.length; i++) {
            md[i] = random.nextGaussian();
        }
        double c = 0.3;
        double r = 0.6;
        for (boolean centre : new boolean[] {false, true}) {
            InputStatistics statistics = new InputStatistics(ROWS, null, null, true, x, xd, OUTPUTS);
            InputStatistics.Equations corrected = statistics.correctedEquations(md, OUTPUTS, c, centre);
            double[] offset = statistics.correctionOffset(md, OUTPUTS, c);
            InputStatistics.Equations equations = statistics.withResidual(corrected, d, md, OUTPUTS, c, r, centre,
                    offset);
            // The target row by row: (1 - c) X md + c X_dense md + r D, every column's mean taken out when centred.
            double[][] t = new double[ROWS][OUTPUTS];
            double[][] xs = new double[ROWS][WIDTH];
            for (int row = 0; row < ROWS; row++) {
                for (int f = 0; f < WIDTH; f++) {
                    xs[row][f] = x.data()[row * WIDTH + f];
                }
                for (int o = 0; o < OUTPUTS; o++) {
                    double value = r * d.data()[row * OUTPUTS + o];
                    for (int f = 0; f < WIDTH; f++) {
                        value += md[f * OUTPUTS + o]
                                * ((1 - c) * x.data()[row * WIDTH + f] + c * xd.data()[row * WIDTH + f]);
                    }
                    t[row][o] = value;
                }
            }
            double[] targetSums = columnSums(t, OUTPUTS);
            double[] xSums = columnSums(xs, WIDTH);
            double reference = 0;
            for (int o = 0; o < OUTPUTS; o++) {
                for (int row = 0; row < ROWS; row++) {
                    double value = t[row][o] - (centre ? targetSums[o] / ROWS : 0);
                    reference += value * value;
                }
                double plain = 0;
                for (int f = 0; f < WIDTH; f++) {
                    plain += xSums[f] * md[f * OUTPUTS + o];
                    double rhs = 0;
                    for (int row = 0; row < ROWS; row++) {
                        rhs += (xs[row][f] - (centre ? xSums[f] / ROWS : 0))
                                * (t[row][o] - (centre ? targetSums[o] / ROWS : 0));
                    }
                    assertEquals(rhs, equations.rhs()[f * OUTPUTS + o], 1e-9 * (1 + Math.abs(rhs)),
                            "rhs " + f + ", " + o + " centred " + centre);
                }
                // The bias of a centred fit takes the target's sum beyond what the dense weights give on X.
                assertEquals(targetSums[o] - plain, offset[o], 1e-9 * (1 + Math.abs(offset[o])), "offset " + o);
            }
            assertEquals(reference, equations.reference(), 1e-9 * reference, "reference, centred " + centre);
        }
    }

    private static Features features(SplittableRandom random, int rows, int cols, double shift) {
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextGaussian() + shift * (i % cols));
        }
        return new Features(data, rows, cols);
    }

    private static double[] columnSums(double[][] values, int cols) {
        double[] sums = new double[cols];
        for (double[] row : values) {
            for (int c = 0; c < cols; c++) {
                sums[c] += row[c];
            }
        }
        return sums;
    }
}

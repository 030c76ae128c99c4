package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RowProductsTest {

    /** 103 rows (not a multiple of four) of 70 features, a third of them zero, as after a ReLU. */
    private static Features rows() {
        SplittableRandom random = new SplittableRandom(7);
        float[] data = new float[103 * 70];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextInt(3) == 0 ? 0 : (float) random.nextGaussian();
        }
        return new Features(data, 103, 70);
    }

    /** A rows x cols matrix, row-major, of standard normal values drawn from {@code seed}. */
    static double[] matrix(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] m = new double[rows * cols];
        for (int i = 0; i < m.length; i++) {
            m[i] = random.nextGaussian();
        }
        return m;
    }

    @Test
    void productsAreBitIdenticalToRowByRowSums() {
        Features x = rows();
        double[] m = matrix(70, 45, 1);
        double[] t = matrix(103, 45, 2);
        float[] c = x.data();
        double[] gram = new double[70 * 70];
        double[] product = new double[103 * 45];
        double[] transposed = new double[70 * 45];
        Features other = new Features(java.util.Arrays.copyOf(x.data(), 103 * 70), 103, 70);
        other.data()[5] = 3;
        float[] d = other.data();
        double[] cross = new double[70 * 70];
        for (int r = 0; r < 103; r++) {
            for (int i = 0; i < 70; i++) {
                double xi = c[r * 70 + i];
                for (int j = 0; j < 70; j++) {
                    cross[i * 70 + j] += xi * d[r * 70 + j];
                }
            }
        }
        double[] square = matrix(70, 70, 3);
        double[] squareTimesM = new double[70 * 45];
        for (int i = 0; i < 70; i++) {
            for (int k = 0; k < 70; k++) {
                for (int o = 0; o < 45; o++) {
                    squareTimesM[i * 45 + o] += square[i * 70 + k] * m[k * 45 + o];
                }
            }
        }
        for (int r = 0; r < 103; r++) {
            for (int i = 0; i < 70; i++) {
                double xi = c[r * 70 + i];
                for (int j = 0; j < 70; j++) {
                    gram[i * 70 + j] += xi * c[r * 70 + j];
                }
                for (int o = 0; o < 45; o++) {
                    product[r * 45 + o] += xi * m[i * 45 + o];
                    transposed[i * 45 + o] += xi * t[r * 45 + o];
                }
            }
        }

        assertArrayEquals(gram, RowProducts.gram(x));
        assertArrayEquals(product, RowProducts.product(x, m, 45));
        assertArrayEquals(transposed, RowProducts.transposedProduct(x, t, 45));
        assertArrayEquals(cross, RowProducts.cross(x, other));
        assertArrayEquals(squareTimesM, RowProducts.gramProduct(square, 70, m, 45));
    }
}

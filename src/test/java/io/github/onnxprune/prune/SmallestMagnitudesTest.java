package io.github.onnxprune.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.github.onnxprune.onnx.FloatTensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SmallestMagnitudesTest {

    @Test
    void picksTheSmallestAndBreaksTiesByPosition() {
        float[] magnitudes = {0.5f, 0.1f, 0.3f, 0.1f, 0.3f, 0.9f, 0.3f};
        assertArrayEquals(new int[] {1, 3}, SmallestMagnitudes.select(magnitudes, 2));
        // Three values tie at 0.3 for the last two places: the first two of them in index order win.
        assertArrayEquals(new int[] {1, 2, 3, 4}, SmallestMagnitudes.select(magnitudes, 4));
        assertArrayEquals(new int[] {}, SmallestMagnitudes.select(magnitudes, 0));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, SmallestMagnitudes.select(magnitudes, 7));
    }

    @Test
    void agreesWithAFullSortOnRandomDataWithManyTies() {
        Random random = new Random(42);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + random.nextInt(500);
            float[] magnitudes = new float[n];
            for (int i = 0; i < n; i++) {
                magnitudes[i] = random.nextInt(20) / 4f;
            }
            int k = random.nextInt(n + 1);
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> magnitudes[a] != magnitudes[b]
                    ? Float.compare(magnitudes[a], magnitudes[b]) : Integer.compare(a, b));
            int[] expected = Arrays.stream(order, 0, k).mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(expected, SmallestMagnitudes.select(magnitudes, k), "trial " + trial);
        }
    }

    @Test
    void agreesWithAFullSortAcrossSignsZerosAndInfinities() {
        Random random = new Random(7);
        float[] specials = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MAX_VALUE, 1e-30f, 3.5f};
        for (int trial = 0; trial < 30; trial++) {
            int n = 1 + random.nextInt(5000);
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = random.nextInt(4) == 0 ? specials[random.nextInt(specials.length)]
                        : (float) random.nextGaussian() * (random.nextBoolean() ? 1e-3f : 10f);
            }
            float[] untouched = values.clone();
            float[] sorted = values.clone();
            Arrays.sort(sorted);
            int rank = random.nextInt(n);
            // Arrays.sort orders -0 before +0; selection, like <, takes them as equal.
            assertEquals(sorted[rank] == 0f ? 0f : sorted[rank], SmallestMagnitudes.kthSmallest(values, rank),
                    "trial " + trial);
            assertArrayEquals(untouched, values, "selection must not reorder its input");
        }
    }

    @Test
    void theCutHoldsExactlyTheSelectedValuesTiesIncluded() {
        Random random = new Random(11);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + random.nextInt(3000);
            float[] magnitudes = new float[n];
            for (int i = 0; i < n; i++) {
                // Few distinct values, so most cuts fall inside a run of ties; some infinities and zeros.
                magnitudes[i] = random.nextInt(50) == 0 ? Float.POSITIVE_INFINITY : random.nextInt(12) / 8f;
            }
            int k = trial % 10 == 0 ? n : random.nextInt(n + 1);
            SmallestMagnitudes.Cut cut = SmallestMagnitudes.cut(magnitudes, k);
            int[] selected = SmallestMagnitudes.select(magnitudes, k);
            int ties = cut.ties();
            int[] inCut = new int[k];
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (magnitudes[i] < cut.threshold() || (magnitudes[i] == cut.threshold() && ties-- > 0)) {
                    inCut[count++] = i;
                }
            }
            assertEquals(k, count, "trial " + trial);
            assertArrayEquals(selected, inCut, "trial " + trial);
        }
    }

    @Test
    void zeroingTheCutGivesTheBytesOfZeroingTheSelectedIndicesInEveryTypeAndStorage() {
        Random random = new Random(5);
        float[] specials = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0x7fc00001), Float.MIN_VALUE, 0.5f, -0.5f};
        for (int trial = 0; trial < 40; trial++) {
            // Past the raw scan's 16,384-element chunks in some trials.
            int n = 1 + random.nextInt(trial % 4 == 0 ? 40_000 : 600);
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = random.nextInt(5) == 0 ? specials[random.nextInt(specials.length)]
                        : (random.nextInt(16) - 8) / 4f;
            }
            for (DataType type : List.of(DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE)) {
                for (boolean raw : List.of(true, false)) {
                    FloatTensor tensor = FloatTensor.of(MagnitudePrunerTest.tensor("w", type, raw, values, n));
                    float[] magnitudes = tensor.magnitudes();
                    int k = trial % 10 == 0 ? (trial % 20 == 0 ? 0 : n) : random.nextInt(n + 1);
                    SmallestMagnitudes.Cut cut = SmallestMagnitudes.cut(magnitudes, k);
                    TensorProto expected = tensor.withZeros(SmallestMagnitudes.select(magnitudes, k));
                    TensorProto zeroed = tensor.withZerosBelow(cut.threshold(), cut.ties());
                    String what = "trial " + trial + " " + type + " raw=" + raw + " k=" + k;
                    assertEquals(expected.toByteString(), zeroed.toByteString(), what);
                    if (k == 0) {
                        assertSame(tensor.proto(), zeroed, what);
                    }
                }
            }
        }
    }

    @Test
    void kthSmallestOfAllEqualValues() {
        float[] values = new float[1000];
        Arrays.fill(values, 2f);
        assertEquals(2f, SmallestMagnitudes.kthSmallest(values, 500));
    }
}

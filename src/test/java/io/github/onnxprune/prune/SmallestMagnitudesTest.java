package io.github.onnxprune.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
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
    void kthSmallestOfAllEqualValues() {
        float[] values = new float[1000];
        Arrays.fill(values, 2f);
        assertEquals(2f, SmallestMagnitudes.kthSmallest(values, 500));
    }
}

package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenRowsTest {

    /** Five sentences of 3, 1, 4, 1 and 0 real tokens padded to 4. */
    private static final long[] MASK = {
        1, 1, 1, 0,
        1, 0, 0, 0,
        1, 1, 1, 1,
        1, 0, 0, 0,
        0, 0, 0, 0,
    };

    @Test
    void realTokensAreCountedPerSentenceAndNumberedInSampleAndTokenOrder() {
        TokenRows rows = TokenRows.of(5, 4, i -> MASK[i]);

        assertEquals(4, rows.tokens());
        assertArrayEquals(new int[] {3, 1, 4, 1, 0}, rows.lengths());
        assertArrayEquals(new long[] {0, 3, 4, 8, 9, 9}, rows.rowStarts());
        assertEquals(5, rows.rows(1, 3));
        // Sample 2, token 1 is row 4 + 1; sample 0, token 3 is padding.
        assertEquals(5, rows.rowOf(2 * 4 + 1));
        assertEquals(-1, rows.rowOf(3));
        // From padding, the next real row: sample 1's first.
        assertEquals(3, rows.rowAtOrAfter(3));
        assertEquals(9, rows.rowAtOrAfter(4 * 4));
        assertEquals(9, rows.rowAtOrAfter(5 * 4));
    }

    @Test
    void batchesTakeSentencesBySimilarLengthAndAreCutToTheirLongest() {
        TokenRows rows = TokenRows.of(5, 4, i -> MASK[i]);

        List<int[]> batches = rows.batches(0, 5, 2);

        // By length, then by index: 4 (0), 1 and 3 (1), 0 (3), 2 (4).
        assertEquals(3, batches.size());
        assertArrayEquals(new int[] {4, 1}, batches.get(0));
        assertArrayEquals(new int[] {3, 0}, batches.get(1));
        assertArrayEquals(new int[] {2}, batches.get(2));
        assertEquals(1, rows.longest(batches.get(0)));
        assertEquals(3, rows.longest(batches.get(1)));
        // Within a part only its own sentences.
        assertArrayEquals(new int[] {3, 2}, rows.batches(2, 4, 2).get(0));
    }

    @Test
    void aMaskWithAZeroBeforeAOneHasNoRealTokenLayout() {
        long[] holed = MASK.clone();
        holed[1] = 0;
        assertNull(TokenRows.of(5, 4, i -> holed[i]));
    }
}

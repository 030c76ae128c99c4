package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256Test {

    private static final int MIB = 1 << 20;

    @Test
    void aContentSharingAPrefixContinuesToItsOwnSha256() throws IOException {
        byte[] original = new byte[3 * MIB + 12_345];
        new Random(7).nextBytes(original);
        Sha256.Prefixes prefixes = Sha256.withPrefixes(new ByteArrayInputStream(original));
        assertEquals(sha256(original), prefixes.sha256());

        // Changed from 2.5 MiB on, and longer: continued from the state at 2 MiB.
        byte[] changed = Arrays.copyOf(original, original.length + 99);
        Arrays.fill(changed, 5 * MIB / 2, changed.length, (byte) 3);
        for (long sameUpTo : new long[] {0, 1, MIB - 1, MIB, 5 * MIB / 2, original.length}) {
            assertEquals(sha256(changed), prefixes.continued(ByteBuffer.allocateDirect(changed.length)
                    .put(changed).flip(), Math.min(sameUpTo, 5 * MIB / 2)), "shared " + sameUpTo);
            assertEquals(sha256(original), prefixes.continued(ByteBuffer.wrap(original), sameUpTo), "all " + sameUpTo);
        }
        // Shorter than the content hashed, sharing all its bytes: the state kept within it, not after it.
        byte[] shorter = Arrays.copyOf(original, MIB + 7);
        assertEquals(sha256(shorter), prefixes.continued(ByteBuffer.wrap(shorter), original.length));
    }

    @Test
    void shortReadsKeepTheStatesAtWholeMebibytes() throws IOException {
        byte[] original = new byte[2 * MIB + 1];
        new Random(11).nextBytes(original);
        // A stream that returns 1,000 bytes at a time, so no read ends on a mebibyte.
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(original)) {
            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                return super.read(buffer, offset, Math.min(length, 1000));
            }
        };
        Sha256.Prefixes prefixes = Sha256.withPrefixes(trickle);
        byte[] changed = original.clone();
        changed[2 * MIB] ^= 1;
        // Had the state at 2 MiB been skipped or taken off the boundary, the digest would differ.
        assertEquals(sha256(changed), prefixes.continued(ByteBuffer.wrap(changed), 2 * MIB));
        assertEquals(sha256(original), prefixes.sha256());
    }

    @Test
    void anEmptyContentHasTheEmptySha256() throws IOException {
        Sha256.Prefixes prefixes = Sha256.withPrefixes(InputStream.nullInputStream());
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", prefixes.sha256());
        assertEquals(sha256(new byte[] {1, 2}), prefixes.continued(ByteBuffer.wrap(new byte[] {1, 2}), 2));
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(Sha256.digest().digest(bytes));
    }
}

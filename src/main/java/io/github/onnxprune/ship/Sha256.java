package io.github.onnxprune.ship;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 digests as this plugin records them: lowercase hex. */
public final class Sha256 {

    /**
     * Bytes handed to the digest per call. In a build's new JVM the digest's update method must be called often to
     * be compiled soon with the SHA-NI intrinsic while the compiler is busy with everything else: in 64 KiB calls a
     * loaded build's recording showed the Java code, several times slower, hashing most of a 90 MB model
     * (docs/minilm-benchmark.md).
     */
    private static final int UPDATE = 1024;

    /** How far apart {@link Prefixes} keeps the digest's states: every mebibyte. */
    private static final int PREFIX_STEP = 1 << 20;

    private Sha256() {
    }

    /** A new SHA-256 digest. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** The SHA-256 of what {@code in} holds to its end, streamed in 64 KiB reads; the caller closes it. */
    public static String of(InputStream in) throws IOException {
        return withPrefixes(in).sha256();
    }

    /**
     * As {@link #of(InputStream)}, keeping the digest's state at every whole mebibyte, so that the SHA-256 of a
     * content that begins with the same bytes can continue from there ({@link Prefixes#continued}).
     */
    public static Prefixes withPrefixes(InputStream in) throws IOException {
        MessageDigest digest = digest();
        List<MessageDigest> states = new ArrayList<>(List.of(copy(digest)));
        byte[] buffer = new byte[64 * 1024];
        long hashed = 0;
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
            for (int from = 0; from < read; ) {
                if (hashed == (long) states.size() * PREFIX_STEP) {
                    states.add(copy(digest));
                }
                // A call never crosses a mebibyte, so that a short read cannot skip a state.
                int length = (int) Math.min(Math.min(UPDATE, read - from), PREFIX_STEP - hashed % PREFIX_STEP);
                digest.update(buffer, from, length);
                from += length;
                hashed += length;
            }
        }
        return new Prefixes(HexFormat.of().formatHex(digest.digest()), hashed, states);
    }

    private static MessageDigest copy(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 digest can be cloned", e);
        }
    }

    /**
     * A content's SHA-256 and the digest's state after each of its whole mebibytes: a pruned model patched from its
     * original keeps the original's bytes up to its first changed tensor (a transformer's word table comes first, half
     * the file), so its SHA-256 need only hash the rest. Immutable: the states are copied before they are used.
     */
    public static final class Prefixes {

        private final String sha256;
        private final long length;
        private final List<MessageDigest> states;

        private Prefixes(String sha256, long length, List<MessageDigest> states) {
            this.sha256 = sha256;
            this.length = length;
            this.states = List.copyOf(states);
        }

        /** The SHA-256 of the whole content, as lowercase hex. */
        public String sha256() {
            return sha256;
        }

        /**
         * The SHA-256 (lowercase hex) of {@code content} from position 0 to its limit, whose first {@code sameUpTo}
         * bytes are this content's: hashed from the last state kept within them.
         */
        public String continued(ByteBuffer content, long sameUpTo) {
            long shared = Math.min(Math.min(sameUpTo, length), content.limit());
            int state = (int) Math.min(shared / PREFIX_STEP, states.size() - 1L);
            MessageDigest digest = copy(states.get(state));
            digest.update(content.duplicate().position(state * PREFIX_STEP));
            return HexFormat.of().formatHex(digest.digest());
        }
    }
}

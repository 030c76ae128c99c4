package io.github.onnxprune.ship;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as this plugin records them: lowercase hex. */
public final class Sha256 {

    /**
     * Bytes handed to the digest per call. In a build's new JVM the digest's update method must be called often to
     * be compiled soon with the SHA-NI intrinsic while the compiler is busy with everything else: in 64 KiB calls a
     * loaded build's recording showed the Java code, several times slower, hashing most of a 90 MB model
     * (docs/minilm-benchmark.md).
     */
    private static final int UPDATE = 1024;

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
        MessageDigest digest = digest();
        byte[] buffer = new byte[64 * 1024];
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
            for (int from = 0; from < read; from += UPDATE) {
                digest.update(buffer, from, Math.min(UPDATE, read - from));
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}

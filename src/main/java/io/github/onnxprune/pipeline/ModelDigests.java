package io.github.onnxprune.pipeline;

import java.nio.ByteBuffer;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The SHA-256 of each model a run ships, computed once: the record of replaced jar entries and the stored result
 * both name a pruned model by it, and hashing 90 MB costs about a quarter of a second each time.
 */
final class ModelDigests {

    private final Map<ByteBuffer, String> digests = new IdentityHashMap<>();

    /** The SHA-256 (lowercase hex) of {@code bytes} from position 0 to its limit; the same buffer is hashed once. */
    String of(ByteBuffer bytes) {
        return digests.computeIfAbsent(bytes, RunFingerprint::sha256);
    }

    /** Records the SHA-256 of {@code bytes} known otherwise (a stored model whose file is unchanged). */
    void remember(ByteBuffer bytes, String sha256) {
        digests.put(bytes, sha256);
    }
}

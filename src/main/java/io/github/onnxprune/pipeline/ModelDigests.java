package io.github.onnxprune.pipeline;

import io.github.onnxprune.ship.TaskResults;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.FutureTask;

/**
 * The SHA-256 of each model a run ships, computed once: the record of replaced jar entries and the stored result
 * both name a pruned model by it, and hashing 90 MB costs about a quarter of a second each time. Thread-safe: the
 * digests can be computed on a second thread while the jar entries are deflated ({@link #computeBeside}). A model
 * patched from its original hashes only what follows the original's bytes it kept, from the digest's state the
 * fingerprint left there ({@link #continueFromOriginal}).
 */
final class ModelDigests {

    private final Map<ByteBuffer, FutureTask<String>> digests = new IdentityHashMap<>();
    private final Map<ByteBuffer, OriginalPrefix> prefixes = new IdentityHashMap<>();
    private final KnownDigests known;

    /** Digests that continue from the states {@code known} kept of the files this run hashed. */
    ModelDigests(KnownDigests known) {
        this.known = known;
    }

    /**
     * Lets the SHA-256 of {@code bytes}, whose first {@code length} bytes are {@code original}'s, continue from that
     * file's digest there, when the fingerprint hashed it in this run and its stamp has not changed since; otherwise
     * all of them are hashed.
     */
    void continueFromOriginal(ByteBuffer bytes, Path original, int length) {
        if (length > 0) {
            synchronized (digests) {
                prefixes.put(bytes, new OriginalPrefix(original, length));
            }
        }
    }

    /** The SHA-256 (lowercase hex) of {@code bytes} from position 0 to its limit; the same buffer is hashed once. */
    String of(ByteBuffer bytes) {
        FutureTask<String> task = task(bytes);
        // Runs it here unless another thread already does (then waits for that one) or did.
        task.run();
        // An Error (OutOfMemoryError, a mapped file's InternalError) stays itself, so the run words it as such.
        return TaskResults.getUnchecked(task, "hashing a model");
    }

    /** Records the SHA-256 of {@code bytes} known otherwise (a stored model whose file is unchanged). */
    void remember(ByteBuffer bytes, String sha256) {
        FutureTask<String> known = new FutureTask<>(() -> sha256);
        known.run();
        synchronized (digests) {
            digests.put(bytes, known);
        }
    }

    /** Starts hashing each of {@code models} on a daemon thread; {@link #of} then waits for it rather than hashing. */
    void computeBeside(Collection<ByteBuffer> models) {
        List<FutureTask<String>> tasks = new ArrayList<>();
        models.forEach(bytes -> tasks.add(task(bytes)));
        Thread hashing = new Thread(() -> tasks.forEach(FutureTask::run), "onnx-prune-digest");
        hashing.setDaemon(true);
        hashing.start();
    }

    private FutureTask<String> task(ByteBuffer bytes) {
        synchronized (digests) {
            return digests.computeIfAbsent(bytes, b -> new FutureTask<>(() -> sha256(b)));
        }
    }

    private String sha256(ByteBuffer bytes) {
        OriginalPrefix prefix;
        synchronized (digests) {
            prefix = prefixes.get(bytes);
        }
        Optional<String> continued = prefix == null ? Optional.empty() : known.prefixesIfUnchanged(prefix.file())
                .map(original -> original.continued(bytes, prefix.length()));
        return continued.orElseGet(() -> RunFingerprint.sha256(bytes));
    }

    /** The first {@code length} bytes of a model to ship are those of the model file {@code file}. */
    private record OriginalPrefix(Path file, int length) {
    }
}

package io.github.onnxprune.ship;

import com.sun.management.OperatingSystemMXBean;
import io.github.onnxprune.onnx.ModelBytes;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Deflates one file with {@link ChunkedDeflate} in a new JVM: round 0 is the encoders' first use, as in a build,
 * the later rounds are warm. Prints each round's wall time, the process's CPU time (the JIT's compiler threads
 * included) and the calling thread's, the stream's length and its CRC-32 (the same for any number of threads),
 * and how many chunks each method took. Arguments: the file, the threads, the rounds after round 0 and
 * optionally the bytes of a {@link DeflateWarmUp} run first. Not a test (docs/minilm-benchmark.md has the command
 * and the figures).
 */
public final class FirstUseDeflateBenchmark {

    private FirstUseDeflateBenchmark() {
    }

    /** Runs the rounds and prints one line each. */
    public static void main(String[] args) throws IOException {
        ByteBuffer content = ModelBytes.map(Path.of(args[0]));
        int threads = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var thread = ManagementFactory.getThreadMXBean();
        if (args.length > 3) {
            int warmUp = Integer.parseInt(args[3]);
            long cpu = os.getProcessCpuTime();
            long wall = System.nanoTime();
            DeflateWarmUp.run(warmUp);
            System.out.printf(Locale.ROOT, "warm-up of %,d bytes: wall %5.0f ms, process cpu %5.0f ms%n", warmUp,
                    (System.nanoTime() - wall) / 1e6, (os.getProcessCpuTime() - cpu) / 1e6);
        }
        for (int round = 0; round <= rounds; round++) {
            long cpu = os.getProcessCpuTime();
            long own = thread.getCurrentThreadCpuTime();
            long wall = System.nanoTime();
            CrcSink sink = new CrcSink();
            ChunkedDeflate.Deflated deflated = ChunkedDeflate.deflate(content, threads, sink);
            long elapsed = System.nanoTime() - wall;
            System.out.printf(Locale.ROOT, "round %d, %d thread(s): wall %5.0f ms, process cpu %5.0f ms, this thread"
                    + " %5.0f ms; %,d bytes, crc %08x%n", round, threads, elapsed / 1e6,
                    (os.getProcessCpuTime() - cpu) / 1e6, (thread.getCurrentThreadCpuTime() - own) / 1e6,
                    deflated.compressedSize(), sink.crc.getValue());
        }
        Map<ChunkedDeflate.Method, Integer> methods = new EnumMap<>(ChunkedDeflate.Method.class);
        int count = (content.limit() + ChunkedDeflate.CHUNK - 1) / ChunkedDeflate.CHUNK;
        for (int i = 0; i < count; i++) {
            methods.merge(ChunkedDeflate.method(ChunkedDeflate.chunkOf(content, i)), 1, Integer::sum);
        }
        System.out.println("chunks per method: " + methods);
    }

    /** Discards the stream, keeping its CRC-32. */
    private static final class CrcSink extends OutputStream {
        private final CRC32 crc = new CRC32();

        @Override
        public void write(int b) {
            crc.update(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            crc.update(b, off, len);
        }
    }
}

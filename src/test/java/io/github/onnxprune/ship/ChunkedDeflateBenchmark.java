package io.github.onnxprune.ship;

import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.report.FileSizes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Deflates each model file given on the command line as jar tools store it (the default level, one stream on one
 * core) and as the plugin ships it ({@link ChunkedDeflate} on 1 and 2 threads), and prints each one's size and the
 * best of three wall times. Not a test (docs/minilm-benchmark.md has the command and the figures).
 */
public final class ChunkedDeflateBenchmark {

    private ChunkedDeflateBenchmark() {
    }

    /** Runs the benchmark on each file named. */
    public static void main(String[] args) throws IOException {
        for (String name : args) {
            ByteBuffer model = ModelBytes.map(Path.of(name));
            long jarTool = best(() -> FileSizes.jarToolDeflatedSize(model));
            long jarToolSize = FileSizes.jarToolDeflatedSize(model);
            System.out.printf(Locale.ROOT, "%s: %,d bytes%n", name, model.limit());
            System.out.printf(Locale.ROOT, "  default level, one stream:  %,d bytes (%.4f)  %.2f s%n", jarToolSize,
                    jarToolSize / (double) model.limit(), jarTool / 1e9);
            for (int threads : new int[] {1, 2}) {
                long time = best(() -> ChunkedDeflate.deflate(model, threads, OutputStream.nullOutputStream())
                        .compressedSize());
                long size = ChunkedDeflate.deflate(model, threads, OutputStream.nullOutputStream()).compressedSize();
                System.out.printf(Locale.ROOT, "  plugin, %d thread(s):        %,d bytes (%.4f, %.4fx the default"
                        + " level)"
                        + "  %.2f s%n", threads, size, size / (double) model.limit(), size / (double) jarToolSize,
                        time / 1e9);
            }
        }
    }

    /** Something deflated, returning its size. */
    private interface Deflating {
        long run() throws IOException;
    }

    private static long best(Deflating deflating) throws IOException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            deflating.run();
            best = Math.min(best, System.nanoTime() - start);
        }
        return best;
    }
}

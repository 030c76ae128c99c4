package io.github.onnxprune.eval;

import java.io.BufferedOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * How much heap reading a large validation set takes: {@code ReadMemoryBenchmark [rows] [columns]} (default
 * 100000 x 1000 float32, 400 MB) writes an .npz of random values to a temporary folder, reads it with the
 * plugin's reader and prints the outcome under the JVM's -Xmx; run it with different -Xmx values to find the
 * least heap that reads the file, and to see the clear failure below that.
 */
public final class ReadMemoryBenchmark {

    private ReadMemoryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int columns = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        Path folder = Files.createTempDirectory("onnx-prune-read");
        Path npz = folder.resolve("big.npz");
        try {
            write(npz, rows, columns);
            ModelSignature signature = new ModelSignature(
                    List.of(new TensorSpec("input", TensorKind.FLOAT, new long[] {-1, columns})),
                    List.of(new TensorSpec("output", TensorKind.FLOAT, new long[] {-1, 2})));
            long start = System.nanoTime();
            String outcome;
            try {
                ValidationData data = ValidationDataReader.read(npz, signature, null);
                outcome = "read " + data.sampleCount() + " samples";
            } catch (ValidationDataException | OutOfMemoryError e) {
                outcome = e.toString();
            }
            System.out.printf("%d x %d float32 (%d MiB, file %d MiB), -Xmx %d MiB: %s in %d ms%n", rows, columns,
                    4L * rows * columns >> 20, Files.size(npz) >> 20, Runtime.getRuntime().maxMemory() >> 20, outcome,
                    (System.nanoTime() - start) / 1_000_000);
        } finally {
            Files.deleteIfExists(npz);
            Files.deleteIfExists(folder);
        }
    }

    private static void write(Path npz, int rows, int columns) throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + columns + "), }";
        int padding = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(padding) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(npz)))) {
            zip.setLevel(1);
            zip.putNextEntry(new ZipEntry("input.npy"));
            zip.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length,
                    (byte) (header.length >> 8)});
            zip.write(header);
            ByteBuffer row = ByteBuffer.allocate(columns * 4).order(ByteOrder.LITTLE_ENDIAN);
            Random random = new Random(1);
            for (int r = 0; r < rows; r++) {
                row.clear();
                for (int c = 0; c < columns; c++) {
                    row.putFloat(random.nextFloat());
                }
                zip.write(row.array());
            }
            zip.closeEntry();
        }
    }
}

package io.github.onnxprune.prune.nodes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** The committed real-data fixtures and a minimal reader for their float32 validation inputs. */
final class Fixtures {

    /** A fixture model and where its validation inputs are. */
    record Fixture(String name, Path model, Path validation) {
    }

    static final Path ROOT = Path.of("src/test/resources/fixtures");

    private Fixtures() {
    }

    static List<Fixture> all() {
        return List.of(
                new Fixture("digits-mlp", ROOT.resolve("digits-mlp/model.onnx"), ROOT.resolve("digits-mlp/validation.npz")),
                new Fixture("wine-mlp", ROOT.resolve("wine-mlp/model.onnx"), ROOT.resolve("wine-mlp/npy/input.npy")),
                new Fixture("digits-cnn-bn", ROOT.resolve("digits-cnn/model-bn.onnx"),
                        ROOT.resolve("digits-cnn/validation.npz")),
                new Fixture("digits-cnn-folded", ROOT.resolve("digits-cnn/model-folded.onnx"),
                        ROOT.resolve("digits-cnn/validation.npz")),
                new Fixture("digits-ffn", ROOT.resolve("digits-ffn/model.onnx"), ROOT.resolve("digits-ffn/validation.npz")));
    }

    /** A float32 array and its shape. */
    record Array(float[] values, long[] shape) {
        /** The first {@code rows} samples. */
        Array head(int rows) {
            long[] newShape = shape.clone();
            newShape[0] = Math.min(rows, shape[0]);
            int per = values.length / (int) shape[0];
            float[] part = java.util.Arrays.copyOf(values, (int) newShape[0] * per);
            return new Array(part, newShape);
        }

        /** One sample with a batch dimension of 1. */
        Array sample(int index) {
            long[] newShape = shape.clone();
            newShape[0] = 1;
            int per = values.length / (int) shape[0];
            return new Array(java.util.Arrays.copyOfRange(values, index * per, index * per + per), newShape);
        }
    }

    /** Reads {@code input} from an .npy file or from input.npy inside an .npz archive. */
    static Array input(Path file) throws IOException {
        if (file.toString().endsWith(".npz")) {
            try (ZipFile zip = new ZipFile(file.toFile())) {
                ZipEntry entry = zip.getEntry("input.npy");
                try (InputStream in = zip.getInputStream(entry)) {
                    return npy(in.readAllBytes());
                }
            }
        }
        return npy(Files.readAllBytes(file));
    }

    /** Reads the first 100 labels (int64) next to an input, for accuracy printouts. */
    static long[] labels(Path file, int count) throws IOException {
        byte[] bytes;
        if (file.toString().endsWith(".npz")) {
            try (ZipFile zip = new ZipFile(file.toFile())) {
                try (InputStream in = zip.getInputStream(zip.getEntry("labels.npy"))) {
                    bytes = in.readAllBytes();
                }
            }
        } else {
            bytes = Files.readAllBytes(file.resolveSibling("labels.npy"));
        }
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
        if (!header.contains("'<i8'")) {
            throw new IOException("labels are not int64: " + header);
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        int available = (bytes.length - 10 - headerLength) / 8;
        long[] labels = new long[Math.min(count, available)];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = data.getLong();
        }
        return labels;
    }

    private static Array npy(byte[] bytes) throws IOException {
        if (bytes[0] != (byte) 0x93 || bytes[6] != 1) {
            throw new IOException("not a version 1 .npy file");
        }
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
        if (!header.contains("'<f4'") || header.contains("'fortran_order': True")) {
            throw new IOException("only C-order float32 arrays are read here: " + header);
        }
        Matcher matcher = Pattern.compile("'shape': \\(([^)]*)\\)").matcher(header);
        if (!matcher.find()) {
            throw new IOException("no shape in " + header);
        }
        long[] shape = java.util.Arrays.stream(matcher.group(1).split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        int count = 1;
        for (long dim : shape) {
            count *= (int) dim;
        }
        float[] values = new float[count];
        ByteBuffer.wrap(bytes, 10 + headerLength, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return new Array(values, shape);
    }
}

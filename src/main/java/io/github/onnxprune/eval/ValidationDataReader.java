package io.github.onnxprune.eval;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads validation data in any supported format and checks it against a model's signature.
 *
 * <p>The format follows from the path: a directory of {@code <input>.npy} files (plus {@code labels.npy}), a
 * {@code .npz} archive, a {@code .csv} file (one input of shape {@code [N, F]}), or an ONNX test-data folder
 * ({@code test_data_set_*} with {@code input_N.pb} and {@code output_0.pb}). Every problem is reported as a
 * {@link ValidationDataException} naming the file, the problem and the fix.
 */
public final class ValidationDataReader {

    /** Label array name used for .npy directories and .npz archives when none is configured. */
    public static final String DEFAULT_ARRAY_LABEL_NAME = "labels";

    /** Label column name used for .csv files when none is configured. */
    public static final String DEFAULT_CSV_LABEL_NAME = "label";

    private static final String FORMATS = "a directory of <input>.npy files, a .npz file, a .csv file or an ONNX "
            + "test-data folder (test_data_set_*)";

    private ValidationDataReader() {
    }

    /**
     * Reads validation data for a model: {@link #read(Path, ModelSignature, String, DataRole)} for
     * {@link DataRole#VALIDATION}.
     *
     * @param path a directory of .npy files, a .npz or .csv file, or an ONNX test-data folder
     * @param signature the model's signature: which inputs to read and which types and shapes they need
     * @param labelName the label array (npy/npz) or column (csv); {@code null} or blank for the default
     * @return the data, one tensor per model input in the model's order
     * @throws ValidationDataException when the data is missing, unreadable or does not fit the model
     */
    public static ValidationData read(Path path, ModelSignature signature, String labelName) {
        return read(path, signature, labelName, DataRole.VALIDATION);
    }

    /**
     * Reads validation or calibration data for a model.
     *
     * @param path a directory of .npy files, a .npz or .csv file, or an ONNX test-data folder
     * @param signature the model's signature: which inputs to read and which types and shapes they need
     * @param labelName the label array (npy/npz) or column (csv); {@code null} or blank for the default
     *     ({@value #DEFAULT_ARRAY_LABEL_NAME} or {@value #DEFAULT_CSV_LABEL_NAME}); ignored for ONNX test data
     * @param role which pom setting gave the path: every message names it
     * @return the data, one tensor per model input in the model's order
     * @throws ValidationDataException when the data is missing, unreadable or does not fit the model
     */
    public static ValidationData read(Path path, ModelSignature signature, String labelName, DataRole role) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(role, "role");
        String label = labelName == null || labelName.isBlank() ? null : labelName.trim();
        if (!Files.exists(path)) {
            throw new ValidationDataException(role.subject(path) + " does not exist. Point " + role.element()
                    + " at " + FORMATS + ".");
        }
        requireFeedableInputs(path, signature, role);
        if (Files.isDirectory(path)) {
            if (OnnxTestDataFormat.isTestData(path, role)) {
                return OnnxTestDataFormat.read(path, signature, role);
            }
            if (hasNpyFiles(path, role)) {
                return readArrays(new NpyDirectory(path, role), signature,
                        label == null ? DEFAULT_ARRAY_LABEL_NAME : label);
            }
            throw new ValidationDataException(role.subject(path) + " is a directory without .npy files or "
                    + "test_data_set_* folders. Put one <input name>.npy per model input (" + quotedInputs(signature)
                    + ")" + role.andLabelsNpy() + " in it, or point at " + FORMATS + " instead.");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npz")) {
            try (NpzArchive archive = NpzArchive.open(path, role)) {
                return readArrays(archive, signature, label == null ? DEFAULT_ARRAY_LABEL_NAME : label);
            }
        }
        if (name.endsWith(".csv")) {
            return CsvFormat.read(path, signature, label == null ? DEFAULT_CSV_LABEL_NAME : label, role);
        }
        if (name.endsWith(".npy")) {
            throw new ValidationDataException(role.subject(path) + " is a single .npy file. Point at the "
                    + "directory holding one <input name>.npy per model input (" + quotedInputs(signature)
                    + ")" + role.andLabelsNpy() + ", or bundle them into a .npz with numpy.savez.");
        }
        throw new ValidationDataException(role.subject(path) + " has an unrecognised format. Point "
                + role.element() + " at " + FORMATS + ".");
    }

    /** Rejects models whose inputs no supported file format can feed, before reading anything. */
    private static void requireFeedableInputs(Path path, ModelSignature signature, DataRole role) {
        if (signature.inputs().isEmpty()) {
            throw new ValidationDataException(role.subject(path) + " cannot be used: the model has no "
                    + "inputs to feed.");
        }
        for (TensorSpec spec : signature.inputs()) {
            if (!spec.elementType().isSupportedForData()) {
                throw new ValidationDataException(role.subject(path) + " cannot feed model input '"
                        + spec.name() + "': its element type is " + spec.elementType().displayName()
                        + ", and only float32, float64, int64, int32, uint8 and bool inputs are supported.");
            }
        }
    }

    // ---- .npy directories and .npz archives share one path: named arrays -------------------------------

    /** Named arrays in one container (a directory of .npy files or a .npz archive). */
    interface ArraySource {

        /** The container, for messages. */
        Path path();

        /** Which pom setting gave the container, for messages. */
        DataRole role();

        /** Names of the arrays it holds. */
        List<String> names();

        /** Reads one array; {@code subject} names it in messages. */
        Tensor read(String name, String subject) throws IOException;

        /** How messages name one array, for example {@code validation data a.npz: array 'input'}. */
        String subject(String name);

        /** The message for a model input with no array, including what the container does hold. */
        String missing(String name, ModelSignature signature);
    }

    static ValidationData readArrays(ArraySource source, ModelSignature signature, String labelName) {
        List<String> names = source.names();
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (TensorSpec spec : signature.inputs()) {
            if (!names.contains(spec.name())) {
                throw new ValidationDataException(source.missing(spec.name(), signature));
            }
            String subject = source.subject(spec.name());
            inputs.put(spec.name(), conformInput(readArray(source, spec.name(), subject), spec, subject,
                    source.role()));
        }
        int samples = requireSameSampleCount(inputs, source::subject, source.role());
        long[] labels = null;
        if (names.contains(labelName)) {
            String subject = source.subject(labelName);
            labels = conformLabels(readArray(source, labelName, subject), samples, subject, source.role());
        }
        return new ValidationData(inputs, labels, null, source.path());
    }

    private static Tensor readArray(ArraySource source, String name, String subject) {
        try {
            return source.read(name, subject);
        } catch (ZipException e) {
            throw new ValidationDataException(subject + " cannot be unpacked (" + e.getMessage() + "). Save the "
                    + "archive again with numpy.savez or numpy.savez_compressed.", e);
        } catch (IOException e) {
            throw new ValidationDataException(subject + " cannot be read (" + describe(e) + "). Check that the "
                    + "file is readable.", e);
        }
    }

    /** Directory of {@code <name>.npy} files. */
    record NpyDirectory(Path path, DataRole role) implements ArraySource {

        @Override
        public List<String> names() {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(path, "*.npy")) {
                List<String> names = new ArrayList<>();
                for (Path file : files) {
                    if (Files.isRegularFile(file)) {
                        String fileName = file.getFileName().toString();
                        names.add(fileName.substring(0, fileName.length() - ".npy".length()));
                    }
                }
                names.sort(null);
                return names;
            } catch (IOException e) {
                throw new ValidationDataException(role.subject(path) + " cannot be listed (" + describe(e)
                        + "). Check that the directory is readable.", e);
            }
        }

        @Override
        public Tensor read(String name, String subject) throws IOException {
            Path file = path.resolve(name + ".npy");
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
                return NpyFormat.read(in, subject, Files.size(file));
            }
        }

        @Override
        public String subject(String name) {
            return role.subject(path.resolve(name + ".npy"));
        }

        @Override
        public String missing(String name, ModelSignature signature) {
            return role.subject(path) + " has no " + name + ".npy for model input '" + name + "'; it holds "
                    + names().stream().map(n -> n + ".npy").collect(Collectors.joining(", ")) + ". Save one "
                    + "<input name>.npy per model input (" + quotedInputs(signature) + ")" + role.andLabelsNpy() + ".";
        }
    }

    /** A {@code .npz} archive: a zip of .npy files, stored or deflated. */
    static final class NpzArchive implements ArraySource, AutoCloseable {

        /** Deflate's best ratio is about 1030:1, reached only by long runs of one byte value. */
        static final long BOMB_RATIO = 1000;

        /** Entries below this size are read whatever their ratio: they cannot exhaust the heap. */
        static final long BOMB_MIN_BYTES = 16L << 20;

        private final Path path;
        private final DataRole role;
        private final ZipFile zip;
        private final Map<String, ZipEntry> entries = new LinkedHashMap<>();

        private NpzArchive(Path path, DataRole role, ZipFile zip) {
            this.path = path;
            this.role = role;
            this.zip = zip;
            for (Enumeration<? extends ZipEntry> all = zip.entries(); all.hasMoreElements(); ) {
                ZipEntry entry = all.nextElement();
                if (!entry.isDirectory() && entry.getName().endsWith(".npy")) {
                    entries.put(entry.getName().substring(0, entry.getName().length() - ".npy".length()), entry);
                }
            }
        }

        static NpzArchive open(Path path, DataRole role) {
            try {
                return new NpzArchive(path, role, new ZipFile(path.toFile()));
            } catch (ZipException e) {
                throw new ValidationDataException(role.subject(path) + " is not a readable .npz (zip) "
                        + "archive (" + e.getMessage() + "). Save it with numpy.savez or numpy.savez_compressed.", e);
            } catch (IOException e) {
                throw new ValidationDataException(role.subject(path) + " cannot be read (" + describe(e)
                        + "). Check that the file is readable.", e);
            }
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public DataRole role() {
            return role;
        }

        @Override
        public List<String> names() {
            return List.copyOf(entries.keySet());
        }

        @Override
        public Tensor read(String name, String subject) throws IOException {
            ZipEntry entry = entries.get(name);
            long size = entry.getSize();
            long compressed = entry.getCompressedSize();
            if (size > BOMB_MIN_BYTES && compressed > 0 && size / compressed > BOMB_RATIO) {
                throw new ValidationDataException(subject + " inflates from " + compressed + " to " + size
                        + " bytes, more than " + BOMB_RATIO + "-fold, which only an archive built to exhaust memory"
                        + " (or an array of one repeated value) reaches. Save the real " + role.set() + " with"
                        + " numpy.savez or numpy.savez_compressed.");
            }
            try (InputStream in = new BufferedInputStream(zip.getInputStream(entry))) {
                // An entry whose size is not recorded is bounded by the heap check alone.
                return NpyFormat.read(in, subject, size >= 0 ? size : Long.MAX_VALUE);
            }
        }

        @Override
        public String subject(String name) {
            return role.subject(path) + ": array '" + name + "'";
        }

        @Override
        public String missing(String name, ModelSignature signature) {
            String held = entries.isEmpty() ? "no arrays at all"
                    : "arrays " + entries.keySet().stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
            return role.subject(path) + " has no array '" + name + "' for model input '" + name + "'; it holds "
                    + held + ". Save it with numpy.savez(path, " + name + "=inputs" + role.andLabelsKeyword()
                    + "), one keyword per model input (" + quotedInputs(signature) + ").";
        }

        @Override
        public void close() {
            try {
                zip.close();
            } catch (IOException e) {
                // Nothing was written; a failure to release a read-only handle changes no result.
            }
        }
    }

    // ---- checks shared by every format ------------------------------------------------------------------

    /**
     * Converts an array to the input's element type where that is lossless and harmless, and checks its
     * shape against the input's declared shape.
     */
    static Tensor conformInput(Tensor raw, TensorSpec spec, String subject, DataRole role) {
        Tensor converted = convertForInput(raw, spec, subject);
        long[] actual = converted.shape();
        long[] expected = spec.shape();
        if (actual.length == 0) {
            throw new ValidationDataException(subject + " is a scalar but model input '" + spec.name() + "' expects "
                    + spec.displayShape() + ". Export the " + role.set() + " with one row per sample.");
        }
        if (expected != null) {
            boolean matches = actual.length == expected.length;
            for (int i = 1; matches && i < actual.length; i++) {
                matches = expected[i] < 0 || expected[i] == actual[i];
            }
            if (!matches) {
                throw new ValidationDataException(subject + " has shape " + Shapes.format(actual) + " but model input '"
                        + spec.name() + "' expects " + spec.displayShape() + ". Export the " + role.set() + " with the "
                        + "model's input shape.");
            }
            long batch = expected[0];
            if (batch > 0 && actual[0] % batch != 0) {
                throw new ValidationDataException(subject + " has " + actual[0] + " samples but model input '"
                        + spec.name() + "' has a fixed batch size of " + batch + " (shape " + spec.displayShape()
                        + "), so the number of samples must be a multiple of " + batch + ". Drop the extra samples "
                        + "or export the model with a dynamic batch dimension.");
            }
        }
        return converted;
    }

    private static Tensor convertForInput(Tensor raw, TensorSpec spec, String subject) {
        TensorKind from = raw.elementType();
        TensorKind to = spec.elementType();
        if (from == to) {
            return raw;
        }
        // Only conversions that can neither lose precision nor change meaning: uint8 to float is refused on
        // purpose, because image models usually expect scaled values and a silent cast would hide that.
        boolean widening = (from == TensorKind.FLOAT && to == TensorKind.DOUBLE)
                || (from == TensorKind.INT32 && to == TensorKind.INT64)
                || (from == TensorKind.UINT8 && (to == TensorKind.INT32 || to == TensorKind.INT64));
        if (widening) {
            return raw.convertTo(to);
        }
        throw new ValidationDataException(subject + " holds " + from.displayName() + " values but model input '"
                + spec.name() + "' expects " + to.displayName() + ". Save it as " + to.displayName()
                + " (numpy: array.astype('" + to.displayName() + "')).");
    }

    /** Turns an integer array of shape {@code [N]} or {@code [N, 1]} into one label per sample. */
    static long[] conformLabels(Tensor raw, int samples, String subject, DataRole role) {
        if (!raw.elementType().isInteger()) {
            throw new ValidationDataException(subject + " holds " + raw.elementType().displayName() + " values, but "
                    + "labels must be integer class indices. Save them as int64 (numpy: labels.astype('int64')).");
        }
        long[] shape = raw.shape();
        boolean column = shape.length == 1 || (shape.length == 2 && shape[1] == 1);
        if (!column) {
            throw new ValidationDataException(subject + " has shape " + Shapes.format(shape) + " but labels must "
                    + "have shape [N]: one class index per sample. Save the class indices, not one-hot rows "
                    + "(numpy: labels.argmax(axis=1)).");
        }
        if (shape[0] != samples) {
            throw new ValidationDataException(subject + " holds " + shape[0] + " labels but the inputs hold "
                    + samples + " samples. Export inputs and labels from the same " + role.set() + ".");
        }
        long[] labels = new long[samples];
        for (int i = 0; i < samples; i++) {
            labels[i] = raw.longAt(i);
        }
        return labels;
    }

    /** Checks that all inputs hold the same number of samples, at least one, and returns it. */
    static int requireSameSampleCount(Map<String, Tensor> inputs, java.util.function.Function<String, String> subject,
            DataRole role) {
        String firstName = null;
        int samples = -1;
        for (Map.Entry<String, Tensor> entry : inputs.entrySet()) {
            int rows = entry.getValue().sampleCount();
            if (firstName == null) {
                firstName = entry.getKey();
                samples = rows;
            } else if (rows != samples) {
                throw new ValidationDataException(subject.apply(entry.getKey()) + " holds " + rows + " samples but "
                        + "the data for model input '" + firstName + "' holds " + samples + ". Export all inputs "
                        + "from the same " + role.set() + ".");
            }
        }
        if (samples == 0) {
            throw new ValidationDataException(subject.apply(firstName) + " holds no samples. Export a non-empty "
                    + role.set() + ".");
        }
        return samples;
    }

    static String quotedInputs(ModelSignature signature) {
        return signature.inputNames().stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
    }

    static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static boolean hasNpyFiles(Path directory, DataRole role) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.npy")) {
            return files.iterator().hasNext();
        } catch (IOException e) {
            throw new ValidationDataException(role.subject(directory) + " cannot be listed (" + describe(e)
                    + "). Check that the directory is readable.", e);
        }
    }
}

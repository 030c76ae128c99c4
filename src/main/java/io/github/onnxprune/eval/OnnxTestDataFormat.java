package io.github.onnxprune.eval;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ONNX's own test-data layout: {@code test_data_set_N} folders holding {@code input_N.pb} and
 * {@code output_N.pb} TensorProto files, as the ONNX model zoo and {@code onnx.backend.test} use.
 *
 * <p>Each folder is one batch; several folders are joined along the sample dimension in the order of their
 * numbers. {@code output_0.pb} supplies labels when it holds integers and reference outputs (whose argmax is
 * the label) when it holds floats. When some sets hold labels and others reference outputs, the reference
 * rows are turned into their argmax so that every sample has a label, and no reference outputs are kept.
 */
final class OnnxTestDataFormat {

    private static final Pattern SET = Pattern.compile("test_data_set_(\\d+)");
    private static final Pattern INPUT = Pattern.compile("input_(\\d+)\\.pb");
    private static final String OUTPUT = "output_0.pb";

    private OnnxTestDataFormat() {
    }

    /** Whether the directory is a {@code test_data_set_N} folder or holds some. */
    static boolean isTestData(Path directory, DataRole role) {
        return isSet(directory) || !sets(directory, role).isEmpty();
    }

    static ValidationData read(Path path, ModelSignature signature, DataRole role) {
        List<Path> sets = isSet(path) ? List.of(path) : sets(path, role);
        Map<String, List<Tensor>> inputParts = new LinkedHashMap<>();
        signature.inputNames().forEach(name -> inputParts.put(name, new ArrayList<>()));
        // One entry per set: long[] labels or float[][] reference rows.
        List<Object> expectedParts = new ArrayList<>();
        Path firstSet = sets.get(0);
        boolean outputsPresent = Files.isRegularFile(firstSet.resolve(OUTPUT));
        for (Path set : sets) {
            Map<String, Tensor> inputs = readInputs(set, signature, role);
            Map<String, String> subjects = new LinkedHashMap<>();
            inputs.keySet().forEach(name -> subjects.put(name, role.subject(set) + ": tensor '" + name + "'"));
            int samples = ValidationDataReader.requireSameSampleCount(inputs, subjects::get, role);
            inputs.forEach((name, tensor) -> inputParts.get(name).add(tensor));

            Path output = set.resolve(OUTPUT);
            if (Files.isRegularFile(output) != outputsPresent) {
                throw new ValidationDataException(role.subject(path) + ": " + firstSet.getFileName()
                        + (outputsPresent ? " has " : " has no ") + OUTPUT + " but " + set.getFileName()
                        + (outputsPresent ? " has none" : " has one") + ". Give every test_data_set the same files.");
            }
            if (outputsPresent) {
                String subject = role.subject(output);
                Tensor expected = TensorProtos.decode(parse(output, role), subject);
                if (expected.elementType().isInteger()) {
                    expectedParts.add(ValidationDataReader.conformLabels(expected, samples, subject, role));
                } else {
                    expectedParts.add(referenceRows(expected, samples, subject));
                }
            }
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputParts.forEach((name, parts) -> inputs.put(name, joinInputs(parts, name, path, role)));
        if (!outputsPresent) {
            return new ValidationData(inputs, null, null, path);
        }
        boolean allFloat = expectedParts.stream().allMatch(part -> part instanceof float[][]);
        if (allFloat) {
            float[][] references = expectedParts.stream().flatMap(part -> java.util.Arrays.stream((float[][]) part))
                    .toArray(float[][]::new);
            requireOneWidth(references, path, role);
            return new ValidationData(inputs, null, references, path);
        }
        // Some sets hold labels and some reference outputs: a reference row stands for the label it predicts.
        long[] labels = expectedParts.stream()
                .flatMapToLong(part -> java.util.Arrays.stream(part instanceof long[] known ? known
                        : argmaxLabels((float[][]) part)))
                .toArray();
        return new ValidationData(inputs, labels, null, path);
    }

    private static long[] argmaxLabels(float[][] references) {
        long[] labels = new long[references.length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = Metric.argmax(references[i]);
        }
        return labels;
    }

    private static void requireOneWidth(float[][] references, Path path, DataRole role) {
        int width = references[0].length;
        for (float[] row : references) {
            if (row.length != width) {
                throw new ValidationDataException(role.subject(path) + ": the " + OUTPUT + " files hold "
                        + "rows of different widths (" + width + " and " + row.length + "). Export every "
                        + "test_data_set from the same model.");
            }
        }
    }

    /** Reads one folder's {@code input_N.pb} files and assigns them to model inputs. */
    private static Map<String, Tensor> readInputs(Path set, ModelSignature signature, DataRole role) {
        TreeMap<Integer, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(set, "input_*.pb")) {
            for (Path file : entries) {
                Matcher matcher = INPUT.matcher(file.getFileName().toString());
                if (matcher.matches()) {
                    files.put(Integer.parseInt(matcher.group(1)), file);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new ValidationDataException(role.subject(set) + " cannot be listed (" + e + "). Check that "
                    + "the directory is readable.", e);
        }
        if (files.isEmpty()) {
            throw new ValidationDataException(role.subject(set) + " has no input_N.pb files. An ONNX "
                    + "test_data_set folder needs input_0.pb, input_1.pb, ... one per model input ("
                    + ValidationDataReader.quotedInputs(signature) + ").");
        }
        List<TensorSpec> specs = signature.inputs();
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Map.Entry<Integer, Path> entry : files.entrySet()) {
            Path file = entry.getValue();
            OnnxMl.TensorProto proto = parse(file, role);
            // The tensor's own name wins when it names a model input; otherwise ONNX's convention applies:
            // input_N.pb feeds the N-th real input.
            TensorSpec spec = signature.input(proto.getName()).orElse(null);
            if (spec == null) {
                if (entry.getKey() >= specs.size()) {
                    throw new ValidationDataException(role.subject(file) + " is input number " + entry.getKey()
                            + (proto.getName().isEmpty() ? "" : " (named '" + proto.getName() + "')") + " but the "
                            + "model has only " + specs.size() + " input(s): " + ValidationDataReader.quotedInputs(
                            signature) + ". Remove the file or name the tensor after a model input.");
                }
                spec = specs.get(entry.getKey());
            }
            if (byName.containsKey(spec.name())) {
                throw new ValidationDataException(role.subject(file) + " feeds model input '" + spec.name()
                        + "', which another input_N.pb in " + set.getFileName() + " already feeds. Name each tensor "
                        + "after its model input, or number the files in the model's input order.");
            }
            String subject = role.subject(file);
            byName.put(spec.name(), ValidationDataReader.conformInput(TensorProtos.decode(proto, subject), spec,
                    subject, role));
        }
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (TensorSpec spec : specs) {
            Tensor tensor = byName.get(spec.name());
            if (tensor == null) {
                throw new ValidationDataException(role.subject(set) + " has no tensor for model input '"
                        + spec.name() + "'. Add input_N.pb files for every model input ("
                        + ValidationDataReader.quotedInputs(signature) + ").");
            }
            ordered.put(spec.name(), tensor);
        }
        return ordered;
    }

    private static float[][] referenceRows(Tensor expected, int samples, String subject) {
        int count = expected.elementCount();
        if (count % samples != 0) {
            throw new ValidationDataException(subject + " has shape " + Shapes.format(expected.shape()) + ", which "
                    + "does not split into one row per sample for " + samples + " samples. Export the model's "
                    + "output for exactly the inputs of this test_data_set.");
        }
        int width = count / samples;
        float[][] rows = new float[samples][width];
        for (int i = 0; i < samples; i++) {
            for (int j = 0; j < width; j++) {
                rows[i][j] = (float) expected.doubleAt(i * width + j);
            }
        }
        return rows;
    }

    private static Tensor joinInputs(List<Tensor> parts, String name, Path path, DataRole role) {
        try {
            return Tensor.concat(parts);
        } catch (IllegalArgumentException e) {
            throw new ValidationDataException(role.subject(path) + ": the tensors for model input '" + name
                    + "' differ in type or in dimensions after the first across test_data_set folders, so they "
                    + "cannot be joined. Export every test_data_set with the same shape.", e);
        }
    }

    private static OnnxMl.TensorProto parse(Path file, DataRole role) {
        try {
            String subject = role.subject(file);
            // The message, its decoded tensor and the tensor's copy are alive at once: three times the file.
            DataLimits.requireHeap(Files.size(file) * 3 / DataLimits.COPIES, subject);
            CodedInputStream input = CodedInputStream.newInstance(Files.readAllBytes(file));
            input.setSizeLimit(Integer.MAX_VALUE);
            return OnnxMl.TensorProto.parseFrom(input);
        } catch (InvalidProtocolBufferException e) {
            throw new ValidationDataException(role.subject(file) + " is not a serialized ONNX TensorProto ("
                    + e.getMessage() + "). Write it with onnx.numpy_helper.from_array(array, name)"
                    + ".SerializeToString().", e);
        } catch (IOException e) {
            throw new ValidationDataException(role.subject(file) + " cannot be read ("
                    + ValidationDataReader.describe(e) + "). Check that the file is readable.", e);
        }
    }

    private static boolean isSet(Path directory) {
        return SET.matcher(directory.getFileName() == null ? "" : directory.getFileName().toString()).matches();
    }

    /** The {@code test_data_set_N} subfolders, by number (so 10 comes after 9). */
    private static List<Path> sets(Path directory, DataRole role) {
        List<Path> sets = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "test_data_set_*")) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry) && isSet(entry)) {
                    sets.add(entry);
                }
            }
        } catch (IOException e) {
            throw new ValidationDataException(role.subject(directory) + " cannot be listed ("
                    + ValidationDataReader.describe(e) + "). Check that the directory is readable.", e);
        }
        sets.sort(Comparator.comparing(OnnxTestDataFormat::setNumber)
                .thenComparing(entry -> entry.getFileName().toString()));
        return sets;
    }

    private static long setNumber(Path set) {
        Matcher matcher = SET.matcher(set.getFileName().toString());
        if (!matcher.matches()) {
            return Long.MAX_VALUE;
        }
        String digits = matcher.group(1);
        // Absurdly long numbers sort last rather than overflow.
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }
}

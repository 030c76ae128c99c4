package io.github.onnxprune.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Comma-separated validation data for a model with one input of shape {@code [N, F]}: a header row, one
 * row per sample, a label column anywhere, every other column a feature in order.
 *
 * <p>Cells are split on plain commas (no quoted commas): tabular validation sets are numbers, and a full CSV
 * dialect would add a dependency for nothing. Surrounding whitespace and double quotes are tolerated. Cells
 * hold plain decimal numbers only (no Java literals such as {@code 2.5f} or {@code 0x1p4}, no NaN or Infinity).
 */
final class CsvFormat {

    /** A plain decimal, possessive so that no cell can make the match backtrack. */
    private static final Pattern DECIMAL = Pattern.compile(
            "[+-]?+(?:\\d++(?:\\.\\d*+)?+|\\.\\d++)(?:[eE][+-]?+\\d++)?+");

    private CsvFormat() {
    }

    static ValidationData read(Path path, ModelSignature signature, String labelName, DataRole role) {
        TensorSpec spec = singleMatrixInput(path, signature, role);
        try (BufferedReader reader = open(path, role)) {
            return read(path, reader, spec, labelName, role);
        } catch (CharacterCodingException e) {
            throw new ValidationDataException(role.subject(path) + " is not UTF-8 text. Save the CSV file "
                    + "as UTF-8.", e);
        } catch (IOException e) {
            throw new ValidationDataException(role.subject(path) + " cannot be read ("
                    + ValidationDataReader.describe(e) + "). Check that the file is readable.", e);
        }
    }

    /** Header names that usually hold the class, for the example in the advice when no column is the label. */
    private static final List<String> LABEL_LIKE = List.of("label", "labels", "class", "target", "y", "category");

    private static Optional<String> likelyLabel(String[] header) {
        return Arrays.stream(header).filter(cell -> LABEL_LIKE.contains(cell.toLowerCase(Locale.ROOT))).findFirst();
    }

    private static ValidationData read(Path path, BufferedReader reader, TensorSpec spec, String labelName,
            DataRole role)
            throws IOException {
        String first = reader.readLine();
        if (first != null && first.startsWith("\uFEFF")) {
            first = first.substring(1); // byte-order mark written by some spreadsheet tools
        }
        if (first == null || first.isBlank()) {
            throw new ValidationDataException(role.subject(path) + " is empty: line 1 must be a header row "
                    + "naming the columns. Export the " + role.set() + " with a header.");
        }
        String[] header = cells(first);
        int labelColumn = -1;
        for (int c = 0; c < header.length; c++) {
            if (header[c].equals(labelName)) {
                labelColumn = c;
                break;
            }
        }
        int featureCount = header.length - (labelColumn >= 0 ? 1 : 0);
        long[] expected = spec.shape();
        if (expected != null && expected[1] >= 0 && expected[1] != featureCount) {
            String labelHint = labelColumn >= 0
                    ? "every column except the label column '" + labelName + "' is a feature"
                    : "no column is named '" + labelName + "', so every column counts as a feature; if one of them "
                            + "holds the labels, name it with <labelName>" + likelyLabel(header)
                            .map(name -> ", e.g. <labelName>" + name + "</labelName>").orElse("");
            throw new ValidationDataException(role.subject(path) + " has " + featureCount + " feature "
                    + "columns but model input '" + spec.name() + "' expects " + spec.displayShape() + " ("
                    + labelHint + "). Export one column per model feature.");
        }

        List<double[]> rows = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        int lineNumber = 1;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            String[] cells = cells(line);
            if (cells.length != header.length) {
                throw new ValidationDataException(role.subject(path) + ": line " + lineNumber + " has "
                        + cells.length + " cells but the header has " + header.length + " columns. Give every row "
                        + "one value per column (commas inside values are not supported).");
            }
            double[] features = new double[featureCount];
            int feature = 0;
            for (int c = 0; c < cells.length; c++) {
                double value = parse(path, lineNumber, c, header[c], cells[c], role);
                if (c == labelColumn) {
                    if (value != Math.rint(value) || Math.abs(value) > 1L << 53) {
                        throw new ValidationDataException(role.subject(path) + ": line " + lineNumber
                                + ", column " + (c + 1) + " ('" + header[c] + "') holds '" + cells[c] + "', which is "
                                + "not an integer class index. Labels must be whole numbers such as 0, 1, 2.");
                    }
                    labels.add((long) value);
                } else {
                    requireFitsInput(path, spec, lineNumber, c, header[c], cells[c], value, role);
                    // Rounding the decimal once, straight to float, keeps "shortest float32" text exact;
                    // going through double first could round twice. Widening the float back is exact.
                    double stored = spec.elementType() == TensorKind.FLOAT ? Float.parseFloat(cells[c]) : value;
                    if (!Double.isFinite(stored)) {
                        throw new ValidationDataException(role.subject(path) + ": line " + lineNumber
                                + ", column " + (c + 1) + " ('" + header[c] + "') holds '" + cells[c] + "', beyond"
                                + " the range of " + spec.elementType().displayName() + " (it would be infinite)."
                                + " Scale the feature or fix the cell.");
                    }
                    features[feature++] = stored;
                }
            }
            rows.add(features);
        }
        if (rows.isEmpty()) {
            throw new ValidationDataException(role.subject(path) + " has a header but no data rows. Export "
                    + "a non-empty " + role.set() + ".");
        }
        Tensor input = toTensor(spec, rows, featureCount);
        long[] labelArray = labelColumn < 0 ? null : labels.stream().mapToLong(Long::longValue).toArray();
        return new ValidationData(java.util.Map.of(spec.name(), input), labelArray, null, path);
    }

    private static TensorSpec singleMatrixInput(Path path, ModelSignature signature, DataRole role) {
        List<TensorSpec> inputs = signature.inputs();
        if (inputs.size() != 1 || inputs.get(0).rank() != 2) {
            throw new ValidationDataException(role.subject(path) + " is a CSV file, which can only feed a "
                    + "model with exactly one input of shape [N, F]; this model has " + describe(inputs) + ". Use a "
                    + ".npz file or a directory of .npy files instead.");
        }
        TensorSpec spec = inputs.get(0);
        TensorKind kind = spec.elementType();
        if (kind != TensorKind.FLOAT && kind != TensorKind.DOUBLE && kind != TensorKind.INT64
                && kind != TensorKind.INT32) {
            throw new ValidationDataException(role.subject(path) + " is a CSV file, which can feed float32, "
                    + "float64, int64 and int32 inputs, but model input '" + spec.name() + "' is "
                    + kind.displayName() + ". Use a .npz file or a directory of .npy files instead.");
        }
        return spec;
    }

    private static String describe(List<TensorSpec> inputs) {
        if (inputs.isEmpty()) {
            return "no inputs";
        }
        List<String> parts = new ArrayList<>();
        for (TensorSpec spec : inputs) {
            parts.add("'" + spec.name() + "' " + spec.displayShape());
        }
        return "input" + (inputs.size() == 1 ? " " : "s ") + String.join(", ", parts);
    }

    private static BufferedReader open(Path path, DataRole role) throws IOException {
        // Every value is parsed into a double and then into the input's type: a few times the text at most.
        DataLimits.requireHeap(Files.size(path) * 3, role.subject(path));
        return Files.newBufferedReader(path, StandardCharsets.UTF_8);
    }

    private static String[] cells(String line) {
        String[] cells = line.split(",", -1);
        for (int i = 0; i < cells.length; i++) {
            String cell = cells[i].trim();
            if (cell.length() >= 2 && cell.startsWith("\"") && cell.endsWith("\"")) {
                cell = cell.substring(1, cell.length() - 1).trim();
            }
            cells[i] = cell;
        }
        return cells;
    }

    private static double parse(Path path, int lineNumber, int column, String name, String cell, DataRole role) {
        // Only plain decimals: Java's parser would also take 2.5f, 0x1p4, NaN and Infinity.
        double value = DECIMAL.matcher(cell).matches() ? Double.parseDouble(cell) : Double.NaN;
        if (Double.isNaN(value)) {
            throw new ValidationDataException(role.subject(path) + ": line " + lineNumber + ", column "
                    + (column + 1) + " ('" + name + "') holds '" + cell + "', which is not a decimal number such as 3,"
                    + " -0.25 or 1.5e-3 (NaN, Infinity and empty cells are not accepted). Fix the cell or remove the"
                    + " row.");
        }
        if (Double.isInfinite(value)) {
            throw new ValidationDataException(role.subject(path) + ": line " + lineNumber + ", column "
                    + (column + 1) + " ('" + name + "') holds '" + cell + "', beyond the range of float64 (it would be"
                    + " infinite). Scale the feature or fix the cell.");
        }
        return value;
    }

    /** For integer inputs, a feature cell must hold a whole number in the input type's range. */
    private static void requireFitsInput(Path path, TensorSpec spec, int lineNumber, int column, String name,
            String cell, double value, DataRole role) {
        TensorKind kind = spec.elementType();
        if (kind != TensorKind.INT64 && kind != TensorKind.INT32) {
            return;
        }
        double limit = kind == TensorKind.INT32 ? Integer.MAX_VALUE : 1L << 53;
        if (value != Math.rint(value) || Math.abs(value) > limit) {
            throw new ValidationDataException(role.subject(path) + ": line " + lineNumber + ", column "
                    + (column + 1) + " ('" + name + "') holds '" + cell + "', but model input '" + spec.name()
                    + "' expects " + kind.displayName() + " whole numbers. Fix the cell.");
        }
    }

    /** Converts the parsed rows to the model's element type: CSV is text, so there is no stored type to keep. */
    private static Tensor toTensor(TensorSpec spec, List<double[]> rows, int featureCount) {
        int count = Math.multiplyExact(rows.size(), featureCount);
        long[] shape = {rows.size(), featureCount};
        switch (spec.elementType()) {
            case FLOAT -> {
                float[] data = new float[count];
                for (int r = 0; r < rows.size(); r++) {
                    for (int c = 0; c < featureCount; c++) {
                        data[r * featureCount + c] = (float) rows.get(r)[c];
                    }
                }
                return Tensor.adopt(TensorKind.FLOAT, shape, data);
            }
            case DOUBLE -> {
                double[] data = new double[count];
                for (int r = 0; r < rows.size(); r++) {
                    System.arraycopy(rows.get(r), 0, data, r * featureCount, featureCount);
                }
                return Tensor.adopt(TensorKind.DOUBLE, shape, data);
            }
            default -> {
                // Whole-number range was checked per cell while parsing, where the line number is known.
                long[] data = new long[count];
                for (int r = 0; r < rows.size(); r++) {
                    for (int c = 0; c < featureCount; c++) {
                        data[r * featureCount + c] = (long) rows.get(r)[c];
                    }
                }
                Tensor tensor = Tensor.adopt(TensorKind.INT64, shape, data);
                return spec.elementType() == TensorKind.INT32 ? tensor.convertTo(TensorKind.INT32) : tensor;
            }
        }
    }
}

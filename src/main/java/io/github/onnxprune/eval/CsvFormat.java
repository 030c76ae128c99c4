package io.github.onnxprune.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Comma-separated validation data for a model with one input of shape {@code [N, F]}: a header row, one
 * row per sample, a label column anywhere, every other column a feature in order.
 *
 * <p>Cells are split on plain commas (no quoted commas): tabular validation sets are numbers, and a full CSV
 * dialect would add a dependency for nothing. Surrounding whitespace and double quotes are tolerated.
 */
final class CsvFormat {

    private CsvFormat() {
    }

    static ValidationData read(Path path, ModelSignature signature, String labelName) {
        TensorSpec spec = singleMatrixInput(path, signature);
        List<String> lines = readLines(path);
        if (lines.isEmpty() || lines.get(0).isBlank()) {
            throw new ValidationDataException("validation data " + path + " is empty: line 1 must be a header row "
                    + "naming the columns. Export the validation set with a header.");
        }
        String[] header = cells(lines.get(0));
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
                            + "holds the labels, configure its name as the label column";
            throw new ValidationDataException("validation data " + path + " has " + featureCount + " feature "
                    + "columns but model input '" + spec.name() + "' expects " + spec.displayShape() + " ("
                    + labelHint + "). Export one column per model feature.");
        }

        List<double[]> rows = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        for (int index = 1; index < lines.size(); index++) {
            String line = lines.get(index);
            int lineNumber = index + 1;
            if (line.isBlank()) {
                continue;
            }
            String[] cells = cells(line);
            if (cells.length != header.length) {
                throw new ValidationDataException("validation data " + path + ": line " + lineNumber + " has "
                        + cells.length + " cells but the header has " + header.length + " columns. Give every row "
                        + "one value per column (commas inside values are not supported).");
            }
            double[] features = new double[featureCount];
            int feature = 0;
            for (int c = 0; c < cells.length; c++) {
                double value = parse(path, lineNumber, c, header[c], cells[c]);
                if (c == labelColumn) {
                    if (value != Math.rint(value) || Math.abs(value) > 1L << 53) {
                        throw new ValidationDataException("validation data " + path + ": line " + lineNumber
                                + ", column " + (c + 1) + " ('" + header[c] + "') holds '" + cells[c] + "', which is "
                                + "not an integer class index. Labels must be whole numbers such as 0, 1, 2.");
                    }
                    labels.add((long) value);
                } else {
                    requireFitsInput(path, spec, lineNumber, c, header[c], cells[c], value);
                    // Rounding the decimal once, straight to float, keeps "shortest float32" text exact;
                    // going through double first could round twice. Widening the float back is exact.
                    features[feature++] = spec.elementType() == TensorKind.FLOAT ? Float.parseFloat(cells[c]) : value;
                }
            }
            rows.add(features);
        }
        if (rows.isEmpty()) {
            throw new ValidationDataException("validation data " + path + " has a header but no data rows. Export "
                    + "a non-empty validation set.");
        }
        Tensor input = toTensor(spec, rows, featureCount);
        long[] labelArray = labelColumn < 0 ? null : labels.stream().mapToLong(Long::longValue).toArray();
        return new ValidationData(java.util.Map.of(spec.name(), input), labelArray, null, path);
    }

    private static TensorSpec singleMatrixInput(Path path, ModelSignature signature) {
        List<TensorSpec> inputs = signature.inputs();
        if (inputs.size() != 1 || inputs.get(0).rank() != 2) {
            throw new ValidationDataException("validation data " + path + " is a CSV file, which can only feed a "
                    + "model with exactly one input of shape [N, F]; this model has " + describe(inputs) + ". Use a "
                    + ".npz file or a directory of .npy files instead.");
        }
        TensorSpec spec = inputs.get(0);
        TensorKind kind = spec.elementType();
        if (kind != TensorKind.FLOAT && kind != TensorKind.DOUBLE && kind != TensorKind.INT64
                && kind != TensorKind.INT32) {
            throw new ValidationDataException("validation data " + path + " is a CSV file, which can feed float32, "
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

    private static List<String> readLines(Path path) {
        try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            List<String> lines = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
            if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) {
                lines.set(0, lines.get(0).substring(1)); // byte-order mark written by some spreadsheet tools
            }
            return lines;
        } catch (CharacterCodingException e) {
            throw new ValidationDataException("validation data " + path + " is not UTF-8 text. Save the CSV file "
                    + "as UTF-8.", e);
        } catch (IOException e) {
            throw new ValidationDataException("validation data " + path + " cannot be read ("
                    + ValidationDataReader.describe(e) + "). Check that the file is readable.", e);
        }
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

    private static double parse(Path path, int lineNumber, int column, String name, String cell) {
        try {
            if (cell.isEmpty()) {
                throw new NumberFormatException("empty");
            }
            return Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            throw new ValidationDataException("validation data " + path + ": line " + lineNumber + ", column "
                    + (column + 1) + " ('" + name + "') holds '" + cell + "', which is not a number. Fix the cell or "
                    + "remove the row.");
        }
    }

    /** For integer inputs, a feature cell must hold a whole number in the input type's range. */
    private static void requireFitsInput(Path path, TensorSpec spec, int lineNumber, int column, String name,
            String cell, double value) {
        TensorKind kind = spec.elementType();
        if (kind != TensorKind.INT64 && kind != TensorKind.INT32) {
            return;
        }
        double limit = kind == TensorKind.INT32 ? Integer.MAX_VALUE : 1L << 53;
        if (value != Math.rint(value) || Math.abs(value) > limit) {
            throw new ValidationDataException("validation data " + path + ": line " + lineNumber + ", column "
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
                return new Tensor(TensorKind.FLOAT, shape, data);
            }
            case DOUBLE -> {
                double[] data = new double[count];
                for (int r = 0; r < rows.size(); r++) {
                    System.arraycopy(rows.get(r), 0, data, r * featureCount, featureCount);
                }
                return new Tensor(TensorKind.DOUBLE, shape, data);
            }
            default -> {
                // Whole-number range was checked per cell while parsing, where the line number is known.
                long[] data = new long[count];
                for (int r = 0; r < rows.size(); r++) {
                    for (int c = 0; c < featureCount; c++) {
                        data[r * featureCount + c] = (long) rows.get(r)[c];
                    }
                }
                Tensor tensor = new Tensor(TensorKind.INT64, shape, data);
                return spec.elementType() == TensorKind.INT32 ? tensor.convertTo(TensorKind.INT32) : tensor;
            }
        }
    }
}

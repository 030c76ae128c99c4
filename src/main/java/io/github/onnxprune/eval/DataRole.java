package io.github.onnxprune.eval;

/**
 * Which pom setting a data file was given in, so that every message about the file names that role and element.
 */
public enum DataRole {

    /** {@code <validationData>}: the samples the accuracy gate measures both models on. */
    VALIDATION("validation", "validationData"),

    /** {@code <calibrationData>}: the samples reconstruction and quantization fit on. */
    CALIBRATION("calibration", "calibrationData");

    private final String word;
    private final String element;

    DataRole(String word, String element) {
        this.word = word;
        this.element = element;
    }

    /** How messages name a file or an array in it, for example {@code calibration data c.npz: array 'x'}. */
    String subject(Object file) {
        return word + " data " + file;
    }

    /** The pom element that points at the file, for example {@code <calibrationData>}. */
    String element() {
        return "<" + element + ">";
    }

    /** What the advice on a folder of .npy files asks for besides the inputs: calibration data needs no labels. */
    String andLabelsNpy() {
        return this == VALIDATION ? " and labels.npy" : " (labels are not needed)";
    }

    /** The keyword arguments an advice on numpy.savez ends with after the inputs: labels for validation data. */
    String andLabelsKeyword() {
        return this == VALIDATION ? ", labels=labels" : "";
    }

    /** The data set the user exports, for example {@code calibration set}. */
    String set() {
        return word + " set";
    }
}

package io.github.onnxprune.maven;

import java.io.File;
import java.util.List;

/**
 * One {@code <model>} element: a model path under the build output plus any parameter that differs from the
 * plugin-wide value. Maven fills the fields by name; null means "use the plugin-wide value".
 */
public class ModelConfiguration {

    /** The model's path relative to the build output folder, e.g. models/digits.onnx. */
    String path;
    String method;
    Double sparsity;
    Double nodeSparsity;
    Double tableSparsity;
    String scope;
    List<String> sparsityOverrides;
    List<String> opTypes;
    List<String> tensorIncludes;
    List<String> tensorExcludes;
    Long minTensorSize;
    String importance;
    String quantize;
    List<String> quantizeExcludes;
    Boolean quantizeFallback;
    Integer tableBits;
    Boolean search;
    String searchBudget;
    File validationData;
    String labelName;
    String metric;
    String outputName;
    String pooling;
    String maskInput;
    Integer batchSize;
    Double minAccuracy;
    Double maxAccuracyDrop;
    Boolean requireValidation;
    Boolean reconstruct;
    File calibrationData;
    Integer calibrationSamples;

    /** The configured path. */
    public String getPath() {
        return path;
    }
}

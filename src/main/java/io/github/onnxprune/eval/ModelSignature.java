package io.github.onnxprune.eval;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The inputs a caller must feed (graph inputs that are not initializers) and the outputs a model produces.
 *
 * @param inputs real inputs in graph order
 * @param outputs graph outputs in graph order
 */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {

    /** Copies both lists so the signature cannot change afterwards. */
    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /**
     * Reads the signature from a model.
     *
     * <p>Models exported with IR version 3 and older list every initializer as a graph input too; those are
     * weights with defaults, not values a caller feeds, so they are left out.
     *
     * @param model the parsed model
     * @return its signature
     */
    public static ModelSignature of(OnnxMl.ModelProto model) {
        OnnxMl.GraphProto graph = model.getGraph();
        Set<String> initializers = new HashSet<>();
        graph.getInitializerList().forEach(tensor -> initializers.add(tensor.getName()));
        graph.getSparseInitializerList().forEach(sparse -> initializers.add(sparse.getValues().getName()));
        List<TensorSpec> inputs = new ArrayList<>();
        for (OnnxMl.ValueInfoProto value : graph.getInputList()) {
            if (!initializers.contains(value.getName())) {
                inputs.add(spec(value));
            }
        }
        List<TensorSpec> outputs = new ArrayList<>();
        for (OnnxMl.ValueInfoProto value : graph.getOutputList()) {
            outputs.add(spec(value));
        }
        return new ModelSignature(inputs, outputs);
    }

    private static TensorSpec spec(OnnxMl.ValueInfoProto value) {
        OnnxMl.TypeProto type = value.getType();
        if (!type.hasTensorType()) {
            // Sequences, maps (scikit-learn's ZipMap) and optionals cannot be fed or compared as tensors.
            return new TensorSpec(value.getName(), TensorKind.OTHER, null);
        }
        OnnxMl.TypeProto.Tensor tensor = type.getTensorType();
        TensorKind kind = TensorKind.fromOnnx(tensor.getElemType());
        if (!tensor.hasShape()) {
            return new TensorSpec(value.getName(), kind, null);
        }
        List<OnnxMl.TensorShapeProto.Dimension> dims = tensor.getShape().getDimList();
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            OnnxMl.TensorShapeProto.Dimension dim = dims.get(i);
            // dim_param (a symbolic name such as "batch") and an unset dimension are both dynamic.
            shape[i] = dim.hasDimValue() ? dim.getDimValue() : -1;
        }
        return new TensorSpec(value.getName(), kind, shape);
    }

    /**
     * Whether every input's first dimension is dynamic, so any number of samples can run in one call.
     *
     * @return true when all inputs accept a variable batch (and there is at least one input)
     */
    public boolean batchDimensionDynamic() {
        return !inputs.isEmpty() && inputs.stream().allMatch(TensorSpec::firstDimensionDynamic);
    }

    /**
     * Looks up an input by name.
     *
     * @param name the input name
     * @return the input, or empty when the model has none of that name
     */
    public Optional<TensorSpec> input(String name) {
        return inputs.stream().filter(spec -> spec.name().equals(name)).findFirst();
    }

    /**
     * Looks up an output by name.
     *
     * @param name the output name
     * @return the output, or empty when the model has none of that name
     */
    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(spec -> spec.name().equals(name)).findFirst();
    }

    /** Input names in graph order. */
    public List<String> inputNames() {
        return inputs.stream().map(TensorSpec::name).toList();
    }

    /** Output names in graph order. */
    public List<String> outputNames() {
        return outputs.stream().map(TensorSpec::name).toList();
    }

    @Override
    public String toString() {
        return "inputs " + inputs + ", outputs " + outputs;
    }
}

package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inputs of the layers being re-fitted, in the dense model and in the model as re-fitted so far, collected
 * from the calibration samples when a layer needs them. The dense ones come {@value #DENSE_GROUP} distinct values
 * at a time in layer order (about one transformer block) and are dropped after the last layer reading them, so
 * memory holds a few layers' activations instead of every layer's. The current one is reused by the next layer
 * reading the same value (Q, K and V projections share theirs) while no weight re-fitted since lies upstream.
 */
final class LayerInputs {

    /** Distinct dense values collected per run of the dense model. */
    static final int DENSE_GROUP = 4;

    private final ActivationCollector collector;
    private final ModelProto dense;
    private final List<String> order = new ArrayList<>();
    private final Map<String, Integer> lastUse = new HashMap<>();
    private final Map<String, Tensor> held = new HashMap<>();
    private String currentName;
    private Tensor currentValue;
    private Set<String> currentDependencies;

    /**
     * @param collector runs models on the calibration samples
     * @param dense the unpruned model
     * @param inputsByLayer the input value of each layer, in the order the layers are re-fitted
     */
    LayerInputs(ActivationCollector collector, ModelProto dense, List<String> inputsByLayer) {
        this.collector = collector;
        this.dense = dense;
        for (int position = 0; position < inputsByLayer.size(); position++) {
            String input = inputsByLayer.get(position);
            if (!lastUse.containsKey(input)) {
                order.add(input);
            }
            lastUse.put(input, position);
        }
    }

    /** The dense model's value of {@code input}, for the layer at {@code position} in re-fitting order. */
    Tensor dense(String input, int position) {
        Tensor value = held.get(input);
        if (value != null) {
            return value;
        }
        held.keySet().removeIf(name -> lastUse.get(name) < position);
        int from = order.indexOf(input);
        List<String> group = new ArrayList<>();
        for (int k = from; k < order.size() && group.size() < DENSE_GROUP; k++) {
            if (!held.containsKey(order.get(k))) {
                group.add(order.get(k));
            }
        }
        held.putAll(collector.collect(dense, group));
        return held.get(input);
    }

    /** The value of {@code input} in {@code current}, the model as re-fitted so far. */
    Tensor current(ModelProto current, String input) {
        if (!input.equals(currentName)) {
            currentValue = collector.collect(current, List.of(input)).get(input);
            currentDependencies = ActivationCollector.dependencies(current.getGraph(), input);
            currentName = input;
        }
        return currentValue;
    }

    /** Records that {@code weight} was re-fitted: a current value computed from it is stale. */
    void changed(String weight) {
        if (currentDependencies == null || currentDependencies.contains(weight)) {
            currentName = null;
            currentValue = null;
            currentDependencies = null;
        }
    }
}

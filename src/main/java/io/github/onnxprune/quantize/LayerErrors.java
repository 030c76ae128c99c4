package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.EvaluationException;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * Measures each quantized layer's own output error on the calibration samples: the float model is run with
 * every layer's int8 form added beside the float layer, reading the same float input, so one run gives both
 * outputs and the error of a layer is its own, not the sum of the layers before it (which would always rank
 * the last layers worst). The error is {@code ||y_int8 - y|| / ||y||} over all samples and elements.
 */
final class LayerErrors {

    /** Layers probed per run: bounds the outputs held in memory at once on big models. */
    private static final int LAYERS_PER_RUN = 8;

    private LayerErrors() {
    }

    /**
     * Per layer output value, its relative error. A table lookup whose output the collector cannot read per
     * sample (a position embedding of shape [1, S, H]: its indices do not depend on the samples) gets the error
     * of its whole table instead, which is what it looks up from. Any other layer whose output cannot be read
     * per sample is left out; its error stays unmeasured.
     */
    static Map<String, Double> measure(ModelProto model, List<PreparedLayer> layers, ActivationCollector calibration) {
        Map<String, Double> errors = new LinkedHashMap<>();
        for (int from = 0; from < layers.size(); from += LAYERS_PER_RUN) {
            List<PreparedLayer> group = layers.subList(from, Math.min(layers.size(), from + LAYERS_PER_RUN));
            try {
                errors.putAll(measureGroup(model, group, calibration));
            } catch (EvaluationException groupFailed) {
                // One layer's output spoils the whole run; measure the group's layers one by one instead.
                for (PreparedLayer layer : group) {
                    try {
                        errors.putAll(measureGroup(model, List.of(layer), calibration));
                    } catch (EvaluationException layerFailed) {
                        continue;
                    }
                }
            }
        }
        for (PreparedLayer layer : layers) {
            if (!errors.containsKey(layer.output()) && layer.candidate().plan() instanceof GatherLayer gather) {
                errors.put(layer.output(), tableError(gather.table(), layer.weights(), gather.columns()));
            }
        }
        return errors;
    }

    /** {@code ||table_int8 * row_scale - table|| / ||table||} over every row of a row-scaled int8 table. */
    static double tableError(IntToDoubleFunction table, Int8Weights weights, int columns) {
        // Summed element by element, as relativeError does, without two float copies of a whole table.
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < weights.values().length; i++) {
            float exact = (float) table.applyAsDouble(i);
            float approximate = weights.values()[i] * weights.scales()[i / columns];
            double d = (double) approximate - exact;
            difference += d * d;
            norm += (double) exact * exact;
        }
        return ratio(difference, norm);
    }

    private static Map<String, Double> measureGroup(ModelProto model, List<PreparedLayer> group,
            ActivationCollector calibration) {
        GraphRewrite rewrite = new GraphRewrite(model.getGraph());
        model.getGraph().getNodeList().forEach(rewrite::copy);
        List<String> values = new ArrayList<>();
        List<String> probes = new ArrayList<>();
        for (PreparedLayer layer : group) {
            String probe = rewrite.value(layer.output() + "_int8_probe");
            layer.emit(rewrite, layer.input(), probe);
            values.add(layer.output());
            values.add(probe);
            probes.add(probe);
        }
        GraphProto.Builder graph = model.getGraph().toBuilder().clearNode().addAllNode(rewrite.nodes())
                .addAllInitializer(rewrite.initializers());
        ModelProto probed = OpsetUpgrade.raise(model.toBuilder().setGraph(graph).build(),
                Int8Quantizer.requiredOpset(group.stream().map(PreparedLayer::candidate).toList()));
        Map<String, Tensor> collected = calibration.collect(probed, values);
        Map<String, Double> errors = new LinkedHashMap<>();
        for (int i = 0; i < group.size(); i++) {
            String output = group.get(i).output();
            errors.put(output, relativeError((float[]) collected.get(output).data(),
                    (float[]) collected.get(probes.get(i)).data()));
        }
        return errors;
    }

    /** {@code ||approximate - exact|| / ||exact||}; 0 when both are zero, infinite when only exact is. */
    static double relativeError(float[] exact, float[] approximate) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < exact.length; i++) {
            double d = (double) approximate[i] - exact[i];
            difference += d * d;
            norm += (double) exact[i] * exact[i];
        }
        return ratio(difference, norm);
    }

    private static double ratio(double difference, double norm) {
        if (norm == 0) {
            return difference == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(difference / norm);
    }
}

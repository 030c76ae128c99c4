package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.eval.EvaluationException;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * Measures each quantized layer's own output error on the calibration samples: the float model is run with
 * every layer's int8 form added beside the float layer, reading the same float input, so one run gives both
 * outputs and the error of a layer is its own, not the sum of the layers before it (which would always rank
 * the last layers worst). The error is {@code ||y_int8 - y|| / ||y||} over all samples and elements.
 *
 * <p>The probe model sums the squares per sample itself (in float64) and hands back only those sums: a
 * transformer's layer output over a few hundred calibration sentences is 20-80 MB, and holding the float and
 * int8 outputs of a layer whole on the Java heap needed more than three times the model's size of heap.
 */
final class LayerErrors {

    /** Most layers probed per run: each run is a pass of the float model over every calibration sample. */
    static final int LAYERS_PER_RUN = 8;

    /** ReduceSum's axes became an input at this opset (an attribute before). */
    private static final int REDUCE_AXES_INPUT_OPSET = 13;

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

    /** The names of the four per-sample sums a probed layer's run outputs. */
    private record ProbeSums(String differenceHigh, String differenceLow, String normHigh, String normLow) {

        List<String> names() {
            return List.of(differenceHigh, differenceLow, normHigh, normLow);
        }
    }

    /** Measures the group's layers in one run; per layer output, its error. */
    private static Map<String, Double> measureGroup(ModelProto model, List<PreparedLayer> group,
            ActivationCollector calibration) {
        int opset = Math.max(OpsetUpgrade.defaultOpset(model),
                Int8Quantizer.requiredOpset(group.stream().map(PreparedLayer::candidate).toList()));
        GraphRewrite rewrite = new GraphRewrite(model.getGraph());
        model.getGraph().getNodeList().forEach(rewrite::copy);
        List<String> values = new ArrayList<>();
        List<ProbeSums> sums = new ArrayList<>();
        for (PreparedLayer layer : group) {
            String probe = rewrite.value(layer.output() + "_int8_probe");
            layer.emit(rewrite, layer.input(), probe);
            ProbeSums probeSums = squareSums(rewrite, layer.output(), probe, opset);
            sums.add(probeSums);
            values.addAll(probeSums.names());
        }
        GraphProto.Builder graph = model.getGraph().toBuilder().clearNode().addAllNode(rewrite.nodes())
                .addAllInitializer(rewrite.initializers());
        ModelProto probed = OpsetUpgrade.raise(model.toBuilder().setGraph(graph).build(), opset);
        Map<String, Tensor> collected = calibration.collect(probed, values);
        Map<String, Double> measured = new LinkedHashMap<>();
        for (int i = 0; i < group.size(); i++) {
            ProbeSums probeSums = sums.get(i);
            measured.put(group.get(i).output(), ratio(
                    total(collected.get(probeSums.differenceHigh()), collected.get(probeSums.differenceLow())),
                    total(collected.get(probeSums.normHigh()), collected.get(probeSums.normLow()))));
        }
        return measured;
    }

    /**
     * Adds nodes that compute, per sample, {@code sum((approximate - exact)^2)} and {@code sum(exact^2)} in
     * float64, each handed out as two float32 values (the sum rounded, and what the rounding lost), since the
     * collector reads outputs as float32 and one float32 would keep only 7 of the sum's digits.
     */
    private static ProbeSums squareSums(GraphRewrite rewrite, String exact, String approximate, int opset) {
        String exactDouble = cast(rewrite, exact, TensorProto.DataType.DOUBLE);
        String approximateDouble = cast(rewrite, approximate, TensorProto.DataType.DOUBLE);
        String difference = rewrite.value(exact + "_int8_probe_difference");
        rewrite.node(exact + "_int8_probe_difference", "Sub", List.of(approximateDouble, exactDouble),
                List.of(difference));
        String[] differenceSum = split(rewrite, sampleSquareSum(rewrite, difference, opset));
        String[] normSum = split(rewrite, sampleSquareSum(rewrite, exactDouble, opset));
        return new ProbeSums(differenceSum[0], differenceSum[1], normSum[0], normSum[1]);
    }

    /** {@code value}'s squares summed per sample (over every axis but the first), shape {@code [samples]}. */
    private static String sampleSquareSum(GraphRewrite rewrite, String value, int opset) {
        String square = rewrite.value(value + "_square");
        rewrite.node(value + "_square", "Mul", List.of(value, value), List.of(square));
        String rows = rewrite.value(value + "_square_rows");
        rewrite.node(value + "_square_rows", "Flatten", List.of(square), List.of(rows),
                Protos.intAttribute("axis", 1));
        String sum = rewrite.value(value + "_square_sum");
        if (opset >= REDUCE_AXES_INPUT_OPSET) {
            String axes = rewrite.sharedConstant("probe_sum_axes", "int8_probe_sum_axes",
                    name -> Protos.longs(name, new long[] {1}, 1));
            rewrite.node(value + "_square_sum", "ReduceSum", List.of(rows, axes), List.of(sum),
                    Protos.intAttribute("keepdims", 0));
        } else {
            rewrite.node(value + "_square_sum", "ReduceSum", List.of(rows), List.of(sum),
                    Protos.intsAttribute("axes", 1), Protos.intAttribute("keepdims", 0));
        }
        return sum;
    }

    /** A float64 value as float32 {@code high} (rounded) and {@code low} (the rest): high + low is the value. */
    private static String[] split(GraphRewrite rewrite, String value) {
        String high = cast(rewrite, value, TensorProto.DataType.FLOAT);
        String highDouble = cast(rewrite, high, TensorProto.DataType.DOUBLE);
        String rest = rewrite.value(value + "_rest");
        rewrite.node(value + "_rest", "Sub", List.of(value, highDouble), List.of(rest));
        return new String[] {high, cast(rewrite, rest, TensorProto.DataType.FLOAT)};
    }

    private static String cast(GraphRewrite rewrite, String value, TensorProto.DataType type) {
        String base = value + "_as_" + type.name().toLowerCase(Locale.ROOT);
        String cast = rewrite.value(base);
        rewrite.node(base, "Cast", List.of(value), List.of(cast), Protos.intAttribute("to", type.getNumber()));
        return cast;
    }

    /** The sum over samples, in sample order, of each sample's {@code high + low}. */
    private static double total(Tensor high, Tensor low) {
        FloatBuffer highs = high.floatView();
        FloatBuffer lows = low.floatView();
        double total = 0;
        for (int i = 0; i < highs.limit(); i++) {
            total += (double) highs.get(i) + lows.get(i);
        }
        return total;
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

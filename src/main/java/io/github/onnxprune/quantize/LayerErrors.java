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

    /** Most layers probed per run. */
    private static final int LAYERS_PER_RUN = 8;

    /**
     * Most values (float and int8 outputs of the layers probed, 128 MiB) one run is expected to collect, though a
     * single layer may need more: a transformer's layer output over a few hundred calibration sentences is 20-80
     * MB, and eight of them, twice, were most of the heap. Fixed, not drawn from the heap's size, so the runs
     * (and the errors measured) are the same on every machine.
     */
    static final long FLOATS_PER_RUN = 1L << 25;

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
        // The first run probes one layer; the sizes of the outputs seen so far decide how many the next run
        // probes together.
        OutputSizes sizes = new OutputSizes();
        for (int from = 0; from < layers.size(); ) {
            int to = from + 1;
            long planned = 2 * sizes.estimate(layers.get(from));
            while (sizes.known() && to < layers.size() && to - from < LAYERS_PER_RUN
                    && planned + 2 * sizes.estimate(layers.get(to)) <= FLOATS_PER_RUN) {
                planned += 2 * sizes.estimate(layers.get(to));
                to++;
            }
            List<PreparedLayer> group = layers.subList(from, to);
            from = to;
            try {
                measureGroup(model, group, calibration, errors, sizes);
            } catch (EvaluationException groupFailed) {
                // One layer's output spoils the whole run; measure the group's layers one by one instead.
                for (PreparedLayer layer : group) {
                    try {
                        measureGroup(model, List.of(layer), calibration, errors, sizes);
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

    /**
     * What the outputs measured so far say about the next ones: values per output feature for layers whose
     * outputs end in a known width (MatMul, Gather: every token of every sample has that many), and the largest
     * output otherwise (Conv, whose spatial size differs from layer to layer). Drawn from the model and the
     * data only, so the runs, and the errors they measure, are the same on every machine.
     */
    static final class OutputSizes {

        private long perFeature;
        private long largest;

        /** Whether a run has been measured. */
        boolean known() {
            return largest > 0;
        }

        /** The values the layer's output is expected to hold. */
        long estimate(PreparedLayer layer) {
            int width = width(layer);
            return width > 0 && perFeature > 0 ? perFeature * width : largest;
        }

        /** Learns from a measured output of {@code values} values. */
        void record(PreparedLayer layer, long values) {
            int width = width(layer);
            if (width > 0) {
                perFeature = Math.max(perFeature, (values + width - 1) / width);
            }
            largest = Math.max(largest, values);
        }

        private static int width(PreparedLayer layer) {
            if (layer.candidate().plan() instanceof MatMulLayer matMul) {
                return matMul.columns();
            }
            if (layer.candidate().plan() instanceof GatherLayer gather) {
                return gather.columns();
            }
            return 0;
        }
    }

    /**
     * Measures the group's layers in one run and adds their errors to {@code errors} (only once all are
     * measured), and their output sizes to {@code sizes}.
     */
    private static void measureGroup(ModelProto model, List<PreparedLayer> group, ActivationCollector calibration,
            Map<String, Double> errors, OutputSizes sizes) {
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
        Map<String, Double> measured = new LinkedHashMap<>();
        for (int i = 0; i < group.size(); i++) {
            String output = group.get(i).output();
            Tensor exact = collected.get(output);
            measured.put(output, relativeError(exact.floatView(), collected.get(probes.get(i)).floatView()));
        }
        errors.putAll(measured);
        for (int i = 0; i < group.size(); i++) {
            sizes.record(group.get(i), collected.get(group.get(i).output()).elementCount());
        }
    }

    /** {@code ||approximate - exact|| / ||exact||}; 0 when both are zero, infinite when only exact is. */
    static double relativeError(float[] exact, float[] approximate) {
        return relativeError(java.nio.FloatBuffer.wrap(exact), java.nio.FloatBuffer.wrap(approximate));
    }

    /** {@link #relativeError(float[], float[])} over views, read in place. */
    static double relativeError(java.nio.FloatBuffer exact, java.nio.FloatBuffer approximate) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < exact.limit(); i++) {
            double d = (double) approximate.get(i) - exact.get(i);
            difference += d * d;
            norm += (double) exact.get(i) * exact.get(i);
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

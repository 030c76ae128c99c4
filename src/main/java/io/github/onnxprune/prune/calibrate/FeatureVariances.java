package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.nodes.NodePruner;
import java.util.ArrayList;
import java.util.List;

/**
 * The variance of each feature of one model's values over the calibration rows, padding excluded (what
 * fluctuation ranking reads): the values are collected stage by stage ({@link StagedActivations}) and read in
 * place, so neither a whole value nor a copy of its masked rows is held at once (a transformer's feed-forward
 * value over 2800 sentences is 1 GB). Close it to delete what waits in scratch files.
 */
public final class FeatureVariances implements NodePruner.FeatureVariance, AutoCloseable {

    private final ActivationCollector collector;
    private final ModelProto model;
    private final StagedActivations values;

    /** The variances of {@code model}'s values on {@code collector}'s samples, values held as the heap allows. */
    public FeatureVariances(ActivationCollector collector, ModelProto model) {
        this(collector, model, Runtime.getRuntime().maxMemory());
    }

    /** As {@link #FeatureVariances(ActivationCollector, ModelProto)} with a heap of {@code heapBytes}. */
    FeatureVariances(ActivationCollector collector, ModelProto model, long heapBytes) {
        this.collector = collector;
        this.model = model;
        ModelGraph graph = ModelGraph.of(model);
        List<Integer> layers = new ArrayList<>();
        for (int n = 0; n < graph.nodes().size(); n++) {
            if (LinearLayer.of(graph, n) != null) {
                layers.add(n);
            }
        }
        this.values = new StagedActivations(collector, RefitLayers.wholeValues(graph, layers, collector, heapBytes));
    }

    /**
     * The variance of each feature (last axis) of {@code value} over the calibration rows whose mask is not 0
     * ({@link ActivationCollector#maskedRows}); null when the value is not a float tensor of rank 2 or more.
     */
    @Override
    public double[] of(String value) {
        StagedValue staged = values.value(model, value);
        Rows rows = rows(staged);
        if (rows == null) {
            return null;
        }
        int features = rows.features();
        StagedValue.Elements read = staged.elements();
        float[] row = new float[features];
        double[] mean = new double[features];
        double[] square = new double[features];
        for (int r = 0; r < rows.count(); r++) {
            long start = rows.start(r);
            read.release(start);
            read.get(start, row, 0, features);
            for (int f = 0; f < features; f++) {
                double x = row[f];
                mean[f] += x;
                square[f] += x * x;
            }
        }
        double[] variance = new double[features];
        for (int f = 0; f < features; f++) {
            double m = mean[f] / rows.count();
            variance[f] = Math.max(0.0, square[f] / rows.count() - m * m);
        }
        return variance;
    }

    /**
     * The covariance of the features (last axis) of {@code value}, {@code features x features} row-major, over at
     * most {@code maxRows} of the calibration rows whose mask is not 0, evenly spread as a fit picks them
     * ({@link CompensatedRanking#covariance}); null when the value is not a float tensor of rank 2 or more.
     */
    double[] covariance(String value, int maxRows) {
        StagedValue staged = values.value(model, value);
        Rows all = rows(staged);
        if (all == null) {
            return null;
        }
        int features = all.features();
        int rows = Math.min(all.count(), maxRows);
        StagedValue.Elements read = staged.elements();
        float[] data = new float[rows * features];
        for (int r = 0; r < rows; r++) {
            long start = all.start(Features.pick(r, rows, all.count()));
            read.release(start);
            read.get(start, data, r * features, features);
        }
        return CompensatedRanking.covariance(data, rows, features);
    }

    /** The calibration rows of a value: {@code count} rows of {@code features}, at {@code positions} when masked. */
    private record Rows(int features, int[] positions, int count) {

        /** The element index where row {@code r} starts. */
        long start(int r) {
            return (long) (positions != null ? positions[r] : r) * features;
        }
    }

    /** The rows whose mask is not 0 ({@link ActivationCollector#maskedRows}); null unless float of rank 2 or more. */
    private Rows rows(StagedValue staged) {
        long[] shape = staged.shape();
        if (shape.length < 2 || !staged.isFloat()) {
            return null;
        }
        int features = (int) shape[shape.length - 1];
        int[] positions = collector.keptPositions(shape);
        long elements = 1;
        for (long dimension : shape) {
            elements *= dimension;
        }
        return new Rows(features, positions, positions != null ? positions.length : (int) (elements / features));
    }

    /** Deletes the scratch files of the values still kept. */
    @Override
    public void close() {
        values.close();
    }
}

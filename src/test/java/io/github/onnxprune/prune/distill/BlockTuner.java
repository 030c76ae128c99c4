package io.github.onnxprune.prune.distill;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Block-wise tuning with the masks fixed (block reconstruction in the manner of BRECQ): block after block, Adam
 * on the squared error between the pruned block's output and the dense block's output on the calibration
 * tokens (padding excluded), each pruned block fed the tuned pruned model's own stream, so the errors of the
 * blocks before it are what it learns to cancel. Every parameter of the block moves (weights, biases, LayerNorm
 * gain and bias) except the pruned zeros, which stay exactly zero. The last sentences are held out: the
 * parameters kept are those of the epoch with the smallest held-out error (the untouched block when no epoch
 * beats it).
 */
final class BlockTuner {

    /**
     * @param epochs passes over the training sentences per block
     * @param learningRate Adam's step size
     * @param batchSentences sentences per step
     * @param heldOutSentences the last this many calibration sentences judge the epochs instead of training
     * @param seed order of the sentences in each epoch
     * @param blocks the first this many blocks are tuned (0: all), the others keep their weights
     */
    record Options(int epochs, double learningRate, int batchSentences, int heldOutSentences, long seed,
            int blocks) {
    }

    /**
     * One block's figures: relative squared error to the dense block's output ({@code sum (y - t)^2 / sum t^2})
     * on training and held-out tokens, before and after, and the epoch kept (0: none beat the untouched block).
     */
    record BlockReport(int block, double trainBefore, double trainAfter, double heldOutBefore, double heldOutAfter,
            int epochKept, double secondsPerEpoch) {
    }

    /** The tuned model and each block's figures. */
    record Result(ModelProto model, List<BlockReport> blocks) {
    }

    private BlockTuner() {
    }

    /**
     * Tunes every encoder block of {@code pruned} toward {@code dense} (the same architecture, possibly with
     * fewer heads and units) on the first {@code samples} sentences of {@code calibration}.
     */
    static Result tune(OnnxRuntimeEvaluator runtime, ModelProto dense, ModelProto pruned, ValidationData calibration,
            int samples, Options options, Consumer<String> log) {
        ActivationCollector collector = new ActivationCollector(runtime, calibration, samples, 64);
        int[] lengths = lengths(ActivationCollector.firstSamples(calibration, samples));
        ModelGraph denseGraph = ModelGraph.of(dense);
        ModelGraph prunedGraph = ModelGraph.of(pruned);
        List<BlockTensors> denseBlocks = BlockTensors.of(denseGraph);
        List<BlockTensors> prunedBlocks = BlockTensors.of(prunedGraph);
        if (denseBlocks.size() != prunedBlocks.size() || denseBlocks.isEmpty()) {
            throw new IllegalArgumentException("dense model has " + denseBlocks.size() + " blocks, pruned "
                    + prunedBlocks.size());
        }
        List<String> targets = denseBlocks.stream().map(BlockTensors::output).toList();
        Map<String, Tensor> denseValues = collector.collect(dense, targets);
        String firstInput = prunedBlocks.get(0).input();
        double[] stream = rows(collector, collector.collect(pruned, List.of(firstInput)).get(firstInput));
        Map<String, TensorProto> tuned = new LinkedHashMap<>();
        List<BlockReport> reports = new ArrayList<>();
        int count = options.blocks() > 0 ? Math.min(options.blocks(), prunedBlocks.size()) : prunedBlocks.size();
        for (int b = 0; b < count; b++) {
            BlockTensors tensors = prunedBlocks.get(b);
            double[] target = rows(collector, denseValues.get(targets.get(b)));
            BlockParameters start = tensors.read(prunedGraph);
            long began = System.nanoTime();
            Tuned block = tuneBlock(start, stream, target, lengths, options, log);
            double seconds = (System.nanoTime() - began) / 1e9;
            BlockReport report = new BlockReport(b, block.trainBefore, block.trainAfter, block.heldOutBefore,
                    block.heldOutAfter, block.epochKept, seconds / Math.max(1, options.epochs()));
            reports.add(report);
            log.accept(String.format(java.util.Locale.ROOT, "block %d of %d: %d free parameters, error train"
                    + " %.5f -> %.5f, held out %.5f -> %.5f (epoch %d kept), %.1f s, %.1f s per epoch", b + 1,
                    prunedBlocks.size(), start.freeParameters(), report.trainBefore(), report.trainAfter(),
                    report.heldOutBefore(), report.heldOutAfter(), report.epochKept(), seconds,
                    report.secondsPerEpoch()));
            tuned.putAll(tensors.write(prunedGraph, block.parameters));
            stream = EncoderBlock.forward(block.parameters, stream, lengths).output;
        }
        return new Result(prunedGraph.withConstants(tuned), reports);
    }

    /** One block's tuned parameters and figures. */
    record Tuned(BlockParameters parameters, double trainBefore, double trainAfter, double heldOutBefore,
            double heldOutAfter, int epochKept) {
    }

    /** Adam on one block; {@code input} and {@code target} hold every sentence's real tokens end to end. */
    static Tuned tuneBlock(BlockParameters start, double[] input, double[] target, int[] lengths, Options options,
            Consumer<String> log) {
        int sentences = lengths.length;
        int held = Math.min(options.heldOutSentences(), sentences - 1);
        int train = sentences - held;
        int[] starts = new int[sentences + 1];
        for (int s = 0; s < sentences; s++) {
            starts[s + 1] = starts[s] + lengths[s];
        }
        int d = start.width;
        Sentences trainSet = Sentences.range(input, target, lengths, starts, 0, train, d);
        Sentences heldSet = held == 0 ? null : Sentences.range(input, target, lengths, starts, train, sentences, d);
        BlockParameters p = start.copy();
        double trainBefore = error(p, trainSet);
        double heldBefore = heldSet == null ? Double.NaN : error(p, heldSet);
        BlockParameters best = p.copy();
        double bestHeld = heldSet == null ? Double.POSITIVE_INFINITY : heldBefore;
        int bestEpoch = 0;
        Adam adam = new Adam(p, options.learningRate());
        Random random = new Random(options.seed());
        int[] order = new int[train];
        for (int i = 0; i < train; i++) {
            order[i] = i;
        }
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            for (int i = train - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            double stepErrors = 0;
            double stepNorms = 0;
            for (int from = 0; from < train; from += options.batchSentences()) {
                int[] chosen = java.util.Arrays.copyOfRange(order, from,
                        Math.min(train, from + options.batchSentences()));
                Sentences batch = trainSet.pick(chosen);
                EncoderBlock.Pass pass = EncoderBlock.forward(p, batch.input, batch.lengths);
                double[] gradient = new double[pass.output.length];
                double scale = 2.0 / pass.output.length;
                for (int i = 0; i < gradient.length; i++) {
                    double e = pass.output[i] - batch.target[i];
                    gradient[i] = scale * e;
                    stepErrors += e * e;
                    stepNorms += batch.target[i] * batch.target[i];
                }
                adam.step(EncoderBlock.backward(p, pass, gradient));
            }
            if (heldSet != null) {
                double heldError = error(p, heldSet);
                log.accept(String.format(java.util.Locale.ROOT, "  epoch %d: error on the steps' batches %.5f,"
                        + " held out %.5f", epoch, stepErrors / stepNorms, heldError));
                if (heldError < bestHeld) {
                    bestHeld = heldError;
                    best = p.copy();
                    bestEpoch = epoch;
                }
            } else {
                best = p.copy();
                bestEpoch = epoch;
            }
        }
        return new Tuned(best, trainBefore, error(best, trainSet), heldBefore,
                heldSet == null ? Double.NaN : error(best, heldSet), bestEpoch);
    }

    /** {@code sum (y - t)^2 / sum t^2} over the set's tokens. */
    static double error(BlockParameters p, Sentences set) {
        double[] y = EncoderBlock.forward(p, set.input, set.lengths).output;
        double error = 0;
        double norm = 0;
        for (int i = 0; i < y.length; i++) {
            double e = y[i] - set.target[i];
            error += e * e;
            norm += set.target[i] * set.target[i];
        }
        return error / norm;
    }

    /** Sentences' real tokens end to end, with the dense block's output for each. */
    record Sentences(double[] input, double[] target, int[] lengths, int[] starts, int width) {

        static Sentences range(double[] input, double[] target, int[] lengths, int[] starts, int from, int to,
                int width) {
            int[] picked = new int[to - from];
            for (int i = 0; i < picked.length; i++) {
                picked[i] = from + i;
            }
            return new Sentences(input, target, lengths, starts, width).pickAll(picked);
        }

        private Sentences pickAll(int[] sentences) {
            int rows = 0;
            for (int s : sentences) {
                rows += lengths[s];
            }
            double[] x = new double[rows * width];
            double[] t = new double[rows * width];
            int[] picked = new int[sentences.length];
            int[] pickedStarts = new int[sentences.length + 1];
            int at = 0;
            for (int i = 0; i < sentences.length; i++) {
                int s = sentences[i];
                int count = lengths[s] * width;
                System.arraycopy(input, starts[s] * width, x, at, count);
                System.arraycopy(target, starts[s] * width, t, at, count);
                at += count;
                picked[i] = lengths[s];
                pickedStarts[i + 1] = pickedStarts[i] + lengths[s];
            }
            return new Sentences(x, t, picked, pickedStarts, width);
        }

        /** The sentences at these positions of this set. */
        Sentences pick(int[] sentences) {
            return pickAll(sentences);
        }
    }

    /** Adam over every part of a block; a masked weight's moments stay zero, so it never moves. */
    private static final class Adam {
        private static final double BETA1 = 0.9;
        private static final double BETA2 = 0.999;
        private static final double EPSILON = 1e-8;
        private final BlockParameters p;
        private final double rate;
        private final double[][] first;
        private final double[][] second;
        private int steps;

        Adam(BlockParameters p, double rate) {
            this.p = p;
            this.rate = rate;
            this.first = new double[BlockParameters.PARTS][];
            this.second = new double[BlockParameters.PARTS][];
            for (int i = 0; i < BlockParameters.PARTS; i++) {
                first[i] = new double[p.values[i].length];
                second[i] = new double[p.values[i].length];
            }
        }

        void step(double[][] gradient) {
            steps++;
            double c1 = 1 - Math.pow(BETA1, steps);
            double c2 = 1 - Math.pow(BETA2, steps);
            java.util.stream.IntStream.range(0, BlockParameters.PARTS).parallel().forEach(k -> {
                double[] values = p.values[k];
                double[] g = gradient[k];
                double[] m = first[k];
                double[] v = second[k];
                boolean[] mask = p.masks[k];
                for (int i = 0; i < values.length; i++) {
                    if (mask != null && !mask[i]) {
                        continue;
                    }
                    m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
                    v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
                    values[i] -= rate * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPSILON);
                }
            });
        }
    }

    /** Real tokens per sentence: the ones of {@code attention_mask} in each row. */
    static int[] lengths(ValidationData samples) {
        Tensor mask = samples.inputs().get("attention_mask");
        long[] shape = mask.shape();
        int[] lengths = new int[(int) shape[0]];
        Object data = mask.data();
        for (int s = 0; s < lengths.length; s++) {
            for (int t = 0; t < shape[1]; t++) {
                int index = (int) (s * shape[1] + t);
                long value = data instanceof long[] longs ? longs[index] : ((int[]) data)[index];
                lengths[s] += value != 0 ? 1 : 0;
            }
        }
        return lengths;
    }

    /** A value's real tokens' rows as doubles. */
    static double[] rows(ActivationCollector collector, Tensor value) {
        FloatBuffer view = collector.maskedRows(value).floatView();
        double[] rows = new double[view.remaining()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = view.get(i);
        }
        return rows;
    }
}

package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Prints, for every fixture, latency (median and p95 of single-sample runs, one intra-op thread), file size,
 * parameters and validation accuracy of the original model and of node-pruned ones at 25%, 50% and 75%.
 *
 * <p>A command, not a test (surefire runs only *Test classes): timings depend on the machine. Run from the
 * repository root, see the README for the command line. Optional arguments: runs per model (default 200),
 * scope ({@code layerwise} or {@code global}, default layerwise).
 */
public final class NodePruningBenchmark {

    private static final int WARM_UP = 50;

    private NodePruningBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Scope scope = args.length > 1 ? Scope.parse(args[1]) : Scope.LAYERWISE;
        System.out.printf(Locale.ROOT, "Node pruning benchmark: %d single-sample runs after %d warm-up, 1 intra-op"
                + " thread, scope %s%n", runs, WARM_UP, scope.id());
        System.out.printf(Locale.ROOT, "%-18s %6s %8s %8s %9s %9s %10s %10s %9s%n", "model", "units", "params",
                "MACs", "bytes", "deflated", "median us", "p95 us", "accuracy");
        for (Fixtures.Fixture fixture : Fixtures.all()) {
            ModelProto model = OnnxModelReader.read(fixture.model());
            Fixtures.Array input = Fixtures.input(fixture.validation());
            long[] labels = Fixtures.labels(fixture.validation(), Integer.MAX_VALUE);
            for (double sparsity : new double[] {0.0, 0.25, 0.5, 0.75}) {
                NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(sparsity, scope));
                byte[] bytes = result.model().toByteArray();
                double[] latency = latencyMicros(bytes, input, runs);
                double accuracy = accuracy(bytes, input, labels);
                System.out.printf(Locale.ROOT, "%-18s %5.0f%% %8d %8d %9d %9d %10.1f %10.1f %8.2f%%%n",
                        fixture.name(), sparsity * 100, result.paramsAfter(), result.macsAfter(), bytes.length,
                        deflated(bytes), latency[0], latency[1], accuracy * 100);
            }
        }
    }

    private static OrtSession session(OrtEnvironment env, byte[] model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            return env.createSession(model, options);
        }
    }

    /** Median and p95 in microseconds of single-sample inferences, cycling over the validation samples. */
    static double[] latencyMicros(byte[] model, Fixtures.Array input, int runs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = session(env, model)) {
            String name = session.getInputNames().iterator().next();
            int samples = (int) input.shape()[0];
            long[] times = new long[runs];
            for (int i = -WARM_UP; i < runs; i++) {
                Fixtures.Array one = input.sample(Math.floorMod(i, samples));
                try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(one.values()), one.shape())) {
                    long start = System.nanoTime();
                    try (OrtSession.Result result = session.run(Map.of(name, tensor))) {
                        if (i >= 0) {
                            times[i] = System.nanoTime() - start;
                        }
                    }
                }
            }
            Arrays.sort(times);
            return new double[] {times[runs / 2] / 1000.0, times[(int) Math.ceil(runs * 0.95) - 1] / 1000.0};
        }
    }

    /** Top-1 accuracy over the whole validation set, in one batch. */
    static double accuracy(byte[] model, Fixtures.Array input, long[] labels) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = session(env, model);
                OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.values()), input.shape());
                OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), tensor))) {
            float[][] logits = (float[][]) result.get(0).getValue();
            int correct = 0;
            for (int i = 0; i < logits.length; i++) {
                int best = 0;
                for (int c = 1; c < logits[i].length; c++) {
                    if (logits[i][c] > logits[i][best]) {
                        best = c;
                    }
                }
                correct += best == labels[i] ? 1 : 0;
            }
            return (double) correct / logits.length;
        }
    }

    private static int deflated(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflater = new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION,
                true))) {
            deflater.write(bytes);
        }
        return out.size();
    }
}

package io.github.onnxprune.prune.nodes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.List;

/** Assertions shared by the node pruning tests. */
final class Checks {

    private Checks() {
    }

    static TensorProto tensor(ModelProto model, String name) {
        return ModelGraph.of(model).constant(name).orElseThrow().tensor();
    }

    static List<Long> dims(ModelProto model, String name) {
        return tensor(model, name).getDimsList();
    }

    static double[] values(ModelProto model, String name) {
        return FloatTensor.of(tensor(model, name)).values();
    }

    /** Both models give the same first output (within 1e-5) on seeded random inputs of the given shape. */
    static void sameOutputs(ModelProto original, ModelProto pruned, long... shape) throws OrtException {
        int count = 1;
        for (long dim : shape) {
            count *= (int) dim;
        }
        for (long seed = 1; seed <= 3; seed++) {
            float[] input = TestGraphs.random(seed * 7919, count);
            Ort.Output expected = Ort.run(original, input, shape);
            Ort.Output actual = Ort.run(pruned, input, shape);
            assertArrayEquals(expected.shape(), actual.shape());
            assertArrayEquals(expected.values(), actual.values(), 1e-5f);
        }
    }

    /** Rows (axis 0 slices) {@code kept} of the original equal the pruned tensor's rows in order, exactly. */
    static void keptRows(ModelProto original, ModelProto pruned, String name, int... kept) {
        double[] before = values(original, name);
        double[] after = values(pruned, name);
        int rowBefore = before.length / (int) (long) dims(original, name).get(0);
        int rowAfter = after.length / kept.length;
        assertEquals(rowBefore, rowAfter, "row length of " + name);
        for (int r = 0; r < kept.length; r++) {
            for (int j = 0; j < rowAfter; j++) {
                assertEquals(before[kept[r] * rowBefore + j], after[r * rowAfter + j], 0.0, name + " row " + r);
            }
        }
    }

    static LayerChange layer(NodePruningResult result, String name) {
        return result.layers().stream().filter(l -> l.layer().equals(name)).findFirst().orElseThrow();
    }
}

package io.github.onnxprune.eval;

import ai.onnx.proto.OnnxMl;

/** Tiny ONNX models built in code, with weights chosen so float results are exact. */
final class TestModels {

    /** Gemm weights, {@code [out, in]} because the node uses {@code transB = 1}. */
    static final float[][] WEIGHTS = {{1f, 2f}, {0.5f, -1f}, {0f, 0.25f}};
    static final float[] BIAS = {0.5f, -0.5f, 1f};

    private TestModels() {
    }

    /**
     * {@code Y = Gemm(X, W, b, transB=1)} and {@code R = Relu(Y)}; X is {@code [batch, 2]} with the given first
     * dimension ({@code -1} for a symbolic one), Y and R are {@code [batch, 3]}. Opset 13, IR version 8.
     */
    static OnnxMl.ModelProto gemm(long batch) {
        OnnxMl.TensorProto.Builder weights = OnnxMl.TensorProto.newBuilder().setName("W")
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).addDims(3).addDims(2);
        for (float[] row : WEIGHTS) {
            for (float value : row) {
                weights.addFloatData(value);
            }
        }
        OnnxMl.TensorProto.Builder bias = OnnxMl.TensorProto.newBuilder().setName("b")
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).addDims(3);
        for (float value : BIAS) {
            bias.addFloatData(value);
        }
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder()
                .setName("gemm")
                .addInput(value("X", batch, 2))
                .addInitializer(weights)
                .addInitializer(bias)
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gemm").setName("gemm")
                        .addInput("X").addInput("W").addInput("b").addOutput("Y")
                        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("transB").setI(1)
                                .setType(OnnxMl.AttributeProto.AttributeType.INT)))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Relu").setName("relu")
                        .addInput("Y").addOutput("R"))
                .addOutput(value("Y", batch, 3))
                .addOutput(value("R", batch, 3))
                .build();
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("onnx-prune-tests")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(graph)
                .build();
    }

    /** Expected Gemm output for one sample, computed exactly in double. */
    static float[] expectedY(float[] x) {
        float[] y = new float[3];
        for (int o = 0; o < 3; o++) {
            y[o] = (float) ((double) WEIGHTS[o][0] * x[0] + (double) WEIGHTS[o][1] * x[1] + BIAS[o]);
        }
        return y;
    }

    static OnnxMl.ValueInfoProto value(String name, long first, long second) {
        OnnxMl.TensorShapeProto.Dimension batchDim = first < 0
                ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch").build()
                : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(first).build();
        return OnnxMl.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                        .setShape(OnnxMl.TensorShapeProto.newBuilder()
                                .addDim(batchDim)
                                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(second)))))
                .build();
    }
}

package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;

/** Runs a model in ONNX Runtime on one float input and returns its first output. */
final class Ort {

    /** An output's values and shape. */
    record Output(float[] values, long[] shape) {
    }

    private Ort() {
    }

    static Output run(ModelProto model, float[] input, long... shape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(model.toByteArray(), options);
                    OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                    OrtSession.Result result = session.run(
                            Map.of(session.getInputNames().iterator().next(), tensor))) {
                OnnxValue value = result.get(0);
                OnnxTensor out = (OnnxTensor) value;
                FloatBuffer buffer = out.getFloatBuffer();
                float[] values = new float[buffer.remaining()];
                buffer.get(values);
                return new Output(values, out.getInfo().getShape());
            }
        }
    }
}

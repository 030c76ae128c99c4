package io.github.onnxprune.example;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.Map;

/** Classifies 8x8 handwritten digits with the model bundled at /models/digits.onnx. */
public final class DigitClassifier implements AutoCloseable {

    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    /** Loads the bundled model from the classpath. */
    public DigitClassifier() throws IOException, OrtException {
        try (InputStream model = DigitClassifier.class.getResourceAsStream("/models/digits.onnx")) {
            if (model == null) {
                throw new IOException("/models/digits.onnx is not on the classpath");
            }
            session = environment.createSession(model.readAllBytes(), new OrtSession.SessionOptions());
        }
    }

    /** The digit (0-9) for 64 pixel intensities in [0, 1], row by row. */
    public int classify(float[] pixels) throws OrtException {
        if (pixels.length != 64) {
            throw new IllegalArgumentException("expected 64 pixels, got " + pixels.length);
        }
        try (OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(pixels), new long[] {1, 64});
                OrtSession.Result result = session.run(Map.of("input", input))) {
            float[] logits = ((float[][]) result.get(0).getValue())[0];
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}

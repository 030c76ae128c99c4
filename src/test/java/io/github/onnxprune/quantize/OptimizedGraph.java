package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The graph ONNX Runtime actually runs: the model as its CPU provider optimizes it at session creation. */
final class OptimizedGraph {

    private OptimizedGraph() {
    }

    /** Op type counts of {@code model} after ONNX Runtime's optimizations at {@code level}. */
    static Map<String, Integer> opTypes(ModelProto model, OrtSession.SessionOptions.OptLevel level)
            throws OrtException, IOException {
        Path file = Files.createTempFile("optimized", ".onnx");
        try {
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(level);
                options.setIntraOpNumThreads(1);
                // Saving an ALL-level graph warns that it may hold hardware-specific ops; the test only reads it.
                options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
                options.setOptimizedModelFilePath(file.toString());
                OrtEnvironment.getEnvironment().createSession(model.toByteArray(), options).close();
            }
            Map<String, Integer> counts = new TreeMap<>();
            for (NodeProto node : ModelProto.parseFrom(Files.readAllBytes(file)).getGraph().getNodeList()) {
                counts.merge(node.getOpType(), 1, Integer::sum);
            }
            return counts;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}

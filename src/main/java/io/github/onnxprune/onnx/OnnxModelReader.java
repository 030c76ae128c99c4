package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads ONNX model files and rejects what is not a usable ONNX model, naming the file and the problem. Nothing
 * else reads a model's tensors or hands it to ONNX Runtime before it has passed these checks.
 */
public final class OnnxModelReader {

    private OnnxModelReader() {
    }

    /** Reads and checks the model at {@code file}. */
    public static OnnxMl.ModelProto read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidModelException(file, "cannot be read (" + e.getMessage() + ").", e);
        }
        return parse(file, bytes);
    }

    /** Parses and checks model bytes that came from {@code file}. */
    public static OnnxMl.ModelProto parse(Path file, byte[] bytes) {
        if (bytes.length == 0) {
            throw new InvalidModelException(file, "the file is empty. Replace it with an exported .onnx model.");
        }
        OnnxMl.ModelProto model;
        try {
            CodedInputStream input = CodedInputStream.newInstance(bytes);
            // Models above the default 100 MB message limit are legitimate; the protobuf hard limit is 2 GB.
            input.setSizeLimit(Integer.MAX_VALUE);
            model = OnnxMl.ModelProto.parseFrom(input);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidModelException(file, "is not a valid ONNX model (" + e.getMessage()
                    + "). The file may be truncated or not an ONNX model at all; export it again.", e);
        } catch (IOException e) {
            throw new InvalidModelException(file, "cannot be parsed (" + e.getMessage() + ").", e);
        }
        check(file, model);
        return model;
    }

    private static void check(Path file, OnnxMl.ModelProto model) {
        // Protobuf parses many arbitrary byte strings as a message of unknown fields, so the
        // fields every exported model has are the real test of "is this ONNX".
        if (model.getIrVersion() <= 0 || !model.hasGraph() || model.getGraph().getNodeCount() == 0
                || model.getOpsetImportCount() == 0) {
            throw new InvalidModelException(file, "is not an ONNX model (no IR version, graph or opset import"
                    + " found). Check that the file is an exported .onnx model and not another format.");
        }
        ModelValidator.validate(file, model);
    }
}

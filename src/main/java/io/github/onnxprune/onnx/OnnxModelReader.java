package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Reads ONNX model files and rejects what is not a usable ONNX model, naming the file and the problem. Nothing
 * else reads a model's tensors or hands it to ONNX Runtime before it has passed these checks.
 *
 * <p>Parsing does not copy tensor data: every {@code bytes} field of the parsed model (raw_data above all) is a
 * view of the bytes parsed, so a model mapped from its file ({@link ModelBytes#map}) costs the heap only its
 * graph structure, and the bytes must stay unchanged for as long as the model is used.
 */
public final class OnnxModelReader {

    private OnnxModelReader() {
    }

    /** Reads and checks the model at {@code file}. */
    public static OnnxMl.ModelProto read(Path file) {
        return parse(file, map(file));
    }

    /** The bytes of the model file at {@code file}, mapped (see {@link ModelBytes#map}). */
    public static ByteBuffer map(Path file) {
        try {
            return ModelBytes.map(file);
        } catch (IOException e) {
            throw new InvalidModelException(file, "cannot be read (" + e.getMessage() + ").", e);
        }
    }

    /** Parses and checks model bytes that came from {@code file}; the model keeps views of {@code bytes}. */
    public static OnnxMl.ModelProto parse(Path file, byte[] bytes) {
        return parse(file, ByteBuffer.wrap(bytes));
    }

    /**
     * Parses and checks model bytes (from position 0 to the limit) that came from {@code file}; the model keeps
     * views of {@code bytes}, which must be direct or a writable heap buffer to be parsed without a copy.
     */
    public static OnnxMl.ModelProto parse(Path file, ByteBuffer bytes) {
        if (bytes.limit() == 0) {
            throw new InvalidModelException(file, "the file is empty. Replace it with an exported .onnx model.");
        }
        OnnxMl.ModelProto model;
        try {
            // Only a stream over bytes protobuf may treat as immutable hands out views instead of copies.
            CodedInputStream input = UnsafeByteOperations.unsafeWrap(bytes.duplicate().position(0)).newCodedInput();
            input.enableAliasing(true);
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

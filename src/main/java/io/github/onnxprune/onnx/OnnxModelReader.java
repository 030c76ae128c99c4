package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads ONNX model files and rejects what is not a usable ONNX model, naming the file and the problem. Nothing
 * else reads a model's tensors or hands it to ONNX Runtime before it has passed these checks.
 *
 * <p>Parsing does not copy tensor data: every {@code bytes} field of the parsed model (raw_data above all) is a
 * view of the bytes parsed, so a model mapped from its file ({@link ModelBytes#map}) costs the heap only its
 * graph structure, and the bytes must stay unchanged for as long as the model is used.
 */
public final class OnnxModelReader {

    /** How many leading bytes tell a text file from a model (a model's first bytes are binary field tags). */
    private static final int TEXT_PROBE = 256;

    private OnnxModelReader() {
    }

    /**
     * Starts loading and initializing, on a daemon thread of its own, the classes that reading a model needs
     * (protobuf's runtime and the ONNX message classes, about 180 of them): a build's new JVM spends most of its
     * first parse of a large model loading them (MiniLM: 160 ms of CPU for the first parse, 22 ms for a second),
     * while the caller still has other work to do first. A class the caller reaches meanwhile waits for that
     * class's initialization instead of repeating it.
     *
     * @return the thread, started
     */
    public static Thread preload() {
        Thread thread = new Thread(() -> {
            try {
                readSmallModel();
            } catch (RuntimeException e) {
                // Only a head start: the real read loads whatever this did not, and reports its own problems.
            }
        }, "onnx-prune-preload");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Builds, serializes and reads back (checks included) a one-node model with the parts every export has. */
    static OnnxMl.ModelProto readSmallModel() {
        OnnxMl.TypeProto type = OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE).setShape(OnnxMl.TensorShapeProto.newBuilder()
                        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(1)))).build();
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("preload")
                .addInitializer(OnnxMl.TensorProto.newBuilder().setName("w").addDims(1).addDims(1)
                        .setDataType(OnnxMl.TensorProto.DataType.FLOAT_VALUE)
                        .setRawData(UnsafeByteOperations.unsafeWrap(new byte[4])))
                .addNode(OnnxMl.NodeProto.newBuilder().setName("n").setOpType("MatMul").addInput("x").addInput("w")
                        .addOutput("y").addAttribute(OnnxMl.AttributeProto.newBuilder().setName("a")
                                .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(1)))
                .addInput(OnnxMl.ValueInfoProto.newBuilder().setName("x").setType(type))
                .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName("y").setType(type)).build();
        OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13))
                .addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey("k").setValue("v")).build();
        return parse(Path.of("preload.onnx"), ModelBytes.serialize(model));
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
        // A model begins with binary field tags; text would parse as protobuf groups or fail on its wire types.
        textInstead(bytes).ifPresent(problem -> {
            throw new InvalidModelException(file, problem);
        });
        OnnxMl.ModelProto model;
        try {
            // Only a stream over bytes protobuf may treat as immutable hands out views instead of copies.
            CodedInputStream input = UnsafeByteOperations.unsafeWrap(bytes.duplicate().position(0)).newCodedInput();
            input.enableAliasing(true);
            // Models above the default 100 MB message limit are legitimate; the protobuf hard limit is 2 GB.
            input.setSizeLimit(Integer.MAX_VALUE);
            model = OnnxMl.ModelProto.parseFrom(input);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidModelException(file, "the file is not a valid ONNX model (" + e.getMessage()
                    + "). It may be truncated or not an ONNX model at all; export it again.", e);
        } catch (IOException e) {
            throw new InvalidModelException(file, "the file cannot be parsed (" + e.getMessage() + ").", e);
        }
        check(file, model);
        return model;
    }

    /** What a text file where a model should be is, by its first line: a Git LFS pointer above all. */
    private static Optional<String> textInstead(ByteBuffer bytes) {
        String start = StandardCharsets.ISO_8859_1.decode(bytes.duplicate().position(0)
                .limit(Math.min(bytes.limit(), TEXT_PROBE))).toString();
        String firstLine = start.lines().findFirst().orElse("").strip();
        if (firstLine.isEmpty() || !start.chars().allMatch(c -> c >= 0x20 && c < 0x7f || c == '\n' || c == '\r'
                || c == '\t')) {
            return Optional.empty();
        }
        if (firstLine.startsWith("version https://git-lfs.github.com/spec/")) {
            return Optional.of("the file is a Git LFS pointer, not the model: this checkout holds only the pointer"
                    + " the repository keeps in its place. Install Git LFS and run git lfs pull (in CI, check out"
                    + " with LFS enabled), then build again.");
        }
        return Optional.of("the file is text, not an ONNX model (it begins '"
                + firstLine.substring(0, Math.min(firstLine.length(), 60)) + "'). Replace it with the exported"
                + " .onnx file.");
    }

    private static void check(Path file, OnnxMl.ModelProto model) {
        // Protobuf parses many arbitrary byte strings as a message of unknown fields, so the
        // fields every exported model has are the real test of "is this ONNX".
        if (model.getIrVersion() <= 0 || !model.hasGraph() || model.getGraph().getNodeCount() == 0
                || model.getOpsetImportCount() == 0) {
            throw new InvalidModelException(file, "the file is not an ONNX model (no IR version, graph or opset import"
                    + " found). Check that the file is an exported .onnx model and not another format.");
        }
        ModelValidator.validate(file, model);
    }
}

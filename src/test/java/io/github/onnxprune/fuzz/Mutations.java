package io.github.onnxprune.fuzz;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded ways of breaking a model or a data file, each one kind of damage a real file can have or an attacker can
 * craft.
 */
final class Mutations {

    /** Values that break size arithmetic: huge, negative, zero, just past int range. */
    private static final long[] NASTY_DIMS = {0, -1, -7, 1L << 31, (1L << 31) - 1, 1L << 40, Long.MAX_VALUE,
            2_000_000_000L, 3};
    /** Element types, valid and not, including ones no reader here handles. */
    private static final int[] DTYPES = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 21, 25, 99};

    private Mutations() {
    }

    /** Flips one to eight random bits. */
    static byte[] flipBits(byte[] bytes, Random random) {
        byte[] copy = bytes.clone();
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips && copy.length > 0; i++) {
            int bit = random.nextInt(copy.length * 8);
            copy[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        return copy;
    }

    /** Cuts the bytes at a random length, sometimes very short. */
    static byte[] truncate(byte[] bytes, Random random) {
        int length = random.nextBoolean() ? random.nextInt(Math.min(bytes.length, 64) + 1)
                : random.nextInt(bytes.length);
        return Arrays.copyOf(bytes, length);
    }

    /** Overwrites a random run of bytes with random values. */
    static byte[] scribble(byte[] bytes, Random random) {
        byte[] copy = bytes.clone();
        if (copy.length == 0) {
            return copy;
        }
        int from = random.nextInt(copy.length);
        int length = Math.min(copy.length - from, 1 + random.nextInt(32));
        for (int i = from; i < from + length; i++) {
            copy[i] = (byte) random.nextInt(256);
        }
        return copy;
    }

    // ---- model structure --------------------------------------------------------------------------------

    /** Sets one dim of one initializer to a value that breaks size arithmetic. */
    static ModelProto oversizedDim(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        int index = random.nextInt(graph.getInitializerCount());
        TensorProto.Builder tensor = graph.getInitializerBuilder(index);
        long dim = NASTY_DIMS[random.nextInt(NASTY_DIMS.length)];
        if (tensor.getDimsCount() == 0 || random.nextInt(4) == 0) {
            tensor.addDims(dim);
        } else {
            tensor.setDims(random.nextInt(tensor.getDimsCount()), dim);
        }
        return model.toBuilder().setGraph(graph).build();
    }

    /** Changes one initializer's element type, leaving its bytes as they are. */
    static ModelProto wrongDtype(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        TensorProto.Builder tensor = graph.getInitializerBuilder(random.nextInt(graph.getInitializerCount()));
        tensor.setDataType(DTYPES[random.nextInt(DTYPES.length)]);
        return model.toBuilder().setGraph(graph).build();
    }

    /** Gives one node output (or initializer) the name of another value. */
    static ModelProto duplicateName(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        List<String> names = graph.getNodeList().stream().flatMap(n -> n.getOutputList().stream()).toList();
        String taken = names.get(random.nextInt(names.size()));
        if (random.nextBoolean() && graph.getInitializerCount() > 0) {
            graph.getInitializerBuilder(random.nextInt(graph.getInitializerCount())).setName(taken);
        } else {
            NodeProto.Builder node = graph.getNodeBuilder(random.nextInt(graph.getNodeCount()));
            node.setOutput(0, taken);
        }
        return model.toBuilder().setGraph(graph).build();
    }

    /** Makes an early node read a later node's output, or swaps two nodes: a cycle or an unsorted graph. */
    static ModelProto cycle(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        int count = graph.getNodeCount();
        int early = random.nextInt(count);
        int late = early + random.nextInt(count - early);
        if (random.nextBoolean() && graph.getNodeBuilder(early).getInputCount() > 0) {
            NodeProto.Builder node = graph.getNodeBuilder(early);
            node.setInput(random.nextInt(node.getInputCount()), graph.getNode(late).getOutput(0));
        } else {
            NodeProto first = graph.getNode(early);
            graph.setNode(early, graph.getNode(late));
            graph.setNode(late, first);
        }
        return model.toBuilder().setGraph(graph).build();
    }

    /** Removes a node's inputs or outputs, or points an input at nothing. */
    static ModelProto brokenNode(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        NodeProto.Builder node = graph.getNodeBuilder(random.nextInt(graph.getNodeCount()));
        switch (random.nextInt(4)) {
            case 0 -> node.clearOutput();
            case 1 -> node.clearInput();
            case 2 -> {
                if (node.getInputCount() > 0) {
                    node.setInput(random.nextInt(node.getInputCount()), random.nextBoolean() ? "" : "missing");
                }
            }
            default -> node.addInput(node.getInputCount() > 0 ? node.getInput(0) : "x");
        }
        return model.toBuilder().setGraph(graph).build();
    }

    /** Moves one initializer's data to an external file outside the model's folder. */
    static ModelProto externalData(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        TensorProto.Builder tensor = graph.getInitializerBuilder(random.nextInt(graph.getInitializerCount()));
        tensor.clearRawData().clearFloatData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location")
                        .setValue(random.nextBoolean() ? "./././etc/passwd" : "../../outside.bin"));
        return model.toBuilder().setGraph(graph).build();
    }

    /** Changes a graph input's declared shape or type, or an integer attribute of a node. */
    static ModelProto wrongSignature(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        if (random.nextBoolean()) {
            var type = graph.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder();
            if (random.nextInt(3) == 0) {
                type.setElemType(DTYPES[random.nextInt(DTYPES.length)]);
            } else if (type.getShape().getDimCount() > 0) {
                TensorShapeProto.Dimension.Builder dim = type.getShapeBuilder().getDimBuilder(
                        random.nextInt(type.getShape().getDimCount()));
                dim.setDimValue(NASTY_DIMS[random.nextInt(NASTY_DIMS.length)]);
            }
        } else {
            NodeProto.Builder node = graph.getNodeBuilder(random.nextInt(graph.getNodeCount()));
            for (AttributeProto.Builder attribute : node.getAttributeBuilderList()) {
                if (attribute.getType() == AttributeProto.AttributeType.INT) {
                    attribute.setI(NASTY_DIMS[random.nextInt(NASTY_DIMS.length)]);
                } else if (attribute.getType() == AttributeProto.AttributeType.INTS && attribute.getIntsCount() > 0) {
                    attribute.setInts(random.nextInt(attribute.getIntsCount()), random.nextInt(9) - 2);
                }
            }
        }
        return model.toBuilder().setGraph(graph).build();
    }

    /** Writes NaN, infinity or random bits into one initializer's float values. */
    static ModelProto poisonedWeights(ModelProto model, Random random) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        TensorProto.Builder tensor = graph.getInitializerBuilder(random.nextInt(graph.getInitializerCount()));
        float poison = switch (random.nextInt(3)) {
            case 0 -> Float.NaN;
            case 1 -> Float.POSITIVE_INFINITY;
            default -> Float.intBitsToFloat(random.nextInt());
        };
        if (tensor.getDataType() == TensorProto.DataType.FLOAT_VALUE && tensor.hasRawData()
                && tensor.getRawData().size() >= 4) {
            byte[] raw = tensor.getRawData().toByteArray();
            int at = random.nextInt(raw.length / 4) * 4;
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(at, poison);
            tensor.setRawData(ByteString.copyFrom(raw));
        } else if (tensor.getFloatDataCount() > 0) {
            tensor.setFloatData(random.nextInt(tensor.getFloatDataCount()), poison);
        }
        return model.toBuilder().setGraph(graph).build();
    }

    // ---- data files -------------------------------------------------------------------------------------

    /** Rewrites the shape or dtype in a .npy header (the header is padded, so lengths may change freely). */
    static byte[] npyHeader(byte[] npy, Random random) {
        String text = new String(npy, StandardCharsets.ISO_8859_1);
        int dataStart = text.indexOf('\n') + 1;
        if (dataStart <= 0 || npy.length < 10 || npy[6] != 1) {
            return flipBits(npy, random);
        }
        String header = text.substring(10, dataStart);
        String[] shapes = {"(,)", "()", "(2000000000, 0)", "(0, 64)", "(1, 2, 3, 4, 5)", "(99999999999,)",
                "(-3, 64)", "(360, 64", "(4294967296, 1)", "(5)"};
        String[] dtypes = {"<f8", "|u1", ">f4", "<i8", "<f2", "|b1", "O", "<c8"};
        String changed = random.nextBoolean()
                ? header.replaceFirst("'shape': \\([^)]*\\)", "'shape': " + shapes[random.nextInt(shapes.length)])
                : header.replaceFirst("'descr': '[^']*'", "'descr': '" + dtypes[random.nextInt(dtypes.length)] + "'");
        changed = changed.strip();
        int padding = Math.max(0, 64 - (10 + changed.length() + 1) % 64) % 64;
        String padded = changed + " ".repeat(padding) + "\n";
        byte[] headerBytes = padded.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[10 + headerBytes.length + npy.length - dataStart];
        System.arraycopy(npy, 0, out, 0, 8);
        out[8] = (byte) headerBytes.length;
        out[9] = (byte) (headerBytes.length >> 8);
        System.arraycopy(headerBytes, 0, out, 10, headerBytes.length);
        System.arraycopy(npy, dataStart, out, 10 + headerBytes.length, npy.length - dataStart);
        return out;
    }

    /** Writes NaN or infinity over one float32 element of a .npy array. */
    static byte[] npyPoison(byte[] npy, Random random) {
        String text = new String(npy, StandardCharsets.ISO_8859_1);
        int dataStart = text.indexOf('\n') + 1;
        if (!text.contains("'<f4'") || npy.length - dataStart < 4) {
            return scribble(npy, random);
        }
        byte[] copy = npy.clone();
        int at = dataStart + random.nextInt((npy.length - dataStart) / 4) * 4;
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putFloat(at,
                random.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY);
        return copy;
    }

    /** Replaces one CSV cell with text a careless export or a hostile file could hold. */
    static byte[] csvCell(byte[] csv, Random random) {
        String[] lines = new String(csv, StandardCharsets.UTF_8).split("\n", -1);
        String[] garbage = {"NaN", "Infinity", "-Infinity", "2.5f", "0x1p4", "", "1e999", "\"", "1,2", "١٢",
                "99999999999999999999999", "-0", "1e-400", "label"};
        int line = random.nextInt(Math.max(1, lines.length - 1));
        String[] cells = lines[line].split(",", -1);
        cells[random.nextInt(cells.length)] = garbage[random.nextInt(garbage.length)];
        lines[line] = String.join(",", cells);
        return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
    }

    /** Changes the dims, type or data of a serialized TensorProto (ONNX test data). */
    static byte[] tensorProto(byte[] bytes, Random random) {
        TensorProto tensor;
        try {
            tensor = TensorProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return flipBits(bytes, random);
        }
        TensorProto.Builder builder = tensor.toBuilder();
        switch (random.nextInt(4)) {
            case 0 -> {
                long dim = NASTY_DIMS[random.nextInt(NASTY_DIMS.length)];
                if (builder.getDimsCount() == 0) {
                    builder.addDims(dim);
                } else {
                    builder.setDims(random.nextInt(builder.getDimsCount()), dim);
                }
            }
            case 1 -> builder.setDataType(DTYPES[random.nextInt(DTYPES.length)]);
            case 2 -> builder.setDataLocation(TensorProto.DataLocation.EXTERNAL).addExternalData(
                    StringStringEntryProto.newBuilder().setKey("location").setValue("../../../etc/passwd"));
            default -> {
                if (builder.hasRawData() && builder.getRawData().size() >= 4) {
                    byte[] raw = builder.getRawData().toByteArray();
                    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(random.nextInt(raw.length / 4) * 4,
                            Float.NaN);
                    builder.setRawData(ByteString.copyFrom(raw));
                } else {
                    builder.addFloatData(Float.NaN);
                }
            }
        }
        return builder.build().toByteArray();
    }
}

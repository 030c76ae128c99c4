package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.NodeAttributes;

/** Reads a node's inputs and attributes, and names it in messages. */
final class Nodes {

    private Nodes() {
    }

    static String input(NodeProto node, int index) {
        return index < node.getInputCount() ? node.getInput(index) : "";
    }

    static String describe(NodeProto node) {
        return node.getOpType() + (node.getName().isEmpty() ? "" : " '" + node.getName() + "'");
    }

    static long intAttribute(NodeProto node, String name, long fallback) {
        return NodeAttributes.intValue(node, name, fallback);
    }

    static float floatAttribute(NodeProto node, String name, float fallback) {
        return NodeAttributes.floatValue(node, name, fallback);
    }
}

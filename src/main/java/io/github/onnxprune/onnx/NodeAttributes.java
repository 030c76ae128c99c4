package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;

/** Reading a node's attributes by name, with the ONNX default when the attribute is absent. */
public final class NodeAttributes {

    private NodeAttributes() {
    }

    /** The node's attribute of that name, or null when it has none. */
    public static AttributeProto find(NodeProto node, String name) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute;
            }
        }
        return null;
    }

    /** The integer attribute of that name, or {@code fallback} when the node has none. */
    public static long intValue(NodeProto node, String name, long fallback) {
        AttributeProto attribute = find(node, name);
        return attribute == null ? fallback : attribute.getI();
    }

    /** The float attribute of that name, or {@code fallback} when the node has none. */
    public static float floatValue(NodeProto node, String name, float fallback) {
        AttributeProto attribute = find(node, name);
        return attribute == null ? fallback : attribute.getF();
    }
}

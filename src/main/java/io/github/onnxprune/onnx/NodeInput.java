package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * One place where a node reads a value.
 *
 * @param nodeIndex the node's position in the graph
 * @param node the node
 * @param inputIndex which of its inputs
 */
public record NodeInput(int nodeIndex, NodeProto node, int inputIndex) {
}

package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;

/** What the quantizer will emit for one layer: the layer's values and the int8 form's requirements. */
sealed interface LayerPlan permits MatMulLayer, ConvLayer, GatherLayer {

    /** The original node. */
    NodeProto node();

    /** The activation the layer reads (for Gather, the indices). */
    String input();

    /** The value the int8 form writes. */
    String output();

    /** Every node the int8 form replaces, the layer first. */
    default List<NodeProto> replacedNodes() {
        return List.of(node());
    }

    /**
     * Identifies the int8 weight this layer stores: layers that read the same float weight the same way (shared
     * or tied weights) store one int8 copy, so quantizing never makes a file with shared weights bigger.
     */
    String weightKey();

    /** The lowest default-domain opset the form's ops need. */
    int minOpset();

    /** The form's name in the report. */
    String form();
}

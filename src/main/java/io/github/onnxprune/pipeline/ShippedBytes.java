package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.PatchedSerialization;
import io.github.onnxprune.onnx.RawDataLayout;
import io.github.onnxprune.ship.ChunksAhead;
import io.github.onnxprune.step.ModelStep;
import io.github.onnxprune.step.weights.WeightPruningStep;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * How a pruned model's bytes are made cheaply: patched from the original's where only tensor values changed
 * ({@link PatchedSerialization}), and the original's chunks that will not change deflated ahead while it is pruned
 * ({@link ChunksAhead}); the debug log says which way each model took and why.
 */
final class ShippedBytes {

    private ShippedBytes() {
    }

    /**
     * {@code stamped}, the model to ship, serialized: patched from {@code originalBytes} when it can be; {@code ahead}
     * then deflates its chunks that no original's chunk deflated ahead already covers, while the run goes on to the
     * jar.
     */
    static PatchedSerialization.Serialized serialize(ModelTask task, ModelProto original, ByteBuffer originalBytes,
            ModelProto stamped, ChunksAhead ahead, Consumer<String> debug) {
        PatchedSerialization.Serialized serialized = PatchedSerialization.serialize(original, originalBytes, stamped);
        debug.accept("Model " + task.entryName() + (serialized.patched()
                ? ": written from the original's bytes, " + serialized.why()
                : ": serialized whole, as the original's bytes could not be patched: " + serialized.why()));
        ahead.deflateShipped(serialized.bytes());
        return serialized;
    }

    /**
     * Starts deflating the chunks of the original that its pruning leaves as they are, when only weights are pruned
     * (only their values change, so every other byte keeps its place): all but those of the tensors it may change.
     */
    static void deflateAhead(ModelTask task, ModelProto original, ByteBuffer originalBytes, ChunksAhead ahead,
            Consumer<String> debug) {
        if (ahead == ChunksAhead.NONE) {
            return;
        }
        Set<String> changing = new HashSet<>();
        for (ModelStep<?> step : StepPlan.of(task)) {
            if (!(step instanceof WeightPruningStep weights)) {
                debug.accept("Model " + task.entryName() + ": nothing deflated ahead, as step " + step.id()
                        + " moves the model's bytes");
                return;
            }
            changing.addAll(weights.mayChange(original));
        }
        List<ChunksAhead.Span> spans = RawDataLayout.of(originalBytes)
                .map(layout -> spans(original, layout, changing)).orElse(null);
        if (spans == null) {
            debug.accept("Model " + task.entryName() + ": nothing deflated ahead, as the file cannot be patched");
            return;
        }
        ahead.deflateAhead(originalBytes, spans);
    }

    /** Where the raw_data of the initializers named in {@code changing} lies; null when one cannot be placed. */
    private static List<ChunksAhead.Span> spans(ModelProto original, RawDataLayout layout, Set<String> changing) {
        List<TensorProto> initializers = original.getGraph().getInitializerList();
        if (layout.rawData().size() != initializers.size()) {
            return null;
        }
        List<ChunksAhead.Span> spans = new ArrayList<>();
        for (int i = 0; i < initializers.size(); i++) {
            if (changing.contains(initializers.get(i).getName())) {
                RawDataLayout.Range range = layout.rawData().get(i);
                if (range == null) {
                    return null;
                }
                spans.add(new ChunksAhead.Span(range.offset(), range.length()));
            }
        }
        return spans;
    }

}

package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.search.SensitivityFallback;
import io.github.onnxprune.search.SensitivityProfile;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class FallbackTensorsTest {

    private static final List<SensitivityProfile.Point> FAILS_AT_HALF = List.of(
            new SensitivityProfile.Point(0.25, 0.97, true), new SensitivityProfile.Point(0.5, 0.5, false));

    @Test
    void aTensorTheUserPinsByItsLayerNameIsNeitherHeldBackNorCountedAsFree() throws Exception {
        ModelTask plain = ModelPruningPipelineTest.task("digits-mlp/model.onnx", null, 0.5, new GateLimits(null, 0.02));
        PruningSettings p = plain.pruning();
        ModelTask task = new ModelTask(plain.file(), plain.entryName(), new PruningSettings(p.method(), 0.5, 0,
                p.scope(), List.of(SparsityOverride.parse("/fc3/*=0.1")), p.filter(), p.importance()),
                plain.evaluation(), plain.limits());
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(plain.file()));
        List<SensitivityProfile.Curve> curves = List.of(
                new SensitivityProfile.Curve("fc1.weight", 64 * 64, FAILS_AT_HALF),
                new SensitivityProfile.Curve("fc2.weight", 32 * 64, FAILS_AT_HALF),
                new SensitivityProfile.Curve("fc3.weight", 10 * 32, FAILS_AT_HALF));

        SensitivityFallback fallback = FallbackTensors.of(task, model, curves);

        assertEquals(List.of(List.of("fc1.weight"), List.of("fc2.weight")),
                fallback.groups().stream().map(g -> g.tensors().tensors()).sorted((a, b) -> a.get(0)
                        .compareTo(b.get(0))).toList());
        // fc1 (64 x 64) and fc2 (32 x 64) are free; fc3, pinned through its layer /fc3/Gemm, is not.
        assertEquals(64 * 64 + 32 * 64, fallback.size());
    }
}

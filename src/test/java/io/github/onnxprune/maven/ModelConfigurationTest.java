package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.pipeline.SettingsValidator;
import org.junit.jupiter.api.Test;

class ModelConfigurationTest {

    @Test
    void aMisspeltNamedValueFailsBeforeAnyModelIsReadNamingItsElementAndTheValuesAllowed() {
        ModelConfiguration pluginWide = new ModelConfiguration();
        pluginWide.metric = "acuracy";
        pluginWide.method = "node";
        pluginWide.quantize = "int4";
        ModelConfiguration model = new ModelConfiguration();
        model.path = "models/a.onnx";
        model.scope = "globl";
        model.importance = "l3";
        model.pooling = "max";
        SettingsValidator settings = pluginWide.check(new SettingsValidator());
        model.check(settings.forModel(model.path));
        assertEquals("Invalid onnx-prune configuration: <method> (property onnx-prune.method) is 'node' but must be"
                + " one of weights, nodes; <quantize> (property onnx-prune.quantize) is 'int4' but must be one of"
                + " none, int8; <metric> (property onnx-prune.metric) is 'acuracy' but must be one of accuracy, top5,"
                + " agreement, cosine, mse; <scope> of <model> models/a.onnx is 'globl' but must be one of layerwise,"
                + " global, measured; <importance> of <model> models/a.onnx is 'l3' but must be one of l1, l2,"
                + " fluctuation, compensated; <pooling> of <model> models/a.onnx is 'max' but must be one of flatten,"
                + " mean. Fix them in the plugin's <configuration> or on the command line; nothing was pruned.",
                settings.failure().orElseThrow());
    }

    @Test
    void theValuesAreReadAsTheirParsersReadThem() {
        ModelConfiguration accepted = new ModelConfiguration();
        accepted.metric = " Cosine ";
        accepted.method = "NODES";
        accepted.quantize = "Int8";
        accepted.scope = "Global";
        accepted.importance = "Compensated";
        accepted.pooling = "";
        assertTrue(accepted.check(new SettingsValidator()).failure().isEmpty());
    }

    @Test
    void weightBitsOtherThanSevenOrEightFailNamingTheRange() {
        ModelConfiguration pluginWide = new ModelConfiguration();
        pluginWide.weightBits = 4;
        assertEquals("Invalid onnx-prune configuration: <weightBits> (property onnx-prune.weightBits) is 4 but must be"
                + " a whole number from 7 to 8. Fix it in the plugin's <configuration> or on the command line; nothing"
                + " was pruned.", pluginWide.check(new SettingsValidator()).failure().orElseThrow());
        ModelConfiguration accepted = new ModelConfiguration();
        accepted.weightBits = 8;
        assertTrue(accepted.check(new SettingsValidator()).failure().isEmpty());
    }
}

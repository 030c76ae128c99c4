package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsValidatorTest {

    @Test
    void valuesInRangeAndUnsetValuesPass() {
        SettingsValidator settings = new SettingsValidator().fraction("sparsity", 0.0).fraction("nodeSparsity", null)
                .overrides("sparsityOverrides", List.of("fc1.*=0.3", "a=b=0.99"))
                .range("minTensorSize", 0L, 0, Long.MAX_VALUE).range("batchSize", 1, 1, 64)
                .finite("minAccuracy", -3.5).atLeast("maxAccuracyDrop", 0.0, 0);
        settings.forModel("m.onnx").fraction("sparsity", 0.999).range("batchSize", (Integer) null, 1, 2);
        assertTrue(settings.failure().isEmpty());
    }

    @Test
    void everyProblemIsNamedOnceInOneParagraphWithTheModelForOverrides() {
        SettingsValidator settings = new SettingsValidator().fraction("sparsity", Double.NaN)
                .overrides("sparsityOverrides", List.of("fc1=1", "fc2", "fc3=x"))
                .range("minTensorSize", -1L, 0, Long.MAX_VALUE)
                .finite("minAccuracy", Double.POSITIVE_INFINITY).atLeast("maxAccuracyDrop", -0.5, 0);
        settings.forModel("models/a.onnx").fraction("nodeSparsity", 1.0).range("calibrationSamples", 0, 1, 10);
        assertEquals("Invalid onnx-prune configuration: <sparsity> (property onnx-prune.sparsity) is NaN but must be a"
                + " fraction at least 0 and below 1 (0.5 removes half); <sparsityOverrides> (property"
                + " onnx-prune.sparsityOverrides) is 'fc1=1' but must be entries of the form pattern=fraction with a"
                + " fraction at least 0 and below 1, e.g. fc1.weight=0.3; <sparsityOverrides> (property"
                + " onnx-prune.sparsityOverrides) is 'fc2' but must be entries of the form pattern=fraction with a"
                + " fraction at least 0 and below 1, e.g. fc1.weight=0.3; <sparsityOverrides> (property"
                + " onnx-prune.sparsityOverrides) is 'fc3=x' but must be entries of the form pattern=fraction with a"
                + " fraction at least 0 and below 1, e.g. fc1.weight=0.3; <minTensorSize> (property"
                + " onnx-prune.minTensorSize) is -1 but must be a whole number 0 or more; <minAccuracy> (property"
                + " onnx-prune.minAccuracy) is Infinity but must be a finite number; <maxAccuracyDrop> (property"
                + " onnx-prune.maxAccuracyDrop) is -0.5 but must be a number of 0 or more; <nodeSparsity> of <model>"
                + " models/a.onnx is 1 but must be a fraction at least 0 and below 1 (0.5 removes half);"
                + " <calibrationSamples> of <model> models/a.onnx is 0 but must be a whole number from 1 to 10. Fix"
                + " them in the plugin's <configuration> or on the command line; nothing was pruned.",
                settings.failure().orElseThrow());
    }

    @Test
    void aSearchBudgetIsCandidatesOrMinutesAndAnythingElseIsOneParagraphNamingTheElement() {
        SettingsValidator fine = new SettingsValidator().searchBudget("searchBudget", "12");
        fine.forModel("m.onnx").searchBudget("searchBudget", "5m").searchBudget("searchBudget", " 2.5 min ")
                .searchBudget("searchBudget", null);
        assertTrue(fine.failure().isEmpty());
        SettingsValidator settings = new SettingsValidator().searchBudget("searchBudget", "5h");
        settings.forModel("models/a.onnx").searchBudget("searchBudget", "0");
        assertEquals("Invalid onnx-prune configuration: <searchBudget> (property onnx-prune.searchBudget) is '5h'"
                + " but must be a whole number of evaluations from 1 to 100 (e.g. 12) or of minutes above 0 and at"
                + " most 1440 followed by m or min (e.g. 5m or 5min, which measures at most 12 evaluations and starts"
                + " none after that time); <searchBudget> of <model> models/a.onnx is '0' but must be a whole number"
                + " of evaluations from 1 to 100 (e.g. 12) or of minutes above 0 and at most 1440 followed by m or min"
                + " (e.g. 5m or 5min, which measures at most 12 evaluations and starts none after that time). Fix"
                + " them in the plugin's <configuration> or on the command line; nothing was pruned.",
                settings.failure().orElseThrow());
    }
}

package io.github.onnxprune.report;

import java.util.List;
import java.util.Optional;

/**
 * Everything measured about one model: what each step did, the metric, latency and size before and after, and
 * the gate's verdict. Fields are null where that part did not run.
 *
 * @param model the model's path inside the artifact
 * @param method the steps that ran, joined with '+' (e.g. "nodes+weights"), or "none" when none ran
 * @param targetSparsity the sparsity asked for
 * @param parametersBefore constant parameters of the whole model before
 * @param parametersAfter constant parameters after (fewer only when a step removed some)
 * @param measurement the metric before and after, or null without validation data
 * @param latency inference time before and after, or null without validation data
 * @param sizes file sizes
 * @param steps each step's own section, in the order they ran
 * @param reconstruction how the steps were compensated from calibration data, or null when they were not
 * @param warnings what the user should know although the gate passed (e.g. nothing was pruned)
 * @param violations the gate's broken limits, empty when it passed or did not run
 */
public record ModelReport(String model, String method, double targetSparsity, long parametersBefore,
        long parametersAfter, Measurement measurement, Latency latency, FileSizes sizes, List<StepSection> steps,
        Reconstruction reconstruction, List<String> warnings, List<String> violations) {

    public ModelReport {
        steps = List.copyOf(steps);
        warnings = List.copyOf(warnings);
        violations = List.copyOf(violations);
    }

    /** This report with other file sizes. */
    public ModelReport withSizes(FileSizes replaced) {
        return new ModelReport(model, method, targetSparsity, parametersBefore, parametersAfter, measurement, latency,
                replaced, steps, reconstruction, warnings, violations);
    }

    /** The section of step {@code id}, if it ran. */
    public Optional<StepSection> step(String id) {
        return steps.stream().filter(s -> s.step().equals(id)).findFirst();
    }

    /** The fraction the last step that removes by fraction reached, or 0 when none did. */
    public double sparsity() {
        double sparsity = 0.0;
        for (StepSection step : steps) {
            if (step.sparsity() != null) {
                sparsity = step.sparsity();
            }
        }
        return sparsity;
    }

    /** Weight tensors pruned, over all steps. */
    public int tensorCount() {
        return steps.stream().mapToInt(StepSection::tensors).sum();
    }

    /** Whether some step changed tensor shapes. */
    public boolean reshaped() {
        return steps.stream().anyMatch(StepSection::reshapes);
    }
}

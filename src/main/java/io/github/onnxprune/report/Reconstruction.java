package io.github.onnxprune.report;

import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import java.util.List;

/**
 * How pruning was compensated from calibration data.
 *
 * @param data the calibration file or folder, as configured
 * @param samples how many samples the fits used
 * @param metricOnCalibrationData whether the metric was measured on the same data the model was fitted to
 *     (then it flatters the pruned model; a separate calibration set avoids that)
 * @param layers what happened per layer
 */
public record Reconstruction(String data, int samples, boolean metricOnCalibrationData,
        List<LayerReconstruction> layers) {

    public Reconstruction {
        layers = List.copyOf(layers);
    }
}

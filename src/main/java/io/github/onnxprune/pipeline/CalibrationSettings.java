package io.github.onnxprune.pipeline;

import io.github.onnxprune.prune.calibrate.NodeCompensation;
import io.github.onnxprune.prune.calibrate.WeightReconstruction;
import java.nio.file.Path;

/**
 * Whether and on what data pruning is compensated (node pruning: the next layers re-fitted; weight pruning:
 * the kept weights re-fitted), so that the pruned model keeps more accuracy without retraining.
 *
 * @param reconstruct whether to compensate; without any data pruning works as without it
 * @param calibrationData the samples to fit on, or null to use the validation data
 * @param samples the most samples used, the first ones of the file
 * @param rows the most calibration rows (samples, or their tokens or positions for sequences and convolutions) a
 *     re-fitted weight layer, or a layer compensating node pruning, is fitted on, evenly spread over them
 * @param inputErrorCorrection the share, 0 to 1, of the error a re-fitted weight layer's input carries from the
 *     layers before it that its fit corrects, for layers fitted to their pruned inputs (token sequences); 0
 *     fits the dense weights on the pruned inputs ({@link WeightReconstruction.Options#correction})
 * @param residualErrorCorrection the share, 0 to 1, of the residual stream's error at its Add that a re-fitted
 *     weight layer writing into it (a transformer block's output projections) also corrects
 *     ({@link WeightReconstruction.Options#residual})
 * @param refitSweptLayers whether weight layers too costly for the exact path, whose zeros the column sweep
 *     chose, are re-fitted per output by least squares (conjugate gradient from the sweep's weights) up to a size of
 *     10^11 multiply-adds of the exact solve ({@link WeightReconstruction.Options#withSweptLayersRefitted}) instead
 *     of only up to the exact path's limit
 */
public record CalibrationSettings(boolean reconstruct, Path calibrationData, int samples, int rows,
        double inputErrorCorrection, double residualErrorCorrection, boolean refitSweptLayers) {

    /** The default number of calibration samples. */
    public static final int DEFAULT_SAMPLES = 512;

    /** The default number of rows a re-fitted weight layer is fitted on. */
    public static final int DEFAULT_ROWS = WeightReconstruction.Options.defaults().maxRows();

    public CalibrationSettings {
        if (samples < 1) {
            throw new IllegalArgumentException("calibrationSamples is " + samples + " but must be at least 1");
        }
        if (rows < 1) {
            throw new IllegalArgumentException("calibrationRows is " + rows + " but must be at least 1");
        }
        if (!(inputErrorCorrection >= 0 && inputErrorCorrection <= 1)) {
            throw new IllegalArgumentException("inputErrorCorrection is " + inputErrorCorrection
                    + " but must be from 0 to 1");
        }
        if (!(residualErrorCorrection >= 0 && residualErrorCorrection <= 1)) {
            throw new IllegalArgumentException("residualErrorCorrection is " + residualErrorCorrection
                    + " but must be from 0 to 1");
        }
    }

    /** Settings that keep the sweep's weights on layers too costly for the exact path's re-fit. */
    public CalibrationSettings(boolean reconstruct, Path calibrationData, int samples, int rows,
            double inputErrorCorrection, double residualErrorCorrection) {
        this(reconstruct, calibrationData, samples, rows, inputErrorCorrection, residualErrorCorrection, false);
    }

    /** Settings whose weight re-fit corrects none of the residual stream's error. */
    public CalibrationSettings(boolean reconstruct, Path calibrationData, int samples, int rows,
            double inputErrorCorrection) {
        this(reconstruct, calibrationData, samples, rows, inputErrorCorrection, 0, false);
    }

    /** Settings whose weight re-fit corrects none of its inputs' error. */
    public CalibrationSettings(boolean reconstruct, Path calibrationData, int samples, int rows) {
        this(reconstruct, calibrationData, samples, rows, 0, 0, false);
    }

    /**
     * The options a weight re-fit runs with under these settings: the measured scope's fits of one layer alone take
     * the same, so each layer's cost is measured with the fit it will get.
     */
    public WeightReconstruction.Options refitOptions() {
        WeightReconstruction.Options options = WeightReconstruction.Options.defaults().withMaxRows(rows)
                .withCorrection(inputErrorCorrection).withResidual(residualErrorCorrection);
        return refitSweptLayers ? options.withSweptLayersRefitted() : options;
    }

    /** The options node pruning's compensation runs with under these settings: at most {@link #rows} per layer. */
    public NodeCompensation.Options compensationOptions() {
        return NodeCompensation.Options.defaults().withMaxRows(rows);
    }

    /** Settings fitting each weight layer on at most {@link #DEFAULT_ROWS} rows. */
    public CalibrationSettings(boolean reconstruct, Path calibrationData, int samples) {
        this(reconstruct, calibrationData, samples, DEFAULT_ROWS);
    }

    /** Reconstruction on, calibrated on the validation data's first 512 samples. */
    public static CalibrationSettings defaults() {
        return new CalibrationSettings(true, null, DEFAULT_SAMPLES);
    }

    /** No reconstruction. */
    public static CalibrationSettings off() {
        return new CalibrationSettings(false, null, DEFAULT_SAMPLES);
    }
}

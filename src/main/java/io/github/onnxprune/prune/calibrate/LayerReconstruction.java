package io.github.onnxprune.prune.calibrate;

import java.util.Locale;

/**
 * What calibration did to one layer, and how well the layer's output matches the original's on the
 * calibration rows before and after.
 *
 * @param layer the node's name, or its weight's when it has none
 * @param opType the node's op type
 * @param method "least squares", "least squares without bias", "mean", "plain" (node compensation kept the
 *     pruned layer as it was: the fit did not lower the error on held-back rows) or "skipped"
 * @param detail why a layer was skipped or only mean-compensated; empty otherwise
 * @param rows calibration rows the fit used (samples, times positions for Conv and 3-D MatMul)
 * @param errorBefore relative squared error {@code sum (y - y0)^2 / sum y0^2} of the pruned layer's output
 *     against the original's, without compensation (node compensation: on the held-back rows when it holds
 *     rows back); NaN when not measured
 * @param errorAfter the same after compensation; NaN when not measured
 */
public record LayerReconstruction(String layer, String opType, String method, String detail, int rows,
        double errorBefore, double errorAfter) {

    static LayerReconstruction skipped(LinearLayer layer, String reason) {
        return new LayerReconstruction(layer.name(), layer.opType(), "skipped", reason, 0, Double.NaN, Double.NaN);
    }

    /** This layer's account in a progress line, e.g. "least squares on 5315 rows, output error 0.0429 -> 0.0100". */
    String summary() {
        if (method.equals("skipped")) {
            return "skipped (" + detail + ")";
        }
        return String.format(Locale.ROOT, "%s on %d rows, output error %.4f -> %.4f", method, rows, errorBefore,
                errorAfter);
    }
}

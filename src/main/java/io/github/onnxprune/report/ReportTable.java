package io.github.onnxprune.report;

import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Formats the per-model summary the build log shows, one row per model plus each step's detail lines. */
public final class ReportTable {

    private static final String[] HEADER = {"model", "method", "tensors", "params", "sparsity", "metric",
        "latency median (us)", "batched (us/sample)", "size (KiB)", "deflated (KiB)"};

    private ReportTable() {
    }

    /** The table's lines, without a trailing newline. */
    public static List<String> lines(List<ModelReport> reports) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ModelReport report : reports) {
            rows.add(row(report));
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(c == 0 ? "" : "  ").append(pad(row[c], widths[c]));
            }
            lines.add(line.toString().stripTrailing());
        }
        for (ModelReport report : reports) {
            lines.addAll(layerLines(report));
        }
        return lines;
    }

    private static String[] row(ModelReport report) {
        String metric = "-";
        if (report.measurement() != null) {
            Measurement m = report.measurement();
            metric = String.format(Locale.ROOT, "%s %.4f -> %.4f", m.metric(), m.baseline(), m.pruned());
            if (report.reconstruction() != null && report.reconstruction().metricOnCalibrationData()) {
                // The fit saw these samples: say so next to the number it flatters.
                metric += " (on calibration data)";
            }
        }
        String latency = "-";
        String batched = "-";
        if (report.latency() != null) {
            latency = String.format(Locale.ROOT, "%.1f -> %.1f", report.latency().baselineMedian(),
                    report.latency().prunedMedian());
            BatchedLatency b = report.latency().batched();
            if (b != null) {
                // Two decimals: per-sample times of small models are below one microsecond.
                batched = String.format(Locale.ROOT, "%.2f -> %.2f", b.baselinePerSample(), b.prunedPerSample());
            }
        }
        FileSizes sizes = report.sizes();
        String params = !report.reshaped() ? Long.toString(report.parametersBefore())
                : report.parametersBefore() + " -> " + report.parametersAfter();
        return new String[] {
            report.model(),
            report.method(),
            Integer.toString(report.tensorCount()),
            params,
            String.format(Locale.ROOT, "%.4f", report.sparsity()),
            metric,
            latency,
            batched,
            String.format(Locale.ROOT, "%.1f -> %.1f", sizes.before() / 1024.0, sizes.after() / 1024.0),
            String.format(Locale.ROOT, "%.1f -> %.1f", sizes.deflatedBefore() / 1024.0,
                    sizes.deflatedAfter() / 1024.0),
        };
    }

    private static List<String> layerLines(ModelReport report) {
        List<String> lines = new ArrayList<>();
        Reconstruction reconstruction = report.reconstruction();
        // A model with no layer to re-fit (nothing prunable, e.g. quantized elsewhere) gets no "0 of 0" line.
        if (reconstruction != null && !reconstruction.layers().isEmpty()) {
            long fitted = reconstruction.layers().stream().filter(l -> !l.method().equals("skipped")).count();
            lines.add(String.format(Locale.ROOT, "%s reconstruction: %d of %d layers re-fitted on %d samples of %s%s",
                    report.model(), fitted, reconstruction.layers().size(), reconstruction.samples(),
                    reconstruction.data(), reconstruction.metricOnCalibrationData()
                            ? " (also the validation data: use a separate <calibrationData> for an unbiased metric)"
                            : ""));
            for (LayerReconstruction layer : reconstruction.layers()) {
                if (layer.method().equals("skipped")) {
                    lines.add("  " + layer.layer() + ": not re-fitted, " + layer.detail());
                }
            }
        }
        for (StepSection step : report.steps()) {
            if (!step.log().isEmpty()) {
                lines.add(report.model() + " " + step.logHeading());
                step.log().forEach(line -> lines.add("  " + line));
            }
        }
        return lines;
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(width - text.length());
    }
}

package io.github.onnxprune.prune.calibrate;

/**
 * Node compensation's options as the benchmarks take them from system properties: {@code -Dridge=r} (both ridges
 * unless {@code -DsequenceRidge=r} sets the token sequences'), {@code -DholdBack=k} and {@code -Dresidual=false};
 * each absent property keeps the plugin's default.
 */
public final class CompensationProperties {

    private CompensationProperties() {
    }

    /** The options the properties describe, with the default row cap. */
    public static NodeCompensation.Options options() {
        return options(NodeCompensation.Options.defaults().maxRows());
    }

    /** The options the properties describe, fitting each layer on at most {@code maxRows} rows (at least 1). */
    public static NodeCompensation.Options options(int maxRows) {
        NodeCompensation.Options defaults = NodeCompensation.Options.defaults();
        return new NodeCompensation.Options(
                Double.parseDouble(System.getProperty("ridge", Double.toString(defaults.ridge()))),
                defaults.maxFeatures(), Math.max(1, maxRows), Integer.getInteger("holdBack", defaults.holdBack()),
                Boolean.parseBoolean(System.getProperty("residual", Boolean.toString(defaults.residual()))))
                .withSequenceRidge(Double.parseDouble(System.getProperty("sequenceRidge",
                        System.getProperty("ridge", Double.toString(defaults.sequenceRidge())))));
    }
}

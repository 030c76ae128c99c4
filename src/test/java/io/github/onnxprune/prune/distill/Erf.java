package io.github.onnxprune.prune.distill;

/**
 * The error function in double precision (Java has none): the series with positive terms below 2.5, where it
 * loses nothing to cancellation, and the continued fraction of erfc above. Accurate to about 1e-15, which the
 * finite-difference check of GELU's derivative needs (a 1e-7 approximation would swamp a step of 1e-6).
 */
final class Erf {

    private static final double TWO_OVER_ROOT_PI = 2 / Math.sqrt(Math.PI);

    private Erf() {
    }

    /** erf(x). */
    static double erf(double x) {
        double ax = Math.abs(x);
        double result;
        if (ax < 2.5) {
            // erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
            double x2 = ax * ax;
            double term = ax;
            double sum = ax;
            for (int n = 1; term > 1e-17 * sum; n++) {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
            }
            result = TWO_OVER_ROOT_PI * Math.exp(-x2) * sum;
        } else if (ax < 6.5) {
            // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
            double tail = 0;
            for (int k = 80; k >= 1; k--) {
                tail = (k / 2.0) / (ax + tail);
            }
            result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + tail);
        } else {
            result = 1;
        }
        return Math.copySign(result, x);
    }
}

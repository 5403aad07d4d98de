package io.github.qat4j.core.quant;

import org.apache.commons.math3.stat.StatUtils;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * Measures of quantization quality for tests and reports: signal-to-quantization-noise ratio,
 * the fraction of values clipped, and a min/median/max summary.
 */
public final class QuantStats {

    private QuantStats() {}

    /** Minimum, median and maximum of a tensor. */
    public record Summary(double min, double median, double max) {
        @Override
        public String toString() {
            return String.format("min %.6g, median %.6g, max %.6g", min, median, max);
        }
    }

    /**
     * {@code 10 log10(sum r^2 / sum (r - q)^2)} in decibels, summed in double; {@code +Infinity} when
     * the arrays are identical. Each bit of a well-scaled uniform quantizer adds about 6 dB.
     */
    public static double sqnrDb(float[] reference, float[] quantized) {
        if (reference.length != quantized.length) {
            throw new IllegalArgumentException("lengths differ: " + reference.length + " and " + quantized.length);
        }
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < reference.length; i++) {
            double r = reference[i];
            double d = r - quantized[i];
            signal += r * r;
            noise += d * d;
        }
        if (noise == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return 10 * Math.log10(signal / noise);
    }

    /**
     * Fraction of elements outside the representable range, {@code x/s + z < qmin} or
     * {@code > qmax}: exactly those whose straight-through gradient {@link FakeQuant#backward} zeroes.
     * Uses {@link FakeQuant}'s {@code [outer][channels][inner]} view; 0 for an empty tensor.
     */
    public static double clippedFraction(
            float[] x, float[] scale, int[] zeroPoint, int qmin, int qmax, int channels, int inner) {
        FakeQuant.checkLayout(x, scale, zeroPoint, qmin, qmax, channels, inner);
        if (x.length == 0) {
            return 0;
        }
        long clipped = 0;
        int i = 0;
        while (i < x.length) {
            for (int c = 0; c < channels; c++) {
                int lo = qmin - zeroPoint[c];
                int hi = qmax - zeroPoint[c];
                for (int end = i + inner; i < end; i++) {
                    float v = x[i] / scale[c];
                    if (v < lo || v > hi) {
                        clipped++;
                    }
                }
            }
        }
        return (double) clipped / x.length;
    }

    /** Min, median and max with commons-math3 (median by its default {@link Percentile} estimator). */
    public static Summary summary(float[] x) {
        if (x.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return new Summary(StatUtils.min(d), new Percentile().evaluate(d, 50), StatUtils.max(d));
    }
}

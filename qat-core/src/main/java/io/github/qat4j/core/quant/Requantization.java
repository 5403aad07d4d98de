package io.github.qat4j.core.quant;

/**
 * Integer-only requantization: TFLite's {@code MultiplyByQuantizedMultiplier} in its single-rounding
 * form ({@code TFLITE_SINGLE_ROUNDING} in {@code kernels/internal/common.h}), with ties to even. The
 * integer runtime's kernels are checked against these methods.
 *
 * <p>An int32 accumulator {@code acc} of {@code sum (x - z_x) * w} plus the int32 bias becomes an
 * output code {@code clamp(multiplyByQuantizedMultiplier(acc, m, shift) + z_out, qmin, qmax)}, where
 * {@code (m, shift) = QuantizedMultiplier.of(s_in * s_w / s_out)}. No floating point is involved.
 *
 * <p>Why one rounding, not gemmlowp's two (a rounding doubling high multiply, then a rounding shift):
 * the high multiply keeps only {@code -shift} bits below the output's last one (8 or 9 for a typical
 * {@code s_in * s_w / s_out} near 1/300), so a value such as 35.4984 LSB first became 35.5 and then
 * 36 where the fake-quantized network, rounding the real product once, gave 35. That happened to about
 * one output in a thousand of every convolution, and through a ResNet the flips carried into every
 * later layer (ResNet-20 after a short run: a few percent of the images changed class). Rounding the
 * exact product once, ties to even as {@link Rounding} does, gives the integer the QAT network
 * computes, up to the 31-bit multiplier and float32 rounding in training.
 */
public final class Requantization {

    private Requantization() {}

    /**
     * {@code x * multiplier * 2^(shift - 31)} rounded once to the nearest integer, ties to even,
     * saturated to the int32 range: the 64-bit product {@code x * multiplier} (exact, below 2^62 in
     * magnitude), then a rounding arithmetic shift right by {@code 31 - shift}.
     *
     * @param shift in [-31, 30], as {@link QuantizedMultiplier} makes it and the model reader checks
     */
    public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
        return multiplyByQuantizedMultiplier(x, multiplier, shift, 0);
    }

    /**
     * {@code (x * multiplier + bias) * 2^(shift - 31)}, rounded and saturated as {@link
     * #multiplyByQuantizedMultiplier(int, int, int)}: a layer's output with its bias in the product's
     * fixed point ({@link #outputBias}), so the bias is not first rounded to the accumulator's units.
     *
     * @param bias at most {@link #MAX_OUTPUT_BIAS} in magnitude, so the sum stays below 2^63
     */
    public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift, long bias) {
        int total = 31 - shift;
        long product = (long) x * multiplier + bias;
        long floor = product >> total;
        long remainder = product & ((1L << total) - 1);
        // Up when the remainder is above half, or exactly half with an odd floor: remainder + (floor & 1) > half.
        long rounded = floor + (remainder + (floor & 1) > 1L << (total - 1) ? 1 : 0);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, rounded));
    }

    /**
     * {@code sum * multiplier * 2^(shift - 31) / count} rounded once to the nearest integer, ties to
     * even, saturated to the int32 range: an average pool's mean of {@code count} values in units of
     * its output scale, for {@code (multiplier, shift) = QuantizedMultiplier.of(s_in / s_out)} and
     * {@code sum} the sum of {@code q - z_in}. Exact: the product {@code sum * multiplier} is below
     * 2^62, and the division by {@code count * 2^(31 - shift)} is done in two exact steps.
     *
     * @param sum   below 2^31 in magnitude
     * @param count at least 1
     * @param shift in [-31, 30]
     */
    public static int averageByQuantizedMultiplier(long sum, int count, int multiplier, int shift) {
        int k = 31 - shift;
        long product = sum * multiplier;
        long high = product >> k; // product = high * 2^k + low
        long low = product & ((1L << k) - 1);
        long quotient = Math.floorDiv(high, count); // high = quotient * count + rest
        long rest = high - quotient * count;
        // The fraction (rest + low / 2^k) / count against one half: 2 rest + 2 low / 2^k against count,
        // where 2 low / 2^k is in [0, 2).
        int vsHalf;
        if (2 * rest + 2 <= count) {
            vsHalf = -1;
        } else if (2 * rest >= count) {
            vsHalf = 2 * rest == count && low == 0 ? 0 : 1;
        } else {
            vsHalf = Long.compare(low, 1L << (k - 1)); // count == 2 rest + 1
        }
        long rounded = quotient + (vsHalf > 0 || vsHalf == 0 && (quotient & 1) != 0 ? 1 : 0);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, rounded));
    }

    /** The largest magnitude of an {@link #outputBias}: 2^62, so that {@code x * multiplier + bias} fits a long. */
    public static final long MAX_OUTPUT_BIAS = 1L << 62;

    /**
     * A layer's float bias in the fixed point of its requantization: {@code round(bias / outputScale *
     * 2^(31 - shift))} in double, ties to even, saturated to {@link #MAX_OUTPUT_BIAS}, where {@code
     * shift} is the layer's output shift for that channel. Added to {@code acc * multiplier}, it puts
     * the bias in at 2^(shift - 31) of an output LSB (about 2^-39 for a typical layer) instead of
     * rounding it to units of {@code s_in * s_w}, as an int32 bias must: that rounding moved one output
     * in a few thousand of a folded-BatchNorm layer by 1 LSB, and through a ResNet those flips grew.
     *
     * @throws IllegalArgumentException if the bias is not finite or the scale not positive and finite
     */
    public static long outputBias(float bias, float outputScale, int shift) {
        if (!Float.isFinite(bias)) {
            throw new IllegalArgumentException("bias is not finite: " + bias);
        }
        if (!(outputScale > 0f) || !Float.isFinite(outputScale)) {
            throw new IllegalArgumentException("output scale must be positive and finite, got " + outputScale);
        }
        double v = Math.rint(Math.scalb((double) bias / outputScale, 31 - shift));
        return (long) Math.max(-MAX_OUTPUT_BIAS, Math.min(MAX_OUTPUT_BIAS, v));
    }

    /**
     * The int32 bias of an integer layer: {@code round(bias / (inputScale * weightScale))} in
     * double with {@link Rounding#round(double)}, saturated to the int32 range. The bias then adds
     * directly to the int32 accumulator, whose scale is {@code inputScale * weightScale}.
     *
     * @throws IllegalArgumentException if the bias is not finite or a scale is not positive and finite
     */
    public static int biasToInt32(float bias, float inputScale, float weightScale) {
        if (!Float.isFinite(bias)) {
            throw new IllegalArgumentException("bias is not finite: " + bias);
        }
        if (!(inputScale > 0f) || !(weightScale > 0f) || !Float.isFinite(inputScale) || !Float.isFinite(weightScale)) {
            throw new IllegalArgumentException("scales must be positive and finite, got input scale " + inputScale
                    + " and weight scale " + weightScale);
        }
        long q = Rounding.round((double) bias / ((double) inputScale * weightScale));
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
    }
}

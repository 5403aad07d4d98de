package io.github.qat4j.core.quant;

/**
 * A positive real multiplier held as an int32 Q31 fixed-point number and a power-of-two shift:
 * {@code real ~= multiplier * 2^(shift - 31)} with {@code multiplier} in {@code [2^30, 2^31)},
 * exactly as TensorFlow Lite's {@code QuantizeMultiplier} ({@code quantization_util.cc}) computes
 * it. The integer runtime requantizes an int32 accumulator with
 * {@link Requantization#multiplyByQuantizedMultiplier}, where {@code real = s_in * s_w / s_out}.
 *
 * <pre>{@code
 * QuantizedMultiplier m = QuantizedMultiplier.of(0.0123);
 * int y = Requantization.multiplyByQuantizedMultiplier(acc, m.multiplier(), m.shift());
 * }</pre>
 *
 * @param multiplier the Q31 mantissa, in {@code [2^30, 2^31 - 1]}, or 0 for a zero multiplier
 * @param shift left shift if positive, right shift if negative, in {@code [-31, 30]}
 */
public record QuantizedMultiplier(int multiplier, int shift) {

    /** @throws IllegalArgumentException for a mantissa outside {@code [2^30, 2^31)} (other than 0/0) or a shift outside [-31, 30] */
    public QuantizedMultiplier {
        boolean zero = multiplier == 0 && shift == 0;
        if (!zero && multiplier < (1 << 30)) {
            throw new IllegalArgumentException("multiplier must be in [2^30, 2^31) or 0, got " + multiplier);
        }
        if (shift < -31 || shift > 30) {
            throw new IllegalArgumentException("shift must be in [-31, 30], got " + shift);
        }
    }

    /**
     * Decomposes {@code realMultiplier} TFLite's way: {@code real = q * 2^shift} with q in
     * {@code [0.5, 1)} (C's {@code frexp}), {@code multiplier = round(q * 2^31)} rounding half away
     * from zero ({@code TfLiteRound}). When that rounds up to {@code 2^31} it is halved and the
     * shift incremented. A shift below -31 would shift every bit out, so it becomes the zero
     * multiplier; a shift above 30 (a real multiplier of 2^30 or more, never met in a network) is
     * saturated to {@code (2^31 - 1, 30)}, as TFLite's single-rounding build does, because a larger
     * left shift cannot be represented in int32.
     *
     * @throws IllegalArgumentException if {@code realMultiplier} is negative, NaN or infinite
     */
    public static QuantizedMultiplier of(double realMultiplier) {
        if (!(realMultiplier >= 0) || Double.isInfinite(realMultiplier)) {
            throw new IllegalArgumentException(
                    "real multiplier must be finite and non-negative, got " + realMultiplier);
        }
        if (realMultiplier == 0) {
            return new QuantizedMultiplier(0, 0);
        }
        // frexp: real = q * 2^shift, q in [0.5, 1). Subnormals land far below -31 and become zero.
        int shift = Math.getExponent(realMultiplier) + 1;
        double q = Math.scalb(realMultiplier, -shift);
        long qFixed = Math.round(q * (1L << 31));
        if (qFixed == (1L << 31)) {
            qFixed /= 2;
            shift++;
        }
        if (shift < -31) {
            return new QuantizedMultiplier(0, 0);
        }
        if (shift > 30) {
            return new QuantizedMultiplier(Integer.MAX_VALUE, 30);
        }
        return new QuantizedMultiplier((int) qFixed, shift);
    }

    /** The real number this represents, {@code multiplier * 2^(shift - 31)}. */
    public double toDouble() {
        return Math.scalb((double) multiplier, shift - 31);
    }
}

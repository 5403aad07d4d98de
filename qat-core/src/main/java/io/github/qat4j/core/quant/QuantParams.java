package io.github.qat4j.core.quant;

import java.util.Arrays;

/**
 * Scale and zero point of a quantized tensor, one entry per channel (one entry for a per-tensor
 * quantization): {@code r = scale[c] * (q - zeroPoint[c])}.
 *
 * <p>A value object: the arrays are copied on the way in and out, so an instance never changes
 * and two instances with the same numbers are equal.
 *
 * @param scale positive, finite step size of each channel
 * @param zeroPoint integer that represents the real value 0 in each channel
 */
public record QuantParams(float[] scale, int[] zeroPoint) {

    /** @throws IllegalArgumentException if the arrays are empty, differ in length, or a scale is not positive and finite */
    public QuantParams {
        if (scale.length == 0 || scale.length != zeroPoint.length) {
            throw new IllegalArgumentException("need one scale and one zero point per channel, got " + scale.length
                    + " scales and " + zeroPoint.length + " zero points");
        }
        for (int c = 0; c < scale.length; c++) {
            if (!(scale[c] > 0f) || !Float.isFinite(scale[c])) {
                throw new IllegalArgumentException("scale[" + c + "] must be positive and finite, got " + scale[c]);
            }
        }
        scale = scale.clone();
        zeroPoint = zeroPoint.clone();
    }

    /** Per-tensor parameters. */
    public static QuantParams of(float scale, int zeroPoint) {
        return new QuantParams(new float[] {scale}, new int[] {zeroPoint});
    }

    /** A copy of the scales. */
    @Override
    public float[] scale() {
        return scale.clone();
    }

    /** A copy of the zero points. */
    @Override
    public int[] zeroPoint() {
        return zeroPoint.clone();
    }

    /** Number of channels (1 for per-tensor quantization). */
    public int channels() {
        return scale.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantParams p && Arrays.equals(scale, p.scale) && Arrays.equals(zeroPoint, p.zeroPoint);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(scale) + Arrays.hashCode(zeroPoint);
    }

    @Override
    public String toString() {
        return "QuantParams[scale=" + Arrays.toString(scale) + ", zeroPoint=" + Arrays.toString(zeroPoint) + "]";
    }
}

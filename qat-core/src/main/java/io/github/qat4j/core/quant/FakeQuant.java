package io.github.qat4j.core.quant;

/**
 * Fake quantization for training: the forward pass, its straight-through and learned-step-size
 * gradients, and the usual initial scales.
 *
 * <p>Forward: {@code q = clamp(round(x / s) + z, qmin, qmax)}, {@code y = s * (q - z)}, with
 * {@link Rounding#round} and {@code x / s} computed as a float32 division (not a multiplication
 * by {@code 1 / s}), so that training and the runtime's input quantization produce the same
 * integers.
 *
 * <p>Backward (Esser et al., "Learned Step Size Quantization", ICLR 2020):
 * <ul>
 *   <li>straight-through estimator: {@code dL/dx = dL/dy} where {@code qmin <= x/s + z <= qmax},
 *       else 0;
 *   <li>LSQ scale gradient: {@code dy/ds = (q - z) - x/s} inside that range, {@code qmin - z} or
 *       {@code qmax - z} where clipped, summed over the elements sharing the scale and multiplied
 *       by {@code g = 1 / sqrt(N * qmax)} ({@link #lsqGradScale}).
 * </ul>
 * These are the quantities of PyTorch's {@code _fake_quantize_learnable_per_channel_affine}; two
 * details differ by design: PyTorch multiplies by a reciprocal ({@code x * (1 / s)}) and tests
 * the range on the rounded code, where LSQ and this class test the unrounded {@code x/s + z}, so
 * the two agree except within half a step of the clipping bounds.
 *
 * <p>Tensors are flat, row-major {@code float[]} viewed as {@code [outer][channels][inner]}:
 * element {@code i} belongs to channel {@code (i / inner) % channels}. Quantizing a tensor of shape
 * {@code [d0, ..., dn]} along axis {@code a} means {@code channels = d_a} and {@code inner} the
 * product of the dimensions after {@code a}; per tensor means {@code channels = 1} and
 * {@code inner = x.length}.
 *
 * <pre>{@code
 * QuantParams p = QuantSpec.weights(8).paramsFromRange(min, max);
 * FakeQuant.forward(w, out, p.scale(), p.zeroPoint(), -127, 127, channels, inner);
 * }</pre>
 */
public final class FakeQuant {

    private FakeQuant() {}

    /** {@code clamp(round(x / scale) + zeroPoint, qmin, qmax)}. */
    public static int quantize(float x, float scale, int zeroPoint, int qmin, int qmax) {
        // long: round() saturates at the int range for huge x / scale, and adding z must not wrap.
        long q = (long) Rounding.round(x / scale) + zeroPoint;
        return (int) Math.max(qmin, Math.min(qmax, q));
    }

    /**
     * {@code out[i] = scale[c] * (q - zeroPoint[c])} with {@code q = quantize(x[i], ...)}, in
     * float32. {@code out} may be {@code x}. A NaN input gives NaN (so that divergence stays
     * visible downstream); every other input gives exactly what {@link #quantize} implies.
     */
    public static void forward(
            float[] x, float[] out, float[] scale, int[] zeroPoint, int qmin, int qmax, int channels, int inner) {
        checkLayout(x, scale, zeroPoint, qmin, qmax, channels, inner);
        checkSameLength("out", out, x);
        int i = 0;
        while (i < x.length) {
            for (int c = 0; c < channels; c++) {
                float s = scale[c];
                // Round and clamp commute for integer bounds, so q - z = rint(clamp(x / s, qmin - z, qmax - z)):
                // a branch-free loop of division, min, max and two additions that C2 vectorizes.
                float lo = qmin - zeroPoint[c];
                float hi = qmax - zeroPoint[c];
                for (int end = i + inner; i < end; i++) {
                    out[i] = s * roundClamped(Math.max(lo, Math.min(hi, x[i] / s)));
                }
            }
        }
    }

    /**
     * Straight-through gradient of the input and LSQ gradient of the scales. A NaN input gives a
     * NaN gradient.
     *
     * @param gradOut {@code dL/dy}, same length as {@code x}
     * @param gradIn receives {@code dL/dx}; may be {@code gradOut}
     * @param gradScale {@code null}, or length {@code channels}: overwritten (not accumulated) with
     *     {@code gradScaleFactor * sum_i gradOut[i] * dy/ds}, summed in double
     * @param gradScaleFactor LSQ's {@code g} ({@link #lsqGradScale}), or 1 for the plain gradient
     */
    public static void backward(
            float[] x,
            float[] gradOut,
            float[] scale,
            int[] zeroPoint,
            int qmin,
            int qmax,
            int channels,
            int inner,
            float[] gradIn,
            float[] gradScale,
            float gradScaleFactor) {
        checkLayout(x, scale, zeroPoint, qmin, qmax, channels, inner);
        checkSameLength("gradOut", gradOut, x);
        checkSameLength("gradIn", gradIn, x);
        if (gradScale != null && gradScale.length != channels) {
            throw new IllegalArgumentException("gradScale needs " + channels + " entries, got " + gradScale.length);
        }
        double[] sum = new double[channels];
        float[] product = products(x.length);
        int i = 0;
        while (i < x.length) {
            for (int c = 0; c < channels; c++) {
                float s = scale[c];
                // qmin <= x/s + z <= qmax, compared as x/s against integers so no float rounding of + z.
                float lo = qmin - zeroPoint[c];
                float hi = qmax - zeroPoint[c];
                int end = i + inner;
                // Two branch-free loops (JDK 17 vectorizes no conditional select), not one: fused, the body
                // has too many nodes for C2 to unroll it to a whole vector, and it stays scalar. Both read
                // gradOut[k] before gradIn[k] is written, so gradIn may be gradOut.
                for (int k = i; k < end; k++) {
                    float v = x[k] / s;
                    float clamped = Math.max(lo, Math.min(hi, v));
                    // Inside the range q - z = round(x/s) and dy/ds = round(x/s) - x/s; clipped, dy/ds = q - z.
                    product[k] = gradOut[k] * (roundClamped(clamped) - insideRange(v, clamped) * clamped);
                }
                for (int k = i; k < end; k++) {
                    float v = x[k] / s;
                    gradIn[k] = gradOut[k] * insideRange(v, Math.max(lo, Math.min(hi, v))) + 0f;
                }
                sum[c] += sum(product, i, end);
                i = end;
            }
        }
        if (gradScale != null) {
            for (int c = 0; c < channels; c++) {
                gradScale[c] = (float) (sum[c] * gradScaleFactor);
            }
        }
    }

    /**
     * LSQ's gradient scale {@code g = 1 / sqrt(N * qmax)}, {@code N} the number of elements that
     * share one scale. It keeps the scale's update in proportion to the weights' updates.
     */
    public static float lsqGradScale(long elementsPerScale, int qmax) {
        if (elementsPerScale <= 0 || qmax <= 0) {
            throw new IllegalArgumentException(
                    "need elementsPerScale > 0 and qmax > 0, got " + elementsPerScale + " and " + qmax);
        }
        return (float) (1.0 / Math.sqrt((double) elementsPerScale * qmax));
    }

    /**
     * LSQ's initial step size per channel: {@code 2 * mean(|w|) / sqrt(qmax)}, floored at
     * {@link QuantSpec#MIN_SCALE}.
     */
    public static float[] lsqInitialScale(float[] w, int channels, int inner, int qmax) {
        double[] sumAbs = new double[channels];
        long perChannel = reduceAbs(w, channels, inner, qmax, sumAbs, false);
        float[] scale = new float[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = floor(2.0 * sumAbs[c] / perChannel / Math.sqrt(qmax));
        }
        return scale;
    }

    /** Per channel {@code max|w| / qmax}, floored at {@link QuantSpec#MIN_SCALE}. */
    public static float[] maxAbsScale(float[] w, int channels, int inner, int qmax) {
        double[] maxAbs = new double[channels];
        reduceAbs(w, channels, inner, qmax, maxAbs, true);
        float[] scale = new float[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = floor(maxAbs[c] / qmax);
        }
        return scale;
    }

    /** Sum or max of |w| per channel into {@code into}; returns the elements per channel. */
    private static long reduceAbs(float[] w, int channels, int inner, int qmax, double[] into, boolean max) {
        checkShape(w.length, channels, inner);
        if (w.length == 0) {
            throw new IllegalArgumentException("no weights");
        }
        if (qmax <= 0) {
            throw new IllegalArgumentException("qmax must be positive, got " + qmax);
        }
        int i = 0;
        while (i < w.length) {
            for (int c = 0; c < channels; c++) {
                for (int end = i + inner; i < end; i++) {
                    float a = Math.abs(w[i]);
                    if (!Float.isFinite(a)) {
                        throw new IllegalArgumentException("weight " + i + " is not finite: " + w[i]);
                    }
                    into[c] = max ? Math.max(into[c], a) : into[c] + a;
                }
            }
        }
        return w.length / channels;
    }

    /**
     * {@link Rounding#round} of a value already clamped to a 16-bit code range, in float: adding and
     * subtracting 1.5 * 2^23 rounds half to even for |v| < 2^22, gives +0 for every zero, and
     * vectorizes where {@code Math.rint} on floats does not.
     */
    private static float roundClamped(float v) {
        return (v + ROUNDING_SHIFT) - ROUNDING_SHIFT;
    }

    private static final float ROUNDING_SHIFT = 0x1.8p23f;

    /**
     * 1 where clamping left {@code v} unchanged ({@code qmin - z <= v <= qmax - z}), else 0, in
     * arithmetic C2 vectorizes: any nonzero {@code |v - clamped|}, down to the smallest subnormal, times
     * 2^254 is at least 1. A NaN {@code v} gives NaN.
     */
    private static float insideRange(float v, float clamped) {
        return 1f - Math.min(1f, Math.abs(v - clamped) * 0x1p127f * 0x1p127f);
    }

    /**
     * This thread's scratch for dL/dy * dy/ds of {@code length} elements, grown to the largest tensor
     * seen. It is indexed like x (C2 vectorizes none of the backward loops when one of their arrays is
     * indexed with another offset, a chunk-sized scratch say), and kept rather than allocated per call:
     * at training sizes G1 allocates such arrays outside the young generation, which cost more than the
     * pass itself.
     */
    private static float[] products(int length) {
        float[] p = PRODUCTS.get();
        if (p.length < length) {
            p = new float[length];
            PRODUCTS.set(p);
        }
        return p;
    }

    private static final ThreadLocal<float[]> PRODUCTS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code sum(a[from..to))} in double, in four interleaved partial sums: one running sum is a chain
     * of dependent additions that takes four times as long.
     */
    private static double sum(float[] a, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = from;
        for (; k + 4 <= to; k += 4) {
            s0 += a[k];
            s1 += a[k + 1];
            s2 += a[k + 2];
            s3 += a[k + 3];
        }
        for (; k < to; k++) {
            s0 += a[k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static float floor(double scale) {
        return Math.max((float) scale, QuantSpec.MIN_SCALE);
    }

    /** Validates the {@code [outer][channels][inner]} view and the per-channel parameters. */
    static void checkLayout(float[] x, float[] scale, int[] zeroPoint, int qmin, int qmax, int channels, int inner) {
        checkShape(x.length, channels, inner);
        if (scale.length != channels || zeroPoint.length != channels) {
            throw new IllegalArgumentException(
                    "need " + channels + " scales and zero points, got " + scale.length + " and " + zeroPoint.length);
        }
        if (qmin >= qmax) {
            throw new IllegalArgumentException("need qmin < qmax, got [" + qmin + ", " + qmax + "]");
        }
        for (int c = 0; c < channels; c++) {
            // A learned scale can be pushed to 0 or below by an optimizer step; callers clamp it to
            // QuantSpec.MIN_SCALE (as PyTorch's _LearnableFakeQuantize clamps to eps).
            if (!(scale[c] > 0f) || !Float.isFinite(scale[c])) {
                throw new IllegalArgumentException("scale[" + c + "] must be positive and finite, got " + scale[c]);
            }
        }
    }

    static void checkShape(int length, int channels, int inner) {
        if (channels <= 0 || inner <= 0 || length % ((long) channels * inner) != 0) {
            throw new IllegalArgumentException(
                    "length " + length + " is not a multiple of channels (" + channels + ") * inner (" + inner + ")");
        }
    }

    private static void checkSameLength(String name, float[] a, float[] x) {
        if (a.length != x.length) {
            throw new IllegalArgumentException(name + " has length " + a.length + ", x has " + x.length);
        }
    }
}

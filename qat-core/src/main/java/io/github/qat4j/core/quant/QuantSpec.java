package io.github.qat4j.core.quant;

/**
 * What a tensor is quantized to: bit width, signedness, symmetric or asymmetric, per tensor or
 * per channel along one axis. It fixes the integer range {@code [qmin, qmax]} and turns an observed
 * real range into a scale and zero point ({@link #paramsFromRange}), as PyTorch's
 * {@code torch.ao.quantization} observers do ({@code _calculate_qparams} in {@code observer.py}).
 *
 * <p>Integer ranges for {@code b} bits (2 to 8):
 * <ul>
 *   <li>signed symmetric: {@code [-(2^(b-1) - 1), 2^(b-1) - 1]}, zero point 0. The most negative
 *       code (-128 at 8 bits) is left unused so that {@code q} and {@code -q} are both
 *       representable and weight products stay symmetric (TFLite's "narrow range" weights).
 *   <li>signed asymmetric: {@code [-2^(b-1), 2^(b-1) - 1]} (TFLite's int8 activations).
 *   <li>unsigned: {@code [0, 2^b - 1]}.
 * </ul>
 *
 * <pre>{@code
 * QuantSpec w = QuantSpec.weights(8);        // int8 [-127, 127], per output channel (axis 0)
 * QuantSpec a = QuantSpec.activations(8);    // uint8 [0, 255], per tensor
 * QuantParams p = a.paramsFromRange(new float[] {-0.5f}, new float[] {6f});
 * }</pre>
 */
public final class QuantSpec {

    /**
     * Smallest scale this project produces: {@code 2^-23}, PyTorch's
     * {@code torch.finfo(torch.float32).eps}, which its observers use as the floor for the same
     * purpose. A constant or all-zero tensor would otherwise give scale 0 and divide by zero.
     */
    public static final float MIN_SCALE = 0x1p-23f;

    /** Smallest supported bit width. */
    public static final int MIN_BITS = 2;
    /** Largest bit width the int8 runtime and its file format take: codes are stored in bytes. */
    public static final int MAX_BITS = 8;
    /**
     * Largest bit width fake quantization simulates in training. Above 8 bits a model can be
     * trained and checked (at 16 bits the straight-through gradient is the true one to within a
     * tiny step, which is how gradient checks exercise the quantized path) but not exported.
     */
    public static final int MAX_TRAINING_BITS = 16;

    private final int bits;
    private final boolean signed;
    private final boolean symmetric;
    private final int perChannelAxis;

    private QuantSpec(int bits, boolean signed, boolean symmetric, int perChannelAxis) {
        if (bits < MIN_BITS || bits > MAX_TRAINING_BITS) {
            throw new IllegalArgumentException(
                    "bits must be in [" + MIN_BITS + ", " + MAX_TRAINING_BITS + "], got " + bits);
        }
        if (perChannelAxis < -1) {
            throw new IllegalArgumentException(
                    "perChannelAxis must be -1 (per tensor) or a non-negative axis, got " + perChannelAxis);
        }
        this.bits = bits;
        this.signed = signed;
        this.symmetric = symmetric;
        this.perChannelAxis = perChannelAxis;
    }

    /** Weights: signed, symmetric, per output channel (axis 0), zero point 0. */
    public static QuantSpec weights(int bits) {
        return new QuantSpec(bits, true, true, 0);
    }

    /** Activations: unsigned, asymmetric, per tensor, {@code [0, 2^bits - 1]}. */
    public static QuantSpec activations(int bits) {
        return new QuantSpec(bits, false, false, -1);
    }

    /**
     * Any combination.
     *
     * @param perChannelAxis the channel axis, or -1 for per-tensor quantization
     * @throws IllegalArgumentException if bits is outside 2..16 or the axis is below -1
     */
    public static QuantSpec of(int bits, boolean signed, boolean symmetric, int perChannelAxis) {
        return new QuantSpec(bits, signed, symmetric, perChannelAxis);
    }

    /** Whether the int8 runtime can hold these codes ({@code bits <= MAX_BITS}). */
    public boolean exportable() {
        return bits <= MAX_BITS;
    }

    public int bits() {
        return bits;
    }

    public boolean signed() {
        return signed;
    }

    public boolean symmetric() {
        return symmetric;
    }

    /** Whether there is one scale per channel rather than one per tensor. */
    public boolean perChannel() {
        return perChannelAxis >= 0;
    }

    /** The channel axis, -1 for per tensor. */
    public int perChannelAxis() {
        return perChannelAxis;
    }

    /** Smallest integer code. */
    public int qmin() {
        if (!signed) {
            return 0;
        }
        return symmetric ? -((1 << (bits - 1)) - 1) : -(1 << (bits - 1));
    }

    /** Largest integer code. */
    public int qmax() {
        return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    /**
     * Scale and zero point covering {@code [min[c], max[c]]} for each channel.
     *
     * <p>The range is first widened to include 0, so that 0 (padding, ReLU's output) is exactly
     * representable. Then, with {@code lo = min(min, 0)} and {@code hi = max(max, 0)}:
     * <ul>
     *   <li>symmetric: {@code s = max(|lo|, hi) / ((qmax - qmin) / 2)}, {@code z = 0} when signed and
     *       {@code z = (qmin + qmax + 1) / 2} (integer division) when unsigned;
     *   <li>asymmetric: {@code s = (hi - lo) / (qmax - qmin)},
     *       {@code z = clamp(qmin - round(lo / s), qmin, qmax)} with {@link Rounding#round}.
     * </ul>
     * The scale is floored at {@link #MIN_SCALE}, so a zero or tiny range never gives 0 or NaN.
     * This is PyTorch's {@code _calculate_qparams} (float32 arithmetic, same floor); its unsigned
     * symmetric zero point is also 128 at 8 bits, though for other ranges PyTorch takes the midpoint
     * rounded down where this takes it rounded up.
     *
     * @param min per-channel minimum (length 1 for a per-tensor spec)
     * @param max per-channel maximum, same length
     * @throws IllegalArgumentException on NaN or infinite bounds, min &gt; max, mismatched lengths,
     *     or more than one channel for a per-tensor spec
     */
    public QuantParams paramsFromRange(float[] min, float[] max) {
        if (min.length == 0 || min.length != max.length) {
            throw new IllegalArgumentException(
                    "min and max need the same non-zero length, got " + min.length + " and " + max.length);
        }
        if (!perChannel() && min.length != 1) {
            throw new IllegalArgumentException("per-tensor spec needs one range, got " + min.length);
        }
        int qmin = qmin();
        int qmax = qmax();
        float[] scale = new float[min.length];
        int[] zeroPoint = new int[min.length];
        for (int c = 0; c < min.length; c++) {
            if (!Float.isFinite(min[c]) || !Float.isFinite(max[c])) {
                throw new IllegalArgumentException(
                        "range of channel " + c + " is not finite (NaN or infinity): [" + min[c] + ", " + max[c] + "]");
            }
            if (min[c] > max[c]) {
                throw new IllegalArgumentException(
                        "range of channel " + c + " has min > max: [" + min[c] + ", " + max[c] + "]");
            }
            float lo = Math.min(min[c], 0f);
            float hi = Math.max(max[c], 0f);
            if (symmetric) {
                scale[c] = Math.max(Math.max(-lo, hi) / ((qmax - qmin) / 2f), MIN_SCALE);
                zeroPoint[c] = signed ? 0 : (qmin + qmax + 1) / 2;
            } else {
                scale[c] = Math.max((hi - lo) / (qmax - qmin), MIN_SCALE);
                zeroPoint[c] = Math.max(qmin, Math.min(qmax, qmin - Rounding.round(lo / scale[c])));
            }
        }
        return new QuantParams(scale, zeroPoint);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantSpec q
                && bits == q.bits
                && signed == q.signed
                && symmetric == q.symmetric
                && perChannelAxis == q.perChannelAxis;
    }

    @Override
    public int hashCode() {
        int h = bits;
        h = 31 * h + Boolean.hashCode(signed);
        h = 31 * h + Boolean.hashCode(symmetric);
        return 31 * h + perChannelAxis;
    }

    @Override
    public String toString() {
        return "QuantSpec[" + (signed ? "int" : "uint") + bits + " [" + qmin() + ", " + qmax() + "], "
                + (symmetric ? "symmetric" : "asymmetric") + ", "
                + (perChannel() ? "per channel along axis " + perChannelAxis : "per tensor") + "]";
    }
}

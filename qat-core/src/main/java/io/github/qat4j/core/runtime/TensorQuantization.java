package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.QuantSpec;

/**
 * The quantization of an activation tensor: {@code r = scale * (q - zeroPoint)} with unsigned
 * {@code q} in {@code [0, 2^bits - 1]} ({@link QuantSpec#activations(int)}).
 *
 * @param scale positive, finite
 * @param zeroPoint in {@code [qmin(), qmax()]}
 * @param bits 2..8
 */
public record TensorQuantization(float scale, int zeroPoint, int bits) {

    public TensorQuantization {
        if (bits < QuantSpec.MIN_BITS || bits > QuantSpec.MAX_BITS) {
            throw new IllegalArgumentException(
                    "activation bits must be in [" + QuantSpec.MIN_BITS + ", " + QuantSpec.MAX_BITS + "], got " + bits);
        }
        if (!(scale > 0f) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
        }
        QuantSpec spec = QuantSpec.activations(bits);
        if (zeroPoint < spec.qmin() || zeroPoint > spec.qmax()) {
            throw new IllegalArgumentException("zero point " + zeroPoint + " outside [" + spec.qmin() + ", "
                    + spec.qmax() + "] for " + bits + " bits");
        }
    }

    public int qmin() {
        return QuantSpec.activations(bits).qmin();
    }

    public int qmax() {
        return QuantSpec.activations(bits).qmax();
    }
}

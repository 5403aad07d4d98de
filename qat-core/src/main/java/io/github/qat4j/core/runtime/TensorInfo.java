package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.QuantSpec;
import java.util.Arrays;

/**
 * An activation tensor of one image: its shape ({@code [c, h, w]} in NCHW order or {@code [n]})
 * and how it is quantized. Static: {@code quantization} fixed in the file. Dynamic ({@code
 * dynamicBits > 0}, {@code quantization} null): real values quantized to {@code dynamicBits} with
 * a scale and zero point computed from each image at run time. Neither: the float logits of a
 * dequantizing last op.
 */
record TensorInfo(int[] shape, TensorQuantization quantization, int dynamicBits) {

    /** Largest tensor (values per image) a model may have: 16 Mi, far above any CIFAR-sized net. */
    static final int MAX_ELEMENTS = 1 << 24;

    TensorInfo(int[] shape, TensorQuantization quantization) {
        this(shape, quantization, 0);
    }

    /** A dynamic tensor of {@code bits} bits. */
    static TensorInfo dynamic(int[] shape, int bits) {
        QuantSpec.activations(bits);
        return new TensorInfo(shape, null, bits);
    }

    TensorInfo {
        shape = shape.clone();
        if (dynamicBits != 0
                && (quantization != null || dynamicBits < QuantSpec.MIN_BITS || dynamicBits > QuantSpec.MAX_BITS)) {
            throw new IllegalArgumentException("a dynamic tensor has no fixed quantization and 2..8 bits, got "
                    + quantization + " and " + dynamicBits);
        }
        if (shape.length != 1 && shape.length != 3) {
            throw new IllegalArgumentException("shape must be [n] or [c, h, w], got " + Arrays.toString(shape));
        }
        long size = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("dimensions must be positive, got " + Arrays.toString(shape));
            }
            size *= d;
            if (size > MAX_ELEMENTS) {
                throw new IllegalArgumentException(
                        "tensor " + Arrays.toString(shape) + " exceeds " + MAX_ELEMENTS + " values");
            }
        }
    }

    int size() {
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        return size;
    }

    boolean dynamic() {
        return dynamicBits > 0;
    }

    /** Float logits: neither static nor dynamic. */
    boolean logits() {
        return quantization == null && dynamicBits == 0;
    }

    boolean spatial() {
        return shape.length == 3;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    int dim(int i) {
        return shape[i];
    }

    @Override
    public String toString() {
        return Arrays.toString(shape)
                + (dynamic() ? " dynamic uint" + dynamicBits : quantization == null ? " float" : " " + quantization);
    }
}

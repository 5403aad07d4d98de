package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.FakeQuant;
import java.util.Arrays;

/**
 * The activation fused into a quantized op's output clamp, as TFLite's
 * {@code CalculateActivationRangeQuantized} does: ReLU raises the lower bound to the quantized
 * zero, ReLU6 also lowers the upper bound to the quantized 6.
 */
public enum Activation {
    NONE,
    RELU,
    RELU6;

    /** {@code {quantized_activation_min, quantized_activation_max}} in the uint domain of {@code output}. */
    int[] clamp(TensorQuantization output) {
        int qmin = output.qmin();
        int qmax = output.qmax();
        int zero = FakeQuant.quantize(0f, output.scale(), output.zeroPoint(), qmin, qmax);
        int six = FakeQuant.quantize(6f, output.scale(), output.zeroPoint(), qmin, qmax);
        return switch (this) {
            case NONE -> new int[] {qmin, qmax};
            case RELU -> new int[] {zero, qmax};
            case RELU6 -> new int[] {zero, six};
        };
    }

    /**
     * The activation whose clamp on {@code output} is {@code [min, max]}, or null if none is. Where
     * clamps coincide the one found first in RELU, RELU6, NONE is returned: a ReLU6 whose range ends
     * below 6 and an op without activation whose range starts at 0 act as a ReLU.
     */
    static Activation ofClamp(TensorQuantization output, int min, int max) {
        for (Activation a : new Activation[] {RELU, RELU6, NONE}) {
            if (Arrays.equals(a.clamp(output), new int[] {min, max})) {
                return a;
            }
        }
        return null;
    }
}

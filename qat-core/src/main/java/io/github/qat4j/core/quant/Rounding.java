package io.github.qat4j.core.quant;

/**
 * The one rounding rule of the project: round half to even.
 *
 * <p>Every float-to-integer step that defines a quantized value goes through here: fake
 * quantization in training ({@link FakeQuant}), zero points ({@link QuantSpec#paramsFromRange}),
 * the runtime's input quantization and int32 biases ({@link Requantization#biasToInt32}). Using
 * the same rule in all of them is what lets the exported model reproduce the integers training
 * saw.
 *
 * <p>Why half to even: it is what ONNX {@code QuantizeLinear} specifies and what PyTorch uses
 * ({@code torch.round}, and {@code std::nearbyint} in its fake-quantize kernels under the default
 * floating-point environment), so models and numbers can be compared with theirs directly. It is
 * also unbiased: ties do not all move the same way, so a tensor's mean does not drift by up to
 * half an LSB. {@link Math#rint} implements it exactly and compiles to a single instruction.
 *
 * <p>The fixed-point requantization inside the integer runtime rounds its exact product once by the
 * same rule, in integer arithmetic; see {@link Requantization}.
 *
 * <pre>{@code
 * Rounding.round(2.5f)  // 2
 * Rounding.round(3.5f)  // 4
 * Rounding.round(-0.5f) // 0
 * }</pre>
 */
public final class Rounding {

    private Rounding() {}

    /**
     * Rounds to the nearest integer, ties to even. Values beyond the int range saturate to
     * {@link Integer#MIN_VALUE}/{@link Integer#MAX_VALUE} and NaN gives 0 (Java's narrowing rules);
     * callers clamp to {@code [qmin, qmax]} afterwards.
     */
    public static int round(float v) {
        return (int) Math.rint(v);
    }

    /**
     * Double-precision form of {@link #round(float)}, for quantities such as int32 biases that
     * need more than float's 24-bit mantissa. Saturates to the long range; NaN gives 0.
     */
    public static long round(double v) {
        return (long) Math.rint(v);
    }
}

package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.FakeQuant;

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
}

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
    int total = 31 - shift;
    long product = (long) x * multiplier;
    long floor = product >> total;
    long remainder = product & ((1L << total) - 1);
    // Up when the remainder is above half, or exactly half with an odd floor: remainder + (floor & 1) > half.
    long rounded = floor + (remainder + (floor & 1) > 1L << (total - 1) ? 1 : 0);
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, rounded));
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
      throw new IllegalArgumentException("scales must be positive and finite, got input scale "
          + inputScale + " and weight scale " + weightScale);
    }
    long q = Rounding.round((double) bias / ((double) inputScale * weightScale));
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
  }
}

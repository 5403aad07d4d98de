package io.github.qat4j.core.quant;

/**
 * Integer-only requantization, written out as gemmlowp ({@code fixedpoint/fixedpoint.h}) and
 * TensorFlow Lite ({@code MultiplyByQuantizedMultiplier} in {@code kernels/internal/common.h})
 * define it. The integer runtime's kernels are checked against these methods.
 *
 * <p>An int32 accumulator {@code acc} of {@code sum (x - z_x) * w} plus the int32 bias becomes an
 * output code {@code clamp(multiplyByQuantizedMultiplier(acc, m, shift) + z_out, qmin, qmax)}, where
 * {@code (m, shift) = QuantizedMultiplier.of(s_in * s_w / s_out)}. No floating point is involved.
 *
 * <p>Rounding here is gemmlowp's: the doubling high multiply rounds half up (towards positive
 * infinity, via its nudge), the power-of-two division rounds half away from zero. This is the
 * fixed-point rescaling step, not the quantization of a real value, which uses {@link Rounding}.
 */
public final class Requantization {

  private Requantization() {}

  /**
   * gemmlowp's {@code SaturatingRoundingDoublingHighMul}: the high 32 bits of {@code 2 * a * b},
   * rounded, i.e. {@code round(a * b / 2^31)}. The single overflowing case,
   * {@code a == b == Integer.MIN_VALUE} (whose exact result is {@code 2^31}), saturates to
   * {@link Integer#MAX_VALUE}.
   */
  public static int saturatingRoundingDoublingHighMul(int a, int b) {
    if (a == Integer.MIN_VALUE && b == Integer.MIN_VALUE) {
      return Integer.MAX_VALUE;
    }
    long ab = (long) a * b;
    long nudge = ab >= 0 ? (1L << 30) : 1 - (1L << 30);
    // Java's long division truncates towards zero, as C++'s does in gemmlowp.
    return (int) ((ab + nudge) / (1L << 31));
  }

  /**
   * gemmlowp's {@code RoundingDivideByPOT}: {@code x / 2^exponent} rounded to nearest, ties away
   * from zero.
   *
   * @param exponent in [0, 31]; Java masks shift distances, so anything else is rejected rather
   *     than silently wrong
   */
  public static int roundingDivideByPOT(int x, int exponent) {
    if (exponent < 0 || exponent > 31) {
      throw new IllegalArgumentException("exponent must be in [0, 31], got " + exponent);
    }
    int mask = (int) ((1L << exponent) - 1);
    int remainder = x & mask;
    int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
  }

  /**
   * TFLite's {@code MultiplyByQuantizedMultiplier}: {@code x * multiplier * 2^(shift - 31)},
   * computed as a left shift by {@code max(shift, 0)}, the doubling high multiply, then a rounding
   * right shift by {@code max(-shift, 0)}.
   *
   * <p>The left shift saturates to the int32 range where C++ would overflow (undefined behaviour
   * there); with real multipliers below 1, as in every conv and dense layer, {@code shift <= 0}
   * and it never applies.
   */
  public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
    int leftShift = shift > 0 ? shift : 0;
    int rightShift = shift > 0 ? 0 : -shift;
    long shifted = (long) x << leftShift;
    int xs = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, shifted));
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(xs, multiplier), rightShift);
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

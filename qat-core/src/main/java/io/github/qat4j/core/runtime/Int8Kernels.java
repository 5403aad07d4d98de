package io.github.qat4j.core.runtime;

/**
 * The int8 kernels of the runtime, in the pattern of Lucene's {@code VectorUtilSupport}: {@link
 * ScalarInt8Kernels} is the specification, {@code PanamaInt8Kernels} the Vector API version that
 * must agree with it bit for bit, and {@link Int8KernelsProvider} picks one at start-up.
 *
 * <p>Activations are held as signed bytes {@code a = q - 128} of their uint8 value {@code q}, so a
 * plain sign-extending widening multiply works on both operands; every zero point and clamp bound
 * passed here is in that signed domain. Weights are int8 in [-127, 127] (symmetric, -128 unused).
 * Accumulators are int32 and wrap as Java ints do, identically in every implementation.
 */
interface Int8Kernels {

    /**
     * Bytes after the last row of a GEMM left-hand side that {@link #gemm} may read: the packed
     * weights are zero-padded along k, so whatever those bytes hold is multiplied by zero.
     */
    int ROW_SLACK = 64;

    /**
     * {@link #gemm} computes a range of output columns that starts at a multiple of this, so a caller
     * can split one layer's columns over threads along the kernels' register tiles.
     */
    int COLUMN_BLOCK = 16;

    /** What these kernels are, for logs and reports: {@code "scalar"} or {@code "Vector API, ..."}. */
    String name();

    /** Rearranges weights {@code [n][k]} (row-major) for {@link #gemm}; done once at load. */
    PackedWeights packWeights(byte[] weights, int n, int k);

    /**
     * {@code acc[i * n + j] = bias[j] + sum_kk a[aOffset + i * k + kk] * w[j][kk]} for {@code i < m},
     * {@code from <= j < to}, where {@code a} holds {@code m} rows of {@code k} bytes followed by at
     * least {@link #ROW_SLACK} readable bytes, {@code from} is a multiple of {@link #COLUMN_BLOCK} and
     * {@code to <= n}; other columns of {@code acc} are left as they are.
     */
    void gemm(byte[] a, int aOffset, int m, PackedWeights w, int from, int to, int[] bias, int[] acc);

    /**
     * TFLite's per-channel output stage: {@code out[outOffset + i * outRowStride + j] =
     * clamp(MultiplyByQuantizedMultiplier(acc[accOffset + i * accRowStride + j], output_multiplier[c],
     * output_shift[c], output_bias[c]) + output_offset, quantized_activation_min, quantized_activation_max)} for
     * {@code i < rows}, {@code j < cols}, with channel {@code c = i} when {@code channelPerRow} (a
     * convolution's {@code [channel][pixel]}) and {@code c = j} otherwise (a dense layer's {@code
     * [image][feature]}). The strides let one tile of a convolution's pixels land in the rows of
     * the whole output plane.
     */
    void requantize(
            int[] acc,
            int accOffset,
            int accRowStride,
            int rows,
            int cols,
            boolean channelPerRow,
            int[] outputMultiplier,
            int[] outputShift,
            long[] outputBias,
            int outputOffset,
            int quantizedActivationMin,
            int quantizedActivationMax,
            byte[] out,
            int outOffset,
            int outRowStride);

    /**
     * Row length of an im2col buffer for {@code pixels} output pixels ({@link ConvInput#im2col}), and
     * the pixels that {@link #convGemm} reads (and ignores past {@code pixels}) from each tap: at least
     * {@code pixels}.
     */
    int pixelStride(int pixels);

    /** Rearranges convolution weights {@code [n][k]} (row-major) for {@link #convGemm}; done once at load. */
    PackedWeights packConvWeights(byte[] weights, int n, int k);

    /**
     * A convolution as a GEMM over its taps: {@code acc[j * pixelStride(pixels) + p] = bias[j] +
     * sum_kk src[srcOffset + tapOffset[kk] + p] * w[j][kk]} for {@code p < pixels}, so the
     * accumulators are already {@code [channel][pixel]}, the NCHW order of the output; the rest of
     * each row of {@code acc} may be overwritten. Over im2col's columns {@code tapOffset[kk] = kk *
     * pixelStride}; over a {@link ConvInput} plane its tap offsets, the pixels then the plane's (wide
     * rows, whose pixels past the output's width are thrown away). Reads {@code src} at {@code
     * srcOffset + tapOffset[kk] + p} for every {@code p < pixelStride(pixels)}.
     */
    void convGemm(byte[] src, int srcOffset, int[] tapOffset, int pixels, PackedWeights w, int[] bias, int[] acc);

    /**
     * Depthwise convolution of one image: output channel {@code oc = ic * depthMultiplier + m} sees
     * only input channel {@code ic}; weights {@code [oc][ky][kx]}; padding reads {@code padValue}.
     * Writes {@code acc[oc * outPixels + outPixel] = bias[oc] + sum in * w}, as {@link #convGemm} does.
     */
    void depthwiseConv(
            byte[] in,
            int inOffset,
            ConvGeometry g,
            int depthMultiplier,
            byte[] weights,
            int[] bias,
            byte padValue,
            int[] acc);

    /** Max pool of one image over the valid part of each window (padding is ignored, as in TFLite). */
    void maxPool(byte[] in, int inOffset, ConvGeometry g, byte[] out, int outOffset);

    /**
     * Average pool of one image over the valid part of each window (padding is not counted):
     * requantized by {@code p}, or with {@code p} null TFLite's uint8 rounding {@code (sum + count / 2)
     * / count} on the input's quantization.
     */
    void avgPool(byte[] in, int inOffset, ConvGeometry g, AverageParams p, byte[] out, int outOffset);

    /** Average of each of {@code channels} planes of {@code plane} values, as {@link #avgPool}. */
    void globalAvgPool(byte[] in, int inOffset, int channels, int plane, AverageParams p, byte[] out, int outOffset);

    /**
     * A requantized average ({@link Op.Averaged}), uint domain: {@code clamp(averageByQuantizedMultiplier(
     * sum (q - inputZeroPoint), count, multiplier, shift) + outputZeroPoint, 0, qmax)}.
     */
    record AverageParams(int inputZeroPoint, int multiplier, int shift, int outputZeroPoint, int qmax) {}

    /** TFLite's integer Add of two tensors of {@code size} values with different quantizations. */
    void add(byte[] in1, int in1Offset, byte[] in2, int in2Offset, int size, AddParams p, byte[] out, int outOffset);

    /**
     * The quantization parameters of TFLite's integer Add ({@code reference_ops::AddElementwise}):
     * both inputs are moved to a common scale {@code 2 * max(s1, s2)} with {@code left_shift} extra
     * bits of precision, summed, and requantized to the output. Offsets are in the signed domain.
     */
    record AddParams(
            int leftShift,
            int input1Offset,
            int input1Multiplier,
            int input1Shift,
            int input2Offset,
            int input2Multiplier,
            int input2Shift,
            int outputOffset,
            int outputMultiplier,
            int outputShift,
            int quantizedActivationMin,
            int quantizedActivationMax) {}
}

package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.FakeQuant;
import io.github.qat4j.core.quant.QuantParams;
import io.github.qat4j.core.quant.QuantSpec;

/**
 * Dynamic quantization, as PyTorch's {@code quantize_dynamic}: a tensor's scale and zero point are
 * computed from each image's values at run time, so the file stores nothing about activations and
 * needs no calibration. The rule is the static one applied to the image's own range: {@link
 * QuantSpec#paramsFromRange} of {@code [min, max]} (widened to include 0) for unsigned
 * {@code bits}, then {@link FakeQuant#quantize}.
 */
final class DynamicQuantization {

    private DynamicQuantization() {}

    /**
     * Quantizes {@code n} values {@code x[from..]} of image {@code image} into {@code dst[dstOffset..]}
     * (signed domain, {@code q - 128}) and records their scale and zero point (uint domain).
     */
    static void quantize(
            float[] x, int from, int n, int bits, byte[] dst, int dstOffset, float[] scale, int[] zero, int image) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            min = Math.min(min, x[i]);
            max = Math.max(max, x[i]);
        }
        QuantSpec spec = QuantSpec.activations(bits);
        QuantParams p = spec.paramsFromRange(new float[] {min}, new float[] {max});
        float s = p.scale()[0];
        int z = p.zeroPoint()[0];
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = (byte) (FakeQuant.quantize(x[from + i], s, z, spec.qmin(), spec.qmax()) - 128);
        }
        scale[image] = s;
        zero[image] = z;
    }

    /** The run-time form of {@link Op.DynamicDense}: weights packed once, their row sums for the zero point. */
    static final class Dense {
        private final Op.DynamicDense op;
        private final Int8Kernels kernels;
        private final PackedWeights weights;
        private final int[] rowSum;
        private final int[] noBias;

        Dense(Op.DynamicDense op, Int8Kernels kernels) {
            this.op = op;
            this.kernels = kernels;
            int n = op.outFeatures();
            int k = op.inFeatures();
            weights = kernels.packWeights(op.weights(), n, k);
            rowSum = new int[n];
            for (int c = 0; c < n; c++) {
                for (int i = c * k; i < (c + 1) * k; i++) {
                    rowSum[c] += op.weights()[i];
                }
            }
            noBias = new int[n];
        }

        /**
         * {@code images} rows of {@code in} (signed domain, per image scale and zero point) to float
         * outputs in {@code real}, with their accumulators {@code sum (q - z) w} in {@code acc}; then,
         * unless {@code out} is null (the last op, whose float outputs are the model's), quantized to a
         * dynamic tensor in {@code out}.
         */
        void run(
                int images,
                byte[] in,
                float[] inScale,
                int[] inZero,
                int[] acc,
                float[] real,
                byte[] out,
                float[] outScale,
                int[] outZero) {
            int n = op.outFeatures();
            kernels.gemm(in, 0, images, weights, 0, n, noBias, acc);
            for (int b = 0; b < images; b++) {
                // sum (q - z) w = sum (a - (z - 128)) w with a = q - 128 the bytes the GEMM multiplied.
                int zero = inZero[b] - 128;
                for (int c = 0; c < n; c++) {
                    int sum = acc[b * n + c] - zero * rowSum[c];
                    acc[b * n + c] = sum;
                    real[b * n + c] = activate(sum * (inScale[b] * op.weightScale()[c]) + op.bias()[c]);
                }
                if (out != null) {
                    quantize(real, b * n, n, op.outputBits(), out, b * n, outScale, outZero, b);
                }
            }
        }

        private float activate(float v) {
            return switch (op.activation()) {
                case NONE -> v;
                case RELU -> Math.max(v, 0f);
                case RELU6 -> Math.min(Math.max(v, 0f), 6f);
            };
        }
    }
}

package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.core.quant.QuantizedMultiplier;
import io.github.qat4j.core.quant.Requantization;
import java.util.Arrays;
import java.util.List;

/**
 * One op of the graph as the file stores it: uint-domain quantization parameters, int8 weights in
 * DL4J's layout, int32 biases before the zero-point correction. Tensors are numbered 0 (the model
 * input) and {@code i + 1} (the output of op {@code i}); an op reads only earlier tensors.
 * {@link #infer} checks an op against its inputs and is the one place shapes are validated, for the
 * builder and the reader alike.
 */
sealed interface Op {

    /** Largest im2col matrix (bytes per image) a convolution may need. */
    long MAX_IM2COL = 1L << 26;

    String name();

    int[] inputs();

    /** The output tensor, after checking the op against {@code tensors} (all earlier ones). */
    TensorInfo infer(List<TensorInfo> tensors);

    /** How a Conv2D or Dense turns its int32 accumulators into its output. */
    sealed interface Output {}

    /**
     * TFLite's output stage: per channel {@code output_multiplier} / {@code output_shift} for
     * {@code M = s_in * s_w[c] / s_out}, the bias in that product's fixed point ({@code outputBias},
     * {@link io.github.qat4j.core.quant.Requantization#outputBias}; zero in files before version 4,
     * whose bias is the layer's int32 one), then the zero point and the clamp (uint domain).
     */
    record Requantized(
            TensorQuantization quantization,
            int[] outputMultiplier,
            int[] outputShift,
            long[] outputBias,
            int quantizedActivationMin,
            int quantizedActivationMax)
            implements Output {}

    /** Float logits {@code acc * outputScale[c]} with {@code outputScale[c] = s_in * s_w[c]}; last op only. */
    record Dequantized(float[] outputScale) implements Output {}

    /** Convolution, weights OIHW {@code [outChannels][inChannels / groups][kH][kW]}; groups 1 or depthwise. */
    record Conv2D(
            String name,
            int input,
            int inChannels,
            int outChannels,
            int kH,
            int kW,
            int strideH,
            int strideW,
            int padTop,
            int padLeft,
            int padBottom,
            int padRight,
            int dilationH,
            int dilationW,
            int groups,
            int weightBits,
            byte[] weights,
            float[] weightScale,
            int[] bias,
            Output output)
            implements Op {

        @Override
        public int[] inputs() {
            return new int[] {input};
        }

        boolean depthwise() {
            return groups > 1;
        }

        ConvGeometry geometry(int inH, int inW) {
            return new ConvGeometry(
                    inChannels,
                    inH,
                    inW,
                    kH,
                    kW,
                    strideH,
                    strideW,
                    padTop,
                    padLeft,
                    padBottom,
                    padRight,
                    dilationH,
                    dilationW);
        }

        @Override
        public TensorInfo infer(List<TensorInfo> tensors) {
            TensorInfo in = quantizedInput(tensors, input);
            if (!in.spatial() || in.dim(0) != inChannels) {
                throw new IllegalArgumentException("conv expects [" + inChannels + ", h, w], input is " + in);
            }
            if (groups != 1 && (groups != inChannels || outChannels % inChannels != 0)) {
                throw new IllegalArgumentException("groups must be 1 or inChannels (depthwise, outChannels a multiple),"
                        + " got groups=" + groups + " in=" + inChannels + " out=" + outChannels);
            }
            ConvGeometry g = geometry(in.dim(1), in.dim(2));
            long k = (long) (inChannels / groups) * kH * kW;
            checkWeights(name, weightBits, weights, outChannels, k);
            checkChannels(outChannels, weightScale, bias, output);
            TensorInfo out = new TensorInfo(new int[] {outChannels, g.outH(), g.outW()}, quantization(output));
            if (groups == 1 && (long) g.outPlane() * k > MAX_IM2COL) {
                throw new IllegalArgumentException("im2col of " + g.outPlane() + " x " + k + " exceeds " + MAX_IM2COL);
            }
            return out;
        }
    }

    /** Fully connected, weights {@code [outFeatures][inFeatures]} as DL4J's transposed W. */
    record Dense(
            String name,
            int input,
            int inFeatures,
            int outFeatures,
            int weightBits,
            byte[] weights,
            float[] weightScale,
            int[] bias,
            Output output)
            implements Op {

        @Override
        public int[] inputs() {
            return new int[] {input};
        }

        @Override
        public TensorInfo infer(List<TensorInfo> tensors) {
            TensorInfo in = quantizedInput(tensors, input);
            if (in.spatial() || in.dim(0) != inFeatures) {
                throw new IllegalArgumentException(
                        "dense expects [" + inFeatures + "] (flatten first), input is " + in);
            }
            checkWeights(name, weightBits, weights, outFeatures, inFeatures);
            checkChannels(outFeatures, weightScale, bias, output);
            return new TensorInfo(new int[] {outFeatures}, quantization(output));
        }
    }

    /**
     * Fully connected on a dynamic input, as PyTorch's {@code quantize_dynamic}: per image, the
     * input's scale {@code s_in} and zero point {@code z_in} are those of its range
     * ({@link io.github.qat4j.core.quant.QuantSpec#paramsFromRange}), computed at run time; then
     * {@code y[c] = s_in * s_w[c] * sum_k (q_in[k] - z_in) * w[c][k] + bias[c]} in float, the
     * activation in float, and {@code y} as a dynamic tensor of {@code outputBits} (the model's float
     * output when this op is last). No calibration: nothing about the activations is stored.
     */
    record DynamicDense(
            String name,
            int input,
            int inFeatures,
            int outFeatures,
            int weightBits,
            byte[] weights,
            float[] weightScale,
            float[] bias,
            Activation activation,
            int outputBits)
            implements Op {

        @Override
        public int[] inputs() {
            return new int[] {input};
        }

        @Override
        public TensorInfo infer(List<TensorInfo> tensors) {
            TensorInfo in = existing(tensors, input);
            if (!in.dynamic() || in.spatial() || in.dim(0) != inFeatures) {
                throw new IllegalArgumentException(
                        "dynamic dense expects a dynamic [" + inFeatures + "] input, input is " + in);
            }
            checkWeights(name, weightBits, weights, outFeatures, inFeatures);
            checkScales(outFeatures, weightScale);
            if (bias.length != outFeatures) {
                throw new IllegalArgumentException("need " + outFeatures + " biases, got " + bias.length);
            }
            for (int c = 0; c < outFeatures; c++) {
                if (!Float.isFinite(bias[c])) {
                    throw new IllegalArgumentException("bias " + c + " is not finite: " + bias[c]);
                }
            }
            if (activation == null) {
                throw new IllegalArgumentException("dynamic dense needs an activation (NONE for none)");
            }
            return TensorInfo.dynamic(new int[] {outFeatures}, outputBits);
        }
    }

    /**
     * How an average pool turns the sum of {@code count} values {@code q - z_in} into its output: the
     * mean requantized to its own {@code quantization} with {@code (multiplier, shift)} for {@code s_in /
     * s_out}, rounded once ({@link Requantization#averageByQuantizedMultiplier}), plus {@code z_out},
     * clamped. A pool without it keeps its input's quantization and rounds as TFLite (files before
     * version 5, and pools the QAT network did not quantize).
     */
    record Averaged(TensorQuantization quantization, int multiplier, int shift) {
        /** Largest number of values one output averages: their sum of {@code q - z_in} stays below 2^31. */
        static final int MAX_COUNT = 1 << 23;

        void check(long count) {
            new QuantizedMultiplier(multiplier, shift);
            if (count > MAX_COUNT) {
                throw new IllegalArgumentException(
                        "a requantized average of " + count + " values; at most " + MAX_COUNT);
            }
        }
    }

    /**
     * Max or average pool (TFLite: no dilation, padding not counted); output keeps the input's
     * quantization unless an average pool is {@link Averaged} (null otherwise).
     */
    record Pool(
            String name,
            int input,
            boolean average,
            int kH,
            int kW,
            int strideH,
            int strideW,
            int padTop,
            int padLeft,
            int padBottom,
            int padRight,
            Averaged averaged)
            implements Op {

        @Override
        public int[] inputs() {
            return new int[] {input};
        }

        ConvGeometry geometry(int channels, int inH, int inW) {
            return new ConvGeometry(
                    channels, inH, inW, kH, kW, strideH, strideW, padTop, padLeft, padBottom, padRight, 1, 1);
        }

        @Override
        public TensorInfo infer(List<TensorInfo> tensors) {
            TensorInfo in = quantizedInput(tensors, input);
            if (!in.spatial()) {
                throw new IllegalArgumentException("pooling expects [c, h, w], input is " + in);
            }
            ConvGeometry g = geometry(in.dim(0), in.dim(1), in.dim(2));
            // A pool reads kH * kW values per output: bounded like a convolution's im2col, so that a forged
            // kernel cannot make one call run for hours.
            long reads = (long) g.outPlane() * in.dim(0) * kH * kW;
            if (reads > MAX_IM2COL) {
                throw new IllegalArgumentException("pooling reads " + reads + " values (" + g.outPlane() + " outputs x "
                        + in.dim(0) + " channels x " + kH + "x" + kW + " kernel), more than " + MAX_IM2COL);
            }
            if (averaged != null) {
                if (!average) {
                    throw new IllegalArgumentException("a max pool keeps its input's quantization");
                }
                averaged.check((long) kH * kW);
            }
            return new TensorInfo(
                    new int[] {in.dim(0), g.outH(), g.outW()},
                    averaged == null ? in.quantization() : averaged.quantization());
        }
    }

    /** Mean of each channel plane, {@code [c, h, w] -> [c]}; quantized as its input unless {@link Averaged}. */
    record GlobalAvgPool(String name, int input, Averaged averaged) implements Op {

        @Override
        public int[] inputs() {
            return new int[] {input};
        }

        @Override
        public TensorInfo infer(List<TensorInfo> tensors) {
            TensorInfo in = quantizedInput(tensors, input);
            if (!in.spatial()) {
                throw new IllegalArgumentException("global average pool expects [c, h, w], input is " + in);
            }
            if (averaged != null) {
                averaged.check((long) in.dim(1) * in.dim(2));
            }
            return new TensorInfo(
                    new int[] {in.dim(0)}, averaged == null ? in.quantization() : averaged.quantization());
        }
    }

    /**
     * TFLite's integer Add with {@code left_shift} (20 for 8 bits) and per-input multipliers for
     * {@code s_i / (2 max(s_1, s_2))}, output multiplier for {@code 2 max(s_1, s_2) / (2^left_shift s_out)}.
     */
    record Add(
            String name,
            int input1,
            int input2,
            TensorQuantization quantization,
            int leftShift,
            int input1Multiplier,
            int input1Shift,
            int input2Multiplier,
            int input2Shift,
            int outputMultiplier,
            int outputShift,
            int quantizedActivationMin,
            int quantizedActivationMax)
            implements Op {

        @Override
        public int[] inputs() {
            return new int[] {input1, input2};
        }

        @Override
        public TensorInfo infer(List<TensorInfo> tensors) {
            TensorInfo a = quantizedInput(tensors, input1);
            TensorInfo b = quantizedInput(tensors, input2);
            if (!Arrays.equals(a.shape(), b.shape())) {
                throw new IllegalArgumentException("add needs equal shapes, got " + a + " and " + b);
            }
            if (leftShift < 0 || leftShift > 20) {
                // (q - z) spans 9 bits signed; 20 more stay inside int32 (TFLite's value for 8 bits).
                throw new IllegalArgumentException("left shift must be in [0, 20], got " + leftShift);
            }
            checkMultiplier(input1Multiplier, input1Shift);
            checkMultiplier(input2Multiplier, input2Shift);
            if (input1Shift > 0 || input2Shift > 0) {
                // Input multipliers below 1 (s_i / (2 max(s_1, s_2)) <= 1/2) keep |a_i| <= 255 * 2^20, so that
                // a_1 + a_2 cannot overflow int32.
                throw new IllegalArgumentException(
                        "input shifts must be <= 0 (multipliers below 1), got " + input1Shift + " and " + input2Shift);
            }
            checkMultiplier(outputMultiplier, outputShift);
            checkClamp(quantization, quantizedActivationMin, quantizedActivationMax);
            return new TensorInfo(a.shape(), quantization);
        }
    }

    /** Same values in NCHW order under a new shape: DL4J's flatten is {@code c * h * w}, row-major. */
    record Reshape(String name, int input, int[] shape) implements Op {

        @Override
        public int[] inputs() {
            return new int[] {input};
        }

        @Override
        public TensorInfo infer(List<TensorInfo> tensors) {
            TensorInfo in = existing(tensors, input);
            if (in.logits()) {
                throw new IllegalArgumentException("tensor " + input + " is float logits, which no op can consume");
            }
            TensorInfo out = new TensorInfo(shape, in.quantization(), in.dynamicBits());
            if (out.size() != in.size()) {
                throw new IllegalArgumentException("cannot reshape " + in + " to " + Arrays.toString(shape));
            }
            return out;
        }
    }

    private static TensorInfo existing(List<TensorInfo> tensors, int id) {
        if (id < 0 || id >= tensors.size()) {
            throw new IllegalArgumentException(
                    "input tensor " + id + " does not exist before this op (tensors 0.." + (tensors.size() - 1) + ")");
        }
        return tensors.get(id);
    }

    /** A statically quantized input: neither float logits nor dynamic. */
    private static TensorInfo quantizedInput(List<TensorInfo> tensors, int id) {
        TensorInfo t = existing(tensors, id);
        if (t.dynamic()) {
            throw new IllegalArgumentException(
                    "tensor " + id + " is dynamic, which only dynamic dense and reshape read");
        }
        if (t.quantization() == null) {
            throw new IllegalArgumentException("tensor " + id + " is float logits, which no op can consume");
        }
        return t;
    }

    private static void checkWeights(String name, int bits, byte[] weights, int rows, long k) {
        QuantSpec spec = QuantSpec.weights(bits);
        if (rows <= 0 || k <= 0 || weights.length != rows * k) {
            throw new IllegalArgumentException(
                    "'" + name + "': expected " + rows + " x " + k + " weights, got " + weights.length);
        }
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] < spec.qmin() || weights[i] > spec.qmax()) {
                throw new IllegalArgumentException("'" + name + "': weight " + i + " = " + weights[i] + " outside ["
                        + spec.qmin() + ", " + spec.qmax() + "] for " + bits + " bits");
            }
        }
    }

    private static void checkScales(int channels, float[] weightScale) {
        if (weightScale.length != channels) {
            throw new IllegalArgumentException("need " + channels + " weight scales, got " + weightScale.length);
        }
        for (int c = 0; c < channels; c++) {
            if (!(weightScale[c] > 0f) || !Float.isFinite(weightScale[c])) {
                throw new IllegalArgumentException(
                        "weight scale " + c + " must be positive and finite: " + weightScale[c]);
            }
        }
    }

    private static void checkChannels(int channels, float[] weightScale, int[] bias, Output output) {
        if (weightScale.length != channels || bias.length != channels) {
            throw new IllegalArgumentException("need " + channels + " weight scales and biases, got "
                    + weightScale.length + " and " + bias.length);
        }
        checkScales(channels, weightScale);
        if (output instanceof Requantized r) {
            if (r.outputMultiplier().length != channels
                    || r.outputShift().length != channels
                    || r.outputBias().length != channels) {
                throw new IllegalArgumentException("need " + channels + " output multipliers, shifts and biases");
            }
            for (int c = 0; c < channels; c++) {
                checkMultiplier(r.outputMultiplier()[c], r.outputShift()[c]);
                if (r.outputBias()[c] < -Requantization.MAX_OUTPUT_BIAS
                        || r.outputBias()[c] > Requantization.MAX_OUTPUT_BIAS) {
                    throw new IllegalArgumentException(
                            "output bias " + c + " is " + r.outputBias()[c] + ", beyond +-2^62");
                }
            }
            checkClamp(r.quantization(), r.quantizedActivationMin(), r.quantizedActivationMax());
        } else if (output instanceof Dequantized d) {
            if (d.outputScale().length != channels) {
                throw new IllegalArgumentException(
                        "need " + channels + " output scales, got " + d.outputScale().length);
            }
            for (int c = 0; c < channels; c++) {
                if (!(d.outputScale()[c] > 0f) || !Float.isFinite(d.outputScale()[c])) {
                    throw new IllegalArgumentException(
                            "output scale " + c + " must be positive and finite: " + d.outputScale()[c]);
                }
            }
        }
    }

    private static void checkMultiplier(int multiplier, int shift) {
        new QuantizedMultiplier(multiplier, shift);
    }

    private static void checkClamp(TensorQuantization q, int min, int max) {
        if (min < q.qmin() || max > q.qmax() || min > max) {
            throw new IllegalArgumentException(
                    "activation clamp [" + min + ", " + max + "] not inside [" + q.qmin() + ", " + q.qmax() + "]");
        }
    }

    private static TensorQuantization quantization(Output output) {
        return output instanceof Requantized r ? r.quantization() : null;
    }
}

package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.QuantizedMultiplier;
import io.github.qat4j.core.quant.Requantization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Assembles an {@link Int8Model} from float scales, int8 weights and float biases, and derives
 * every integer parameter the runtime needs in this one place: a requantized layer's output bias
 * ({@link Requantization#outputBias}) or a logits layer's int32 bias {@code round(b / (s_in
 * s_w[c]))} ({@link Requantization#biasToInt32}), {@code output_multiplier} /
 * {@code output_shift} for {@code s_in s_w[c] / s_out} ({@link QuantizedMultiplier#of}), the
 * activation clamp ({@link Activation}) and TFLite's Add parameters.
 *
 * <p>Each op reads the current tensor (the last op's output, or the one chosen with {@link
 * #from(int)}) and becomes the current tensor; tensor 0 is the input, op {@code i} writes tensor
 * {@code i + 1}. Every call validates its op against its input at once.
 *
 * <pre>{@code
 * Int8Model model = Int8Model.builder(new int[] {1, 28, 28}, new TensorQuantization(1f / 255, 0, 8))
 *     .conv2d("conv1", w1, new int[] {20, 1, 5, 5}, 8, s1, b1, new int[] {1, 1}, new int[] {0, 0, 0, 0},
 *         new int[] {1, 1}, 1, new TensorQuantization(0.05f, 0, 8), Activation.RELU)
 *     .maxPool("pool1", new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0})
 *     .flatten("flatten")
 *     .denseLogits("out", w2, 10, 8, s2, b2)
 *     .softmax()
 *     .build();
 * }</pre>
 */
public final class Int8ModelBuilder {

    /** TFLite's {@code left_shift} for 8-bit Add: 9-bit differences get 20 more bits of precision. */
    private static final int ADD_LEFT_SHIFT = 20;

    private final TensorInfo input;
    private final List<TensorInfo> tensors = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();
    private int current;
    private boolean softmax;

    Int8ModelBuilder(TensorInfo input) {
        this.input = input;
        tensors.add(input);
    }

    /** The tensor the next op reads: 0 for the input, {@code i + 1} after op {@code i}. */
    public int currentTensor() {
        return current;
    }

    /** Makes {@code tensor} the input of the next op (a residual branch). */
    public Int8ModelBuilder from(int tensor) {
        if (tensor < 0 || tensor >= tensors.size()) {
            throw new IllegalArgumentException("tensor " + tensor + " not in [0, " + tensors.size() + ")");
        }
        current = tensor;
        return this;
    }

    /**
     * Convolution with int8 output. {@code weights} OIHW {@code [out][in / groups][kH][kW]} with
     * values in {@code [-(2^(weightBits-1) - 1), 2^(weightBits-1) - 1]}; {@code weightScale} per
     * output channel (or one for all); {@code bias} float per channel or null; {@code stride}
     * {@code [h, w]}; {@code padding} {@code [top, left, bottom, right]}; {@code dilation}
     * {@code [h, w]}; {@code groups} 1 or the input channels (depthwise).
     */
    public Int8ModelBuilder conv2d(
            String name,
            byte[] weights,
            int[] weightShape,
            int weightBits,
            float[] weightScale,
            float[] bias,
            int[] stride,
            int[] padding,
            int[] dilation,
            int groups,
            TensorQuantization output,
            Activation activation) {
        return conv(
                name,
                weights,
                weightShape,
                weightBits,
                weightScale,
                bias,
                stride,
                padding,
                dilation,
                groups,
                output,
                activation);
    }

    /** {@link #conv2d} that outputs float logits {@code acc * s_in * s_w[c]}; must be the last op. */
    public Int8ModelBuilder conv2dLogits(
            String name,
            byte[] weights,
            int[] weightShape,
            int weightBits,
            float[] weightScale,
            float[] bias,
            int[] stride,
            int[] padding,
            int[] dilation,
            int groups) {
        return conv(
                name,
                weights,
                weightShape,
                weightBits,
                weightScale,
                bias,
                stride,
                padding,
                dilation,
                groups,
                null,
                null);
    }

    private Int8ModelBuilder conv(
            String name,
            byte[] weights,
            int[] weightShape,
            int weightBits,
            float[] weightScale,
            float[] bias,
            int[] stride,
            int[] padding,
            int[] dilation,
            int groups,
            TensorQuantization output,
            Activation activation) {
        check(weightShape, 4, "weightShape [out, in/groups, kH, kW]");
        check(stride, 2, "stride [h, w]");
        check(padding, 4, "padding [top, left, bottom, right]");
        check(dilation, 2, "dilation [h, w]");
        int outChannels = weightShape[0];
        TensorInfo in = tensors.get(current);
        int inChannels = in.spatial() ? in.dim(0) : -1;
        if (weightShape[1] * groups != inChannels) {
            throw new IllegalArgumentException("weightShape[1] * groups = " + weightShape[1] * groups
                    + " does not match the input channels of " + in);
        }
        float[] scales = perChannel(weightScale, outChannels);
        return append(new Op.Conv2D(
                name(name, "conv"),
                current,
                inChannels,
                outChannels,
                weightShape[2],
                weightShape[3],
                stride[0],
                stride[1],
                padding[0],
                padding[1],
                padding[2],
                padding[3],
                dilation[0],
                dilation[1],
                groups,
                weightBits,
                weights.clone(),
                scales,
                int32Bias(bias, scales, outChannels, output),
                stage(scales, bias, output, activation)));
    }

    /**
     * Fully connected with int8 output: {@code weights [outFeatures][inFeatures]} (DL4J's W
     * transposed), scales and bias as for {@link #conv2d}. The input must be flat ({@link #flatten}).
     */
    public Int8ModelBuilder dense(
            String name,
            byte[] weights,
            int outFeatures,
            int weightBits,
            float[] weightScale,
            float[] bias,
            TensorQuantization output,
            Activation activation) {
        return fullyConnected(name, weights, outFeatures, weightBits, weightScale, bias, output, activation);
    }

    /** {@link #dense} that outputs float logits {@code acc * s_in * s_w[c]}; must be the last op. */
    public Int8ModelBuilder denseLogits(
            String name, byte[] weights, int outFeatures, int weightBits, float[] weightScale, float[] bias) {
        return fullyConnected(name, weights, outFeatures, weightBits, weightScale, bias, null, null);
    }

    /**
     * Fully connected on a dynamic input ({@link Int8Model#dynamicBuilder}): int8 weights as for
     * {@link #dense}, a float {@code bias}, the activation in float, and a dynamic output of
     * {@code outputBits} (the model's float output when it is the last op). See qat-core/README.md.
     */
    public Int8ModelBuilder dynamicDense(
            String name,
            byte[] weights,
            int outFeatures,
            int weightBits,
            float[] weightScale,
            float[] bias,
            Activation activation,
            int outputBits) {
        float[] scales = perChannel(weightScale, outFeatures);
        return append(new Op.DynamicDense(
                name(name, "dense"),
                current,
                tensors.get(current).size(),
                outFeatures,
                weightBits,
                weights.clone(),
                scales,
                bias == null ? new float[outFeatures] : bias.clone(),
                activation,
                outputBits));
    }

    private Int8ModelBuilder fullyConnected(
            String name,
            byte[] weights,
            int outFeatures,
            int weightBits,
            float[] weightScale,
            float[] bias,
            TensorQuantization output,
            Activation activation) {
        TensorInfo in = tensors.get(current);
        float[] scales = perChannel(weightScale, outFeatures);
        return append(new Op.Dense(
                name(name, "dense"),
                current,
                in.size(),
                outFeatures,
                weightBits,
                weights.clone(),
                scales,
                int32Bias(bias, scales, outFeatures, output),
                stage(scales, bias, output, activation)));
    }

    /** Max pool; {@code kernel} and {@code stride} {@code [h, w]}, {@code padding} {@code [top, left, bottom, right]}. */
    public Int8ModelBuilder maxPool(String name, int[] kernel, int[] stride, int[] padding) {
        return pool(name(name, "maxpool"), false, kernel, stride, padding, null);
    }

    /**
     * Average pool, padding not counted, with the input's quantization and TFLite's rounding.
     * Arguments as {@link #maxPool}.
     */
    public Int8ModelBuilder avgPool(String name, int[] kernel, int[] stride, int[] padding) {
        return pool(name(name, "avgpool"), true, kernel, stride, padding, null);
    }

    /** Average pool requantized to {@code output} (the mean rounded once, as the QAT network's quantizer after it). */
    public Int8ModelBuilder avgPool(String name, int[] kernel, int[] stride, int[] padding, TensorQuantization output) {
        return pool(name(name, "avgpool"), true, kernel, stride, padding, averaged(output));
    }

    private Int8ModelBuilder pool(
            String name, boolean average, int[] kernel, int[] stride, int[] padding, Op.Averaged averaged) {
        check(kernel, 2, "kernel [h, w]");
        check(stride, 2, "stride [h, w]");
        check(padding, 4, "padding [top, left, bottom, right]");
        return append(new Op.Pool(
                name,
                current,
                average,
                kernel[0],
                kernel[1],
                stride[0],
                stride[1],
                padding[0],
                padding[1],
                padding[2],
                padding[3],
                averaged));
    }

    /** {@code [c, h, w] -> [c]}, the mean of each channel, with the input's quantization and TFLite's rounding. */
    public Int8ModelBuilder globalAvgPool(String name) {
        return append(new Op.GlobalAvgPool(name(name, "globalavgpool"), current, null));
    }

    /** {@code [c, h, w] -> [c]}, the mean of each channel requantized to {@code output}, as {@link #avgPool}. */
    public Int8ModelBuilder globalAvgPool(String name, TensorQuantization output) {
        return append(new Op.GlobalAvgPool(name(name, "globalavgpool"), current, averaged(output)));
    }

    private Op.Averaged averaged(TensorQuantization output) {
        TensorInfo in = tensors.get(current);
        if (in.quantization() == null) {
            throw new IllegalArgumentException("an average pool cannot read float logits");
        }
        QuantizedMultiplier m =
                QuantizedMultiplier.of((double) in.quantization().scale() / output.scale());
        return new Op.Averaged(output, m.multiplier(), m.shift());
    }

    /** Current tensor plus {@code otherTensor} (same shape), requantized to {@code output} as TFLite's Add. */
    public Int8ModelBuilder add(String name, int otherTensor, TensorQuantization output, Activation activation) {
        if (otherTensor < 0
                || otherTensor >= tensors.size()
                || tensors.get(otherTensor).quantization() == null) {
            throw new IllegalArgumentException("tensor " + otherTensor + " is not a quantized tensor of this model");
        }
        double s1 = tensors.get(current).quantization().scale();
        double s2 = tensors.get(otherTensor).quantization().scale();
        double twiceMaxInputScale = 2 * Math.max(s1, s2);
        QuantizedMultiplier m1 = QuantizedMultiplier.of(s1 / twiceMaxInputScale);
        QuantizedMultiplier m2 = QuantizedMultiplier.of(s2 / twiceMaxInputScale);
        QuantizedMultiplier mOut =
                QuantizedMultiplier.of(twiceMaxInputScale / ((1 << ADD_LEFT_SHIFT) * (double) output.scale()));
        int[] clamp = activation.clamp(output);
        return append(new Op.Add(
                name(name, "add"),
                current,
                otherTensor,
                output,
                ADD_LEFT_SHIFT,
                m1.multiplier(),
                m1.shift(),
                m2.multiplier(),
                m2.shift(),
                mOut.multiplier(),
                mOut.shift(),
                clamp[0],
                clamp[1]));
    }

    /** {@code [c, h, w] -> [c * h * w]} in NCHW order, as DL4J flattens. */
    public Int8ModelBuilder flatten(String name) {
        return reshape(name(name, "flatten"), tensors.get(current).size());
    }

    /** Same values, new shape ({@code [n]} or {@code [c, h, w]}). */
    public Int8ModelBuilder reshape(String name, int... shape) {
        return append(new Op.Reshape(name(name, "reshape"), current, shape.clone()));
    }

    /** Applies softmax (in float) to the model's output. */
    public Int8ModelBuilder softmax() {
        softmax = true;
        return this;
    }

    public Int8Model build() {
        return new Int8Model(graph());
    }

    /** The current tensor's shape and quantization, for tests that build graphs step by step. */
    TensorInfo graphTensor() {
        return tensors.get(current);
    }

    Graph graph() {
        return new Graph(input, InputPreprocessing.NOT_RECORDED, ops, softmax);
    }

    private Int8ModelBuilder append(Op op) {
        TensorInfo out = Graph.inferNext(tensors, op, ops.size(), ops.size() + 1);
        if (tensors.get(tensors.size() - 1).logits()) {
            throw new IllegalArgumentException("no op may follow an op that outputs float logits");
        }
        tensors.add(out);
        ops.add(op);
        current = tensors.size() - 1;
        return this;
    }

    /** The int32 bias of a layer that outputs float logits; zeros for a requantized one (its stage holds it). */
    private int[] int32Bias(float[] bias, float[] weightScale, int channels, TensorQuantization output) {
        if (bias != null && bias.length != channels) {
            throw new IllegalArgumentException("need " + channels + " biases, got " + bias.length);
        }
        float inputScale = inputScale();
        int[] q = new int[channels];
        for (int c = 0; c < channels && bias != null && output == null; c++) {
            q[c] = Requantization.biasToInt32(bias[c], inputScale, weightScale[c]);
        }
        return q;
    }

    /** The output stage; a requantized one takes the bias ({@link Requantization#outputBias}). */
    private Op.Output stage(float[] weightScale, float[] bias, TensorQuantization output, Activation activation) {
        double inputScale = inputScale();
        int channels = weightScale.length;
        if (output == null) {
            float[] outputScale = new float[channels];
            for (int c = 0; c < channels; c++) {
                outputScale[c] = (float) (inputScale * weightScale[c]);
            }
            return new Op.Dequantized(outputScale);
        }
        int[] multiplier = new int[channels];
        int[] shift = new int[channels];
        long[] outputBias = new long[channels];
        for (int c = 0; c < channels; c++) {
            QuantizedMultiplier m = QuantizedMultiplier.of(inputScale * weightScale[c] / output.scale());
            multiplier[c] = m.multiplier();
            shift[c] = m.shift();
            outputBias[c] = bias == null ? 0 : Requantization.outputBias(bias[c], output.scale(), m.shift());
        }
        int[] clamp = activation.clamp(output);
        return new Op.Requantized(output, multiplier, shift, outputBias, clamp[0], clamp[1]);
    }

    private float inputScale() {
        TensorQuantization q = tensors.get(current).quantization();
        if (tensors.get(current).dynamic()) {
            throw new IllegalArgumentException(
                    "tensor " + current + " is dynamic: only dynamicDense and reshape read it");
        }
        if (q == null) {
            throw new IllegalArgumentException("no op may follow an op that outputs float logits");
        }
        return q.scale();
    }

    private static float[] perChannel(float[] scale, int channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("need a positive number of output channels, got " + channels);
        }
        if (scale.length == 1) {
            float[] all = new float[channels];
            Arrays.fill(all, scale[0]);
            return all;
        }
        return scale.clone();
    }

    private static void check(int[] values, int length, String what) {
        if (values == null || values.length != length) {
            throw new IllegalArgumentException(what + " needs " + length + " values");
        }
    }

    private String name(String name, String kind) {
        return name != null ? name : kind + ops.size();
    }
}

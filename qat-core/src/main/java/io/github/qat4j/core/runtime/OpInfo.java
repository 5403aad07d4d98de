package io.github.qat4j.core.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * What one op of an {@link Int8Model} is, as {@link Int8Model#ops()} derives it from the loaded
 * graph: for inspection and reports. Shapes are per image, {@code [c, h, w]} or {@code [n]}.
 *
 * @param name the op's name, unique in the model
 * @param kind what the op computes
 * @param inputTensors the tensors it reads, in order: 0 is the model input, {@code i + 1} the output
 *     of op {@code i}
 * @param inputShapes the shapes of the tensors it reads, in order
 * @param outputShape the shape of the tensor it writes
 * @param weights its weights, or null for an op without them
 * @param outputQuantization its output's quantization, or null when it outputs float logits or a
 *     dynamic tensor (quantized per image at run time)
 * @param activation the activation its output clamp implements, or null for an op without a clamp
 *     (pooling, reshape, float logits) or with a clamp that no {@link Activation} gives. The clamp
 *     is all the file keeps: a ReLU6 whose range ends below 6, or an op without activation whose
 *     range starts at 0, acts as a ReLU and is reported as {@link Activation#RELU}
 * @param macs multiply-accumulates per image (convolutions and dense only)
 * @param fileBytes bytes of the op's section in the model file: weights, per-channel parameters,
 *     name, fields and framing
 */
public record OpInfo(
        String name,
        Kind kind,
        List<Integer> inputTensors,
        List<List<Integer>> inputShapes,
        List<Integer> outputShape,
        Weights weights,
        TensorQuantization outputQuantization,
        Activation activation,
        long macs,
        long fileBytes) {

    /** The op types of the runtime. */
    public enum Kind {
        CONV2D,
        DEPTHWISE_CONV2D,
        DENSE,
        /** Dense on a dynamically quantized input, float output (PyTorch's {@code quantize_dynamic}). */
        DYNAMIC_DENSE,
        MAX_POOL,
        AVG_POOL,
        GLOBAL_AVG_POOL,
        ADD,
        /** Includes flatten, a reshape to {@code [n]}. */
        RESHAPE
    }

    /**
     * The int weights of a convolution or dense op.
     *
     * @param bits 2..8, symmetric
     * @param count how many weights
     * @param minScale the smallest per-output-channel scale
     * @param maxScale the largest; equal to {@code minScale} for one scale per tensor
     */
    public record Weights(int bits, int count, float minScale, float maxScale) {}

    public OpInfo {
        inputTensors = List.copyOf(inputTensors);
        inputShapes = inputShapes.stream().map(List::copyOf).toList();
        outputShape = List.copyOf(outputShape);
    }

    /** Op {@code index} of {@code graph}. */
    static OpInfo of(Graph graph, int index) {
        Op op = graph.ops().get(index);
        List<Integer> inputTensors = new ArrayList<>();
        List<List<Integer>> inputs = new ArrayList<>();
        for (int t : op.inputs()) {
            inputTensors.add(t);
            inputs.add(shape(graph.tensors().get(t)));
        }
        TensorInfo out = graph.tensors().get(index + 1);
        long bytes = ModelFormat.opSection(op).length;
        Kind kind;
        Weights weights = null;
        Activation activation = null;
        long macs = 0;
        if (op instanceof Op.Conv2D c) {
            kind = c.depthwise() ? Kind.DEPTHWISE_CONV2D : Kind.CONV2D;
            weights = weights(c.weightBits(), c.weights(), c.weightScale());
            activation = activation(c.output());
            macs = (long) out.size() * (c.inChannels() / c.groups()) * c.kH() * c.kW();
        } else if (op instanceof Op.Dense d) {
            kind = Kind.DENSE;
            weights = weights(d.weightBits(), d.weights(), d.weightScale());
            activation = activation(d.output());
            macs = (long) d.inFeatures() * d.outFeatures();
        } else if (op instanceof Op.DynamicDense d) {
            kind = Kind.DYNAMIC_DENSE;
            weights = weights(d.weightBits(), d.weights(), d.weightScale());
            activation = d.activation();
            macs = (long) d.inFeatures() * d.outFeatures();
        } else if (op instanceof Op.Pool p) {
            kind = p.average() ? Kind.AVG_POOL : Kind.MAX_POOL;
        } else if (op instanceof Op.GlobalAvgPool) {
            kind = Kind.GLOBAL_AVG_POOL;
        } else if (op instanceof Op.Add a) {
            kind = Kind.ADD;
            activation = Activation.ofClamp(a.quantization(), a.quantizedActivationMin(), a.quantizedActivationMax());
        } else {
            kind = Kind.RESHAPE;
        }
        return new OpInfo(
                op.name(),
                kind,
                inputTensors,
                inputs,
                shape(out),
                weights,
                out.quantization(),
                activation,
                macs,
                bytes);
    }

    private static List<Integer> shape(TensorInfo t) {
        List<Integer> shape = new ArrayList<>();
        for (int d : t.shape()) {
            shape.add(d);
        }
        return shape;
    }

    private static Weights weights(int bits, byte[] weights, float[] scales) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scales) {
            min = Math.min(min, s);
            max = Math.max(max, s);
        }
        return new Weights(bits, weights.length, min, max);
    }

    private static Activation activation(Op.Output output) {
        return output instanceof Op.Requantized r
                ? Activation.ofClamp(r.quantization(), r.quantizedActivationMin(), r.quantizedActivationMax())
                : null;
    }
}

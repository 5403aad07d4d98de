package io.github.qat4j.layers.export;

import io.github.qat4j.core.quant.FakeQuant;
import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.core.runtime.Activation;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.Int8ModelBuilder;
import io.github.qat4j.core.runtime.OpInfo;
import io.github.qat4j.core.runtime.TensorQuantization;
import io.github.qat4j.layers.ExportedWeights;
import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.QatDense;
import io.github.qat4j.layers.QatDepthwiseConvolution2D;
import io.github.qat4j.layers.QatOutput;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.QuantizerConfig;
import io.github.qat4j.layers.Tensors;
import io.github.qat4j.layers.WeightScales;
import io.github.qat4j.layers.export.NetworkNodes.Node;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exports a trained QAT network to qat-core's int8 model: weights as the integers the forward pass
 * rounded them to (BatchNorm already folded), each quantized layer's output quantization taken from
 * the {@link FakeQuantLayer} that follows it, ReLU/ReLU6 fused into the output clamp, and the last
 * layer's int32 accumulators dequantized to float logits before softmax.
 *
 * <pre>{@code
 * Int8Model model = Int8Exporter.export(qatNet, InputType.convolutionalFlat(28, 28, 1));
 * model.save(Path.of("lenet.q8"));
 * }</pre>
 *
 * @throws IllegalArgumentException naming the layer that cannot be exported, and why
 */
public final class Int8Exporter {
    private Int8Exporter() {}

    public static Int8Model export(MultiLayerNetwork net, InputType input) {
        return new Walk(input).run(NetworkNodes.of(net, input));
    }

    public static Int8Model export(ComputationGraph graph, InputType input) {
        return new Walk(input).run(NetworkNodes.of(graph, input));
    }

    /**
     * What {@code network} exports to, with the name of the node whose output each tensor holds,
     * indexed like the model's tensors (0 the input, {@code i + 1} the output of op {@code i}): the
     * input quantizer, the quantizer after a layer or add, the pooling layer, the output layer; a
     * flatten or reshape holds its input's values, so it gets its input's node.
     */
    static Exported exportWithSources(NetworkNodes network, InputType input) {
        Walk walk = new Walk(input);
        Int8Model model = walk.run(network);
        List<OpInfo> ops = model.ops();
        String[] sources = new String[ops.size() + 1];
        walk.tensorOf.forEach((name, tensor) -> sources[tensor] = sources[tensor] == null ? name : sources[tensor]);
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).kind() == OpInfo.Kind.RESHAPE) {
                sources[i + 1] = sources[ops.get(i).inputTensors().get(0)];
            }
        }
        return new Exported(model, Arrays.asList(sources));
    }

    /** A model and, per tensor, the network node whose output it holds (see {@link #exportWithSources}). */
    record Exported(Int8Model model, List<String> sources) {}

    /** {@link #export(MultiLayerNetwork, InputType)}, then writes the model to {@code file}. */
    public static Int8Model export(MultiLayerNetwork net, InputType input, Path file) throws IOException {
        Int8Model model = export(net, input);
        model.save(file);
        return model;
    }

    /** {@link #export(ComputationGraph, InputType)}, then writes the model to {@code file}. */
    public static Int8Model export(ComputationGraph graph, InputType input, Path file) throws IOException {
        Int8Model model = export(graph, input);
        model.save(file);
        return model;
    }

    private static final class Walk {
        private final InputType inputType;
        /** Node name to tensor index, in the order the tensors were made (an alias comes after its source). */
        private final Map<String, Integer> tensorOf = new LinkedHashMap<>();

        private final Map<String, PendingOp> pending = new HashMap<>();
        private Int8ModelBuilder builder;

        Walk(InputType inputType) {
            this.inputType = inputType;
        }

        Int8Model run(NetworkNodes network) {
            for (Node n : network.nodes()) {
                visit(n, network);
            }
            if (builder == null) {
                throw new IllegalArgumentException("the network has no input quantizer: prepare it with Qat.prepare");
            }
            if (!pending.isEmpty()) {
                throw new IllegalArgumentException(
                        "no quantizer after " + pending.keySet() + ": their output has no int8 quantization");
            }
            return builder.build();
        }

        private void visit(Node n, NetworkNodes network) {
            var conf = n.conf();
            if (conf instanceof FakeQuantLayer) {
                TensorQuantization q = quantization(n);
                String in = n.inputs().get(0);
                if (in.equals(network.input()) && builder == null) {
                    builder = Int8Model.builder(shape(inputType), q);
                    tensorOf.put(n.name(), 0);
                } else if (pending.containsKey(in)) {
                    pending.remove(in).emit(q);
                    tensorOf.put(n.name(), builder.currentTensor());
                } else {
                    throw unsupported(n, "a quantizer must follow a quantized layer, an add or an input");
                }
                return;
            }
            requireBuilder(n);
            if (conf instanceof QatWeightLayer) {
                weightLayer(n, (QatWeightLayer) conf);
            } else if (n.vertex() instanceof ElementWiseVertex
                    && ((ElementWiseVertex) n.vertex()).getOp() == ElementWiseVertex.Op.Add
                    && n.inputs().size() == 2) {
                int a = tensor(n, 0);
                int b = tensor(n, 1);
                pending.put(
                        n.name(),
                        new PendingOp(
                                Activation.NONE, (q, act) -> builder.from(a).add(n.name(), b, q, act)));
            } else if (conf instanceof ActivationLayer) {
                String in = n.inputs().get(0);
                PendingOp p = pending.remove(in);
                if (p == null || p.activation != Activation.NONE) {
                    throw unsupported(
                            n,
                            "an activation must directly follow a quantized layer or an add, "
                                    + "before the quantizer");
                }
                pending.put(n.name(), p.with(activation(n, ((ActivationLayer) conf).getActivationFn())));
            } else if (conf instanceof DropoutLayer) {
                alias(n);
            } else if (conf instanceof SubsamplingLayer) {
                SubsamplingLayer s = (SubsamplingLayer) conf;
                if (s.getPoolingType() != PoolingType.MAX && s.getPoolingType() != PoolingType.AVG) {
                    throw unsupported(n, "only max and average pooling are supported");
                }
                int[] padding = n.padding(
                        s.getKernelSize(), s.getStride(), s.getPadding(), s.getDilation(), s.getConvolutionMode());
                int in = from(n);
                if (s.getPoolingType() == PoolingType.MAX) {
                    builder.maxPool(n.name(), s.getKernelSize(), s.getStride(), padding);
                } else if (network.quantizedAfter(n.name())) {
                    pending.put(
                            n.name(),
                            averaged(
                                    n,
                                    q -> builder.from(in)
                                            .avgPool(n.name(), s.getKernelSize(), s.getStride(), padding, q)));
                    return;
                } else {
                    builder.avgPool(n.name(), s.getKernelSize(), s.getStride(), padding);
                }
                tensorOf.put(n.name(), builder.currentTensor());
            } else if (conf instanceof GlobalPoolingLayer
                    && ((GlobalPoolingLayer) conf).getPoolingType() == PoolingType.AVG) {
                int in = from(n);
                if (network.quantizedAfter(n.name())) {
                    pending.put(n.name(), averaged(n, q -> builder.from(in).globalAvgPool(n.name(), q)));
                } else {
                    builder.globalAvgPool(n.name());
                    tensorOf.put(n.name(), builder.currentTensor());
                }
            } else {
                throw unsupported(n, "no int8 op for it");
            }
        }

        /** An average pool the quantizer after it requantizes to: emitted when that quantizer is reached. */
        private PendingOp averaged(Node n, java.util.function.Consumer<TensorQuantization> emit) {
            return new PendingOp(Activation.NONE, (q, activation) -> {
                if (activation != Activation.NONE) {
                    throw unsupported(
                            n,
                            "an activation between an average pool and its quantizer has no int8 op; "
                                    + "put it before the pool");
                }
                emit.accept(q);
            });
        }

        private void weightLayer(Node n, QatWeightLayer conf) {
            QuantizerConfig wq = conf.getWeightQuant();
            if (!wq.spec(0).exportable()) {
                throw unsupported(
                        n,
                        "its weights were trained at " + wq.getBits() + " bits; the int8 runtime takes "
                                + QuantSpec.MAX_BITS + " or fewer");
            }
            if (conf.quantizedWeights().size() > 1) {
                throw unsupported(
                        n,
                        "the int8 runtime has no separable convolution op; build the network from a "
                                + "depthwise and a 1x1 convolution to export it");
            }
            ExportedWeights e = ExportedWeights.of(n.layer());
            float[] scale = Tensors.toFloats(e.scale());
            byte[] q = quantizedWeights(conf, e.weight(), scale);
            float[] bias = Tensors.toFloats(e.bias());
            IActivation act = ((org.deeplearning4j.nn.conf.layers.BaseLayer) n.conf()).getActivationFn();
            boolean logits = conf instanceof QatOutput;
            if (logits && !(act instanceof ActivationSoftmax) && !(act instanceof ActivationIdentity)) {
                throw unsupported(n, "the output layer's activation must be softmax or identity, got " + act);
            }
            Activation fused = logits ? Activation.NONE : activation(n, act);
            int bits = wq.getBits();
            int in = from(n);
            if (conf instanceof QatDense || conf instanceof QatOutput) {
                int out = (int) conf.weightChannels();
                byte[] w = transpose(q, Math.toIntExact(e.weight().size(0)), out);
                if (logits) {
                    builder.denseLogits(n.name(), w, out, bits, scale, bias);
                } else {
                    pending.put(
                            n.name(),
                            new PendingOp(
                                    fused,
                                    (oq, a) -> builder.from(in).dense(n.name(), w, out, bits, scale, bias, oq, a)));
                }
            } else {
                var c = (org.deeplearning4j.nn.conf.layers.ConvolutionLayer) n.conf();
                boolean depthwise = conf instanceof QatDepthwiseConvolution2D;
                long[] ws = e.weight().shape();
                int[] shape = depthwise
                        ? new int[] {(int) (ws[2] * ws[3]), 1, (int) ws[0], (int) ws[1]}
                        : new int[] {(int) ws[0], (int) ws[1], (int) ws[2], (int) ws[3]};
                byte[] w = depthwise ? depthwiseToOihw(q, ws) : q;
                int groups = depthwise ? (int) ws[2] : 1;
                int[] padding = n.padding(
                        c.getKernelSize(), c.getStride(), c.getPadding(), c.getDilation(), c.getConvolutionMode());
                if (logits) {
                    throw unsupported(n, "a convolutional output layer is not supported");
                }
                pending.put(
                        n.name(),
                        new PendingOp(
                                fused,
                                (oq, a) -> builder.from(in)
                                        .conv2d(
                                                n.name(),
                                                w,
                                                shape,
                                                bits,
                                                scale,
                                                bias,
                                                c.getStride(),
                                                padding,
                                                c.getDilation(),
                                                groups,
                                                oq,
                                                a)));
            }
            if (logits) {
                if (act instanceof ActivationSoftmax) {
                    builder.softmax();
                }
                tensorOf.put(n.name(), builder.currentTensor());
            }
        }

        /** Selects the node's input as the next op's input, applying its preprocessor; returns the tensor. */
        private int from(Node n) {
            builder.from(tensor(n, 0));
            if (n.pre() instanceof CnnToFeedForwardPreProcessor) {
                builder.flatten(null);
            } else if (n.pre() instanceof FeedForwardToCnnPreProcessor) {
                FeedForwardToCnnPreProcessor p = (FeedForwardToCnnPreProcessor) n.pre();
                builder.reshape(null, (int) p.getNumChannels(), (int) p.getInputHeight(), (int) p.getInputWidth());
            } else if (n.pre() != null) {
                throw unsupported(
                        n, "its input preprocessor " + n.pre().getClass().getSimpleName() + " has no int8 op");
            }
            return builder.currentTensor();
        }

        private int tensor(Node n, int input) {
            String in = n.inputs().get(input);
            Integer t = tensorOf.get(in);
            if (t == null) {
                throw unsupported(n, "its input \"" + in + "\" is not quantized: put a quantizer after it");
            }
            return t;
        }

        private void alias(Node n) {
            String in = n.inputs().get(0);
            if (pending.containsKey(in)) {
                pending.put(n.name(), pending.remove(in));
            } else {
                tensorOf.put(n.name(), tensor(n, 0));
            }
        }

        private void requireBuilder(Node n) {
            if (builder == null) {
                throw unsupported(n, "it comes before the input quantizer");
            }
        }

        private static TensorQuantization quantization(Node n) {
            QuantSpec spec = ((FakeQuantLayer) n.conf()).getQuant().spec(-1);
            if (!spec.exportable() || spec.signed()) {
                throw unsupported(
                        n,
                        "the int8 runtime takes unsigned activations of at most " + QuantSpec.MAX_BITS + " bits, got "
                                + spec);
            }
            return new TensorQuantization(
                    n.layer().getParam(FakeQuantLayer.SCALE).getFloat(0),
                    (int) n.layer().getParam(FakeQuantLayer.ZERO_POINT).getDouble(0),
                    spec.bits());
        }

        private static Activation activation(Node n, IActivation a) {
            Activation r = runtimeActivation(a);
            if (r == null) {
                throw unsupported(n, "activation " + a + " cannot be fused into an int8 clamp (identity, ReLU, ReLU6)");
            }
            return r;
        }

        private static IllegalArgumentException unsupported(Node n, String why) {
            String type = n.conf() != null
                    ? n.conf().getClass().getSimpleName()
                    : n.vertex().getClass().getSimpleName();
            return new IllegalArgumentException("cannot export \"" + n.name() + "\" (" + type + "): " + why);
        }
    }

    /** An op waiting for its output quantization; {@code activation} is fused into its clamp. */
    private record PendingOp(Activation activation, Emit emit) {
        void emit(TensorQuantization q) {
            emit.apply(q, activation);
        }

        PendingOp with(Activation a) {
            return new PendingOp(a, emit);
        }
    }

    @FunctionalInterface
    private interface Emit {
        void apply(TensorQuantization q, Activation a);
    }

    /** The integer codes of W in its DL4J layout, row-major: {@code clamp(round(w / s_c), qmin, qmax)}. */
    static byte[] quantizedWeights(QatWeightLayer conf, INDArray weight, float[] scale) {
        WeightScales.View v = WeightScales.view(conf, weight);
        float[] w = Tensors.toFloats(weight);
        byte[] q = new byte[w.length];
        for (int i = 0; i < w.length; i++) {
            int c = (i / v.inner) % v.channels;
            q[i] = (byte) FakeQuant.quantize(w[i], scale[v.channels == 1 ? 0 : c], 0, v.spec.qmin(), v.spec.qmax());
        }
        return q;
    }

    private static byte[] transpose(byte[] q, int rows, int cols) {
        byte[] t = new byte[q.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = q[r * cols + c];
            }
        }
        return t;
    }

    /** DL4J's depthwise {@code [kH, kW, in, multiplier]} to OIHW {@code [in * multiplier, 1, kH, kW]}. */
    private static byte[] depthwiseToOihw(byte[] q, long[] shape) {
        int kh = (int) shape[0];
        int kw = (int) shape[1];
        int channels = (int) (shape[2] * shape[3]);
        byte[] t = new byte[q.length];
        for (int y = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) {
                for (int o = 0; o < channels; o++) {
                    t[(o * kh + y) * kw + x] = q[(y * kw + x) * channels + o];
                }
            }
        }
        return t;
    }

    /** The runtime's form of a DL4J activation, or null for one it has none of (identity, ReLU, ReLU6). */
    static Activation runtimeActivation(IActivation a) {
        if (a instanceof ActivationIdentity) {
            return Activation.NONE;
        } else if (a instanceof ActivationReLU) {
            return Activation.RELU;
        } else if (a instanceof ActivationReLU6) {
            return Activation.RELU6;
        }
        return null;
    }

    static int[] shape(InputType t) {
        if (t instanceof InputType.InputTypeConvolutional) {
            var c = (InputType.InputTypeConvolutional) t;
            return new int[] {(int) c.getChannels(), (int) c.getHeight(), (int) c.getWidth()};
        } else if (t instanceof InputType.InputTypeConvolutionalFlat) {
            var c = (InputType.InputTypeConvolutionalFlat) t;
            return new int[] {(int) c.getDepth(), (int) c.getHeight(), (int) c.getWidth()};
        } else if (t instanceof InputType.InputTypeFeedForward) {
            return new int[] {(int) ((InputType.InputTypeFeedForward) t).getSize()};
        }
        throw new IllegalArgumentException("input type " + t + " is not supported by the int8 runtime");
    }
}

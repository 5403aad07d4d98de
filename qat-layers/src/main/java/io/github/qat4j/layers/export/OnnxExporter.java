package io.github.qat4j.layers.export;

import com.google.protobuf.ByteString;
import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.core.quant.Requantization;
import io.github.qat4j.layers.ExportedWeights;
import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.Tensors;
import io.github.qat4j.layers.export.NetworkNodes.Node;
import io.github.qat4j.layers.onnx.OnnxProto.AttributeProto;
import io.github.qat4j.layers.onnx.OnnxProto.GraphProto;
import io.github.qat4j.layers.onnx.OnnxProto.ModelProto;
import io.github.qat4j.layers.onnx.OnnxProto.NodeProto;
import io.github.qat4j.layers.onnx.OnnxProto.OperatorSetIdProto;
import io.github.qat4j.layers.onnx.OnnxProto.StringStringEntryProto;
import io.github.qat4j.layers.onnx.OnnxProto.TensorProto;
import io.github.qat4j.layers.onnx.OnnxProto.TensorShapeProto;
import io.github.qat4j.layers.onnx.OnnxProto.TypeProto;
import io.github.qat4j.layers.onnx.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exports a QAT network to ONNX (opset 13), in two forms that run in ONNX Runtime or any other
 * ONNX engine:
 *
 * <ul>
 *   <li><b>QDQ</b> ({@link #exportQdq}): the int8 model of {@link Int8Exporter} written as
 *       {@code QuantizeLinear}/{@code DequantizeLinear} pairs around float ops. Each
 *       {@link FakeQuantLayer} becomes a {@code QuantizeLinear} to uint8 with its own scale and zero
 *       point; weights are stored as int8 initializers (the integers the forward pass rounded them to,
 *       BatchNorm folded) behind a per-channel {@code DequantizeLinear} on axis 0 with zero point 0;
 *       biases as int32 {@code round(b / (s_in * s_w[c]))} behind a {@code DequantizeLinear} of scale
 *       {@code s_in * s_w[c]}, as the int8 runtime adds them. Engines that fuse QDQ (ONNX Runtime
 *       with graph optimizations on) run their own u8s8 integer kernels on it.</li>
 *   <li><b>Float</b> ({@link #exportFloat}): the same network with fake quantization off, the
 *       weights unrounded (BatchNorm folded), for the float comparison. Plain DL4J networks (not
 *       prepared with {@code Qat.prepare}) export this way too.</li>
 * </ul>
 *
 * <p>The graph has one input {@value #INPUT} and one output {@value #OUTPUT}, with a free batch
 * dimension; the input is laid out as DL4J takes it ({@code [n, c*h*w]} for
 * {@link InputType#convolutionalFlat}, NCHW for {@link InputType#convolutional}). Conv, Gemm
 * ({@code transB = 1}, so per-channel weight scales are on axis 0), MaxPool, AveragePool,
 * GlobalAveragePool/GlobalMaxPool, Add, Relu, Clip (ReLU6, and before QuantizeLinear for activations
 * of fewer than 8 bits), Flatten, Reshape, Softmax and, for a BatchNorm that was not folded,
 * BatchNormalization are emitted as needed. Ops that move or select quantized values (max pooling,
 * flatten, reshape, ReLU) and average pooling sit between a {@code DequantizeLinear} and a
 * {@code QuantizeLinear} with the quantization of their input, as the int8 runtime keeps it.
 *
 * <pre>{@code
 * InputType input = InputType.convolutionalFlat(28, 28, 1);
 * OnnxExporter.exportQdq(qatNet, input, Path.of("lenet-int8.onnx"));
 * OnnxExporter.exportFloat(qatNet, input, Path.of("lenet-float.onnx"));
 * // then, e.g. with ONNX Runtime: env.createSession("lenet-int8.onnx", options).run(Map.of("input", x))
 * }</pre>
 *
 * @throws IllegalArgumentException naming the layer that cannot be exported, and why
 */
public final class OnnxExporter {
    /** Name of the graph input. */
    public static final String INPUT = "input";
    /** Name of the graph output. */
    public static final String OUTPUT = "output";
    /** Opset 13: the first with per-channel (axis) {@code DequantizeLinear}. */
    static final int OPSET = 13;
    /** The IR version that goes with opset 13. */
    static final int IR_VERSION = 7;

    private OnnxExporter() {}

    /** Writes {@code net} as a QDQ model: quantized as {@link Int8Exporter} quantizes it. */
    public static void exportQdq(MultiLayerNetwork net, InputType input, Path file) throws IOException {
        write(qdq(net, input), file);
    }

    /** {@link #exportQdq(MultiLayerNetwork, InputType, Path)} for a graph with one input and one output. */
    public static void exportQdq(ComputationGraph graph, InputType input, Path file) throws IOException {
        write(qdq(graph, input), file);
    }

    /** Writes {@code net} as a float model, its quantizers left out. */
    public static void exportFloat(MultiLayerNetwork net, InputType input, Path file) throws IOException {
        write(floatModel(net, input), file);
    }

    /** {@link #exportFloat(MultiLayerNetwork, InputType, Path)} for a graph with one input and one output. */
    public static void exportFloat(ComputationGraph graph, InputType input, Path file) throws IOException {
        write(floatModel(graph, input), file);
    }

    static ModelProto qdq(MultiLayerNetwork net, InputType input) {
        return new Walk(input, true).run(NetworkNodes.of(net, input));
    }

    static ModelProto qdq(ComputationGraph graph, InputType input) {
        return new Walk(input, true).run(NetworkNodes.of(graph, input));
    }

    static ModelProto floatModel(MultiLayerNetwork net, InputType input) {
        return new Walk(input, false).run(NetworkNodes.of(net, input));
    }

    static ModelProto floatModel(ComputationGraph graph, InputType input) {
        return new Walk(input, false).run(NetworkNodes.of(graph, input));
    }

    private static void write(ModelProto model, Path file) throws IOException {
        Files.write(file, model.toByteArray());
    }

    /** The per-tensor quantization of an activation, and the initializers that hold it. */
    private record Quant(float scale, int zeroPoint, int qmin, int qmax, String scaleName, String zeroPointName) {}

    /** A DL4J activation in the ONNX graph: float ({@code quant == null}) or uint8 with its quantization. */
    private record Value(String name, Quant quant) {}

    private static final class Walk {
        private final InputType inputType;
        private final boolean quantized;
        private final GraphProto.Builder graph = GraphProto.newBuilder().setName("qat4j");
        private final Set<String> names = new HashSet<>(List.of(INPUT, OUTPUT));
        private final Map<String, Value> values = new HashMap<>();
        private NetworkNodes network;

        Walk(InputType inputType, boolean quantized) {
            this.inputType = inputType;
            this.quantized = quantized;
        }

        ModelProto run(NetworkNodes network) {
            this.network = network;
            values.put(network.input(), new Value(INPUT, null));
            Node last = null;
            for (Node n : network.nodes()) {
                values.put(n.name(), visit(n));
                last = n;
            }
            if (last == null) {
                throw new IllegalArgumentException("the network has no layers");
            }
            Node out = network.nodes().stream()
                    .filter(n -> n.name().equals(network.output()))
                    .findFirst()
                    .orElse(last);
            nameOutput(floatOf(values.get(network.output())));
            graph.addInput(valueInfo(INPUT, inputDims(inputType)));
            graph.addOutput(valueInfo(OUTPUT, dims(out.outType(), out)));
            String form = quantized ? "qdq" : "float";
            return ModelProto.newBuilder()
                    .setIrVersion(IR_VERSION)
                    .addOpsetImport(
                            OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                    .setProducerName("qat4j")
                    .setProducerVersion(version())
                    .setDocString(
                            quantized
                                    ? "QAT network in QDQ form: uint8 activations, int8 per-channel weights"
                                    : "QAT network in float, fake quantization off")
                    .addMetadataProps(StringStringEntryProto.newBuilder()
                            .setKey("qat4j.form")
                            .setValue(form))
                    .setGraph(graph)
                    .build();
        }

        private Value visit(Node n) {
            var conf = n.conf();
            if (conf instanceof FakeQuantLayer) {
                Value in = input(n);
                if (!quantized) {
                    return in;
                }
                Quant q = quantization(n);
                String x = floatOf(in);
                if (q.qmin() != 0 || q.qmax() != 255) {
                    // Fewer than 8 bits: QuantizeLinear saturates to [0, 255] only, so clip to [qmin, qmax] first.
                    x = node(
                            "Clip",
                            n.name() + "_clip",
                            List.of(
                                    x,
                                    floatScalar(n.name() + "_clip_min", q.scale() * (q.qmin() - q.zeroPoint())),
                                    floatScalar(n.name() + "_clip_max", q.scale() * (q.qmax() - q.zeroPoint()))));
                }
                return quantize(x, q, n.name());
            }
            if (conf instanceof SeparableConvolution2D) {
                throw unsupported(n, "export a separable convolution as a depthwise and a pointwise convolution");
            }
            if (conf instanceof ConvolutionLayer || conf instanceof DenseLayer || conf instanceof OutputLayer) {
                return weightLayer(n, (BaseLayer) conf);
            }
            if (n.vertex() instanceof ElementWiseVertex) {
                return elementWise(n, ((ElementWiseVertex) n.vertex()).getOp());
            }
            if (conf instanceof ActivationLayer) {
                IActivation a = ((ActivationLayer) conf).getActivationFn();
                Value in = input(n);
                if (in.quant() != null
                        && (a instanceof ActivationReLU
                                || a instanceof ActivationReLU6
                                || a instanceof ActivationIdentity)) {
                    // On the quantized grid, as the int8 runtime clamps: requantize with the input's parameters.
                    return sameQuantization(in, f -> activation(n, f, a));
                }
                return new Value(activation(n, floatOf(in), a), null);
            }
            if (conf instanceof DropoutLayer) {
                return input(n);
            }
            if (conf instanceof BatchNormalization) {
                return batchNorm(n, (BatchNormalization) conf);
            }
            if (conf instanceof SubsamplingLayer) {
                return pooling(n, (SubsamplingLayer) conf);
            }
            if (conf instanceof GlobalPoolingLayer) {
                GlobalPoolingLayer g = (GlobalPoolingLayer) conf;
                if (g.getPoolingType() != PoolingType.AVG && g.getPoolingType() != PoolingType.MAX) {
                    throw unsupported(n, "only average and max global pooling are supported");
                }
                if (!(n.inType() instanceof InputType.InputTypeConvolutional)) {
                    throw unsupported(n, "global pooling is supported over 2D (CNN) activations only");
                }
                String op = g.getPoolingType() == PoolingType.AVG ? "GlobalAveragePool" : "GlobalMaxPool";
                Value pooled = g.getPoolingType() == PoolingType.AVG
                        ? average(n, f -> node(op, n.name(), List.of(f)))
                        : sameQuantization(input(n), f -> node(op, n.name(), List.of(f)));
                return g.isCollapseDimensions() ? sameQuantization(pooled, f -> flatten(n, f)) : pooled;
            }
            throw unsupported(n, "no ONNX op for it");
        }

        /** Conv or Gemm, with its activation; in QDQ form, int8 weights and an int32 bias behind DequantizeLinear. */
        private Value weightLayer(Node n, BaseLayer conf) {
            Value in = input(n);
            boolean dense = !(conf instanceof ConvolutionLayer);
            boolean depthwise = conf instanceof DepthwiseConvolution2D;
            Weights w = weights(n, conf);
            long[] ws = w.dl4jShape;
            int[] perm;
            long[] dims;
            if (dense) {
                dims = new long[] {ws[1], ws[0]};
                perm = permutation(dims, i -> i[1] * ws[1] + i[0]);
            } else if (depthwise) {
                dims = new long[] {ws[2] * ws[3], 1, ws[0], ws[1]};
                perm = permutation(dims, i -> (i[2] * ws[1] + i[3]) * (ws[2] * ws[3]) + i[0]);
            } else {
                dims = ws.clone();
                perm = null;
            }
            int channels = (int) dims[0];
            String x;
            String weight;
            String bias = null;
            if (quantized) {
                if (in.quant() == null) {
                    throw unsupported(n, "its input is not quantized: put a quantizer before it (Qat.prepare does)");
                }
                if (w.codes == null) {
                    throw unsupported(n, "it has float weights (not a QAT layer); export the network with exportFloat");
                }
                x = dequantize(in);
                boolean perChannel = w.scale.length > 1;
                long[] scaleDims = perChannel ? new long[] {channels} : new long[0];
                String scale = floatTensor(n.name() + "_w_scale", scaleDims, w.scale);
                String zero = initializer(
                        n.name() + "_w_zero_point", TensorProto.DataType.INT8, scaleDims, new byte[w.scale.length]);
                String codes =
                        initializer(n.name() + "_w_quantized", TensorProto.DataType.INT8, dims, permute(w.codes, perm));
                weight = node(
                        "DequantizeLinear",
                        n.name() + "_w",
                        List.of(codes, scale, zero),
                        perChannel ? new AttributeProto[] {attr("axis", 0)} : new AttributeProto[0]);
                float[] biasScale = new float[w.scale.length];
                int[] biasCodes = new int[channels];
                for (int c = 0; c < channels; c++) {
                    float sw = w.scale[perChannel ? c : 0];
                    biasScale[perChannel ? c : 0] = (float) ((double) in.quant().scale() * sw);
                    biasCodes[c] = Requantization.biasToInt32(
                            w.bias == null ? 0 : w.bias[c], in.quant().scale(), sw);
                }
                String bScale = floatTensor(n.name() + "_b_scale", scaleDims, biasScale);
                String bZero = initializer(
                        n.name() + "_b_zero_point",
                        TensorProto.DataType.INT32,
                        scaleDims,
                        int32Bytes(new int[w.scale.length]));
                String bCodes = initializer(
                        n.name() + "_b_quantized",
                        TensorProto.DataType.INT32,
                        new long[] {channels},
                        int32Bytes(biasCodes));
                bias = node(
                        "DequantizeLinear",
                        n.name() + "_b",
                        List.of(bCodes, bScale, bZero),
                        perChannel ? new AttributeProto[] {attr("axis", 0)} : new AttributeProto[0]);
            } else {
                x = floatOf(in);
                weight = floatTensor(n.name() + "_W", dims, permute(w.values, perm));
                if (w.bias != null) {
                    bias = floatTensor(n.name() + "_b", new long[] {channels}, w.bias);
                }
            }
            List<String> inputs = bias == null ? List.of(x, weight) : List.of(x, weight, bias);
            String y;
            if (dense) {
                if (!(n.pre() == null ? n.inType() : n.pre().getOutputType(n.inType()))
                        .getType()
                        .equals(InputType.Type.FF)) {
                    throw unsupported(n, "a dense layer must read a flat [n, features] input");
                }
                y = node("Gemm", n.name(), inputs, attr("transB", 1));
            } else {
                ConvolutionLayer c = (ConvolutionLayer) conf;
                if (c.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
                    throw unsupported(n, "only NCHW convolutions are supported, got " + c.getCnn2dDataFormat());
                }
                if (c.getConvolutionMode() == ConvolutionMode.Causal) {
                    throw unsupported(n, "causal padding is not supported");
                }
                int[] dilation = c.getDilation() == null ? new int[] {1, 1} : c.getDilation();
                y = node(
                        "Conv",
                        n.name(),
                        inputs,
                        attr("kernel_shape", c.getKernelSize()),
                        attr("strides", c.getStride()),
                        attr(
                                "pads",
                                n.padding(
                                        c.getKernelSize(),
                                        c.getStride(),
                                        c.getPadding(),
                                        dilation,
                                        c.getConvolutionMode())),
                        attr("dilations", dilation),
                        attr("group", depthwise ? ws[2] : 1));
            }
            return new Value(activation(n, y, conf.getActivationFn()), null);
        }

        /** The weights of a layer in DL4J's layout, as integer codes and scales (QAT layer) or floats. */
        private record Weights(long[] dl4jShape, float[] values, byte[] codes, float[] scale, float[] bias) {}

        private Weights weights(Node n, BaseLayer conf) {
            if (conf instanceof QatWeightLayer) {
                QatWeightLayer q = (QatWeightLayer) conf;
                ExportedWeights e;
                try {
                    e = ExportedWeights.of(n.layer());
                } catch (IllegalArgumentException ex) {
                    throw unsupported(n, ex.getMessage());
                }
                float[] scale = Tensors.toFloats(e.scale());
                byte[] codes = null;
                if (quantized) {
                    if (!q.getWeightQuant().spec(0).exportable()) {
                        throw unsupported(
                                n,
                                "its weights were trained at "
                                        + q.getWeightQuant().getBits() + " bits; int8 export takes "
                                        + QuantSpec.MAX_BITS + " or fewer");
                    }
                    codes = Int8Exporter.quantizedWeights(q, e.weight(), scale);
                }
                return new Weights(
                        e.weight().shape(), Tensors.toFloats(e.weight()), codes, scale, Tensors.toFloats(e.bias()));
            }
            INDArray w = n.layer().getParam("W");
            INDArray b = n.layer().paramTable().get("b");
            return new Weights(w.shape(), Tensors.toFloats(w), null, null, b == null ? null : Tensors.toFloats(b));
        }

        private Value pooling(Node n, SubsamplingLayer s) {
            if (s.getPoolingType() != PoolingType.MAX && s.getPoolingType() != PoolingType.AVG) {
                throw unsupported(n, "only max and average pooling are supported");
            }
            if (s.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
                throw unsupported(n, "only NCHW pooling is supported, got " + s.getCnn2dDataFormat());
            }
            int[] dilation = s.getDilation() == null ? new int[] {1, 1} : s.getDilation();
            int[] pads = n.padding(s.getKernelSize(), s.getStride(), s.getPadding(), dilation, s.getConvolutionMode());
            boolean max = s.getPoolingType() == PoolingType.MAX;
            if (!max && (dilation[0] != 1 || dilation[1] != 1)) {
                throw unsupported(n, "dilated average pooling has no opset-13 ONNX op");
            }
            List<AttributeProto> attrs = new ArrayList<>(List.of(
                    attr("kernel_shape", s.getKernelSize()), attr("strides", s.getStride()), attr("pads", pads)));
            if (max) {
                attrs.add(attr("dilations", dilation));
            } else {
                attrs.add(attr("count_include_pad", s.isAvgPoolIncludePadInDivisor() ? 1 : 0));
            }
            java.util.function.UnaryOperator<String> op = f ->
                    node(max ? "MaxPool" : "AveragePool", n.name(), List.of(f), attrs.toArray(new AttributeProto[0]));
            return max ? sameQuantization(input(n), op) : average(n, op);
        }

        /**
         * An average pool: in float when a quantizer follows it (the QAT network gave its mean a grid of
         * its own), else on its input's quantization.
         */
        private Value average(Node n, java.util.function.UnaryOperator<String> op) {
            return network.quantizedAfter(n.name())
                    ? new Value(op.apply(floatOf(input(n))), null)
                    : sameQuantization(input(n), op);
        }

        /** A BatchNorm that was not folded into a convolution: inference-mode BatchNormalization, in float. */
        private Value batchNorm(Node n, BatchNormalization bn) {
            Map<String, INDArray> params = n.layer().paramTable();
            if (!params.containsKey(BatchNormalizationParamInitializer.GAMMA)) {
                throw unsupported(n, "BatchNorm with locked gamma and beta is not supported");
            }
            if (n.outType() instanceof InputType.InputTypeConvolutional && bn.getCnn2DFormat() != CNN2DFormat.NCHW) {
                throw unsupported(n, "only NCHW BatchNorm is supported, got " + bn.getCnn2DFormat());
            }
            float[] var;
            if (bn.isUseLogStd()) {
                // DL4J keeps log10(sqrt(var + eps)).
                float[] logStd = Tensors.toFloats(params.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD));
                var = new float[logStd.length];
                for (int c = 0; c < var.length; c++) {
                    var[c] = (float) (Math.pow(10, 2.0 * logStd[c]) - bn.getEps());
                }
            } else {
                var = Tensors.toFloats(params.get(BatchNormalizationParamInitializer.GLOBAL_VAR));
            }
            long[] dims = {var.length};
            List<String> inputs = new ArrayList<>(List.of(floatOf(input(n))));
            for (String key : List.of(
                    BatchNormalizationParamInitializer.GAMMA,
                    BatchNormalizationParamInitializer.BETA,
                    BatchNormalizationParamInitializer.GLOBAL_MEAN)) {
                inputs.add(floatTensor(n.name() + "_" + key, dims, Tensors.toFloats(params.get(key))));
            }
            inputs.add(floatTensor(n.name() + "_var", dims, var));
            // No activation: DL4J's BatchNorm layer does not apply its (inherited, often sigmoid) activation function.
            return new Value(node("BatchNormalization", n.name(), inputs, attr("epsilon", (float) bn.getEps())), null);
        }

        private Value elementWise(Node n, ElementWiseVertex.Op op) {
            List<String> in = new ArrayList<>();
            for (int i = 0; i < n.inputs().size(); i++) {
                in.add(floatOf(value(n, i)));
            }
            String onnx = switch (op) {
                case Add -> in.size() == 2 ? "Add" : "Sum";
                case Subtract -> "Sub";
                case Product -> in.size() == 2 ? "Mul" : null;
                case Max -> "Max";
                case Average -> "Mean";
                default -> null;
            };
            if (onnx == null) {
                throw unsupported(n, "no ONNX op for element-wise " + op + " of " + in.size() + " inputs");
            }
            return new Value(node(onnx, n.name(), in), null);
        }

        /** The node's first input with its preprocessor applied. */
        private Value input(Node n) {
            Value v = value(n, 0);
            if (n.pre() == null) {
                return v;
            }
            if (n.pre() instanceof CnnToFeedForwardPreProcessor) {
                return sameQuantization(v, f -> flatten(n, f));
            }
            if (n.pre() instanceof FeedForwardToCnnPreProcessor) {
                FeedForwardToCnnPreProcessor p = (FeedForwardToCnnPreProcessor) n.pre();
                String shape = initializer(
                        n.name() + "_shape",
                        TensorProto.DataType.INT64,
                        new long[] {4},
                        int64Bytes(-1, p.getNumChannels(), p.getInputHeight(), p.getInputWidth()));
                return sameQuantization(v, f -> node("Reshape", n.name() + "_reshape", List.of(f, shape)));
            }
            throw unsupported(n, "its input preprocessor " + n.pre().getClass().getSimpleName() + " has no ONNX op");
        }

        private Value value(Node n, int input) {
            Value v = values.get(n.inputs().get(input));
            if (v == null) {
                throw unsupported(n, "its input \"" + n.inputs().get(input) + "\" has not been exported");
            }
            return v;
        }

        private String flatten(Node n, String f) {
            return node("Flatten", n.name() + "_flatten", List.of(f), attr("axis", 1));
        }

        /**
         * {@code op} applied to a value; on a quantized value, between a DequantizeLinear and a
         * QuantizeLinear with the value's own quantization (which engines drop around ops that only
         * move or select values).
         */
        private Value sameQuantization(Value v, java.util.function.UnaryOperator<String> op) {
            if (v.quant() == null) {
                return new Value(op.apply(v.name()), null);
            }
            String y = op.apply(dequantize(v));
            return quantize(y, v.quant(), y);
        }

        /** The op for an activation function applied to float {@code x}; {@code x} itself for identity. */
        private String activation(Node n, String x, IActivation a) {
            if (a instanceof ActivationIdentity) {
                return x;
            } else if (a instanceof ActivationReLU) {
                ActivationReLU r = (ActivationReLU) a;
                if ((r.getMax() != null && r.getMax() != 0)
                        || (r.getThreshold() != null && r.getThreshold() != 0)
                        || (r.getNegativeSlope() != null && r.getNegativeSlope() != 0)) {
                    throw unsupported(n, "ReLU with a max, threshold or negative slope is not supported");
                }
                return node("Relu", n.name() + "_relu", List.of(x));
            } else if (a instanceof ActivationReLU6) {
                return node(
                        "Clip",
                        n.name() + "_relu6",
                        List.of(x, floatScalar(n.name() + "_min", 0f), floatScalar(n.name() + "_max", 6f)));
            } else if (a instanceof ActivationSoftmax) {
                return node("Softmax", n.name() + "_softmax", List.of(x), attr("axis", 1));
            } else if (a instanceof ActivationSigmoid) {
                return node("Sigmoid", n.name() + "_sigmoid", List.of(x));
            } else if (a instanceof ActivationTanH) {
                return node("Tanh", n.name() + "_tanh", List.of(x));
            } else if (a instanceof ActivationLReLU) {
                return node("LeakyRelu", n.name() + "_lrelu", List.of(x), attr("alpha", (float)
                        ((ActivationLReLU) a).getAlpha()));
            }
            throw unsupported(
                    n,
                    "activation " + a + " has no ONNX op here (identity, ReLU, ReLU6, softmax, "
                            + "sigmoid, tanh, leaky ReLU)");
        }

        private Quant quantization(Node n) {
            QuantSpec spec = ((FakeQuantLayer) n.conf()).getQuant().spec(-1);
            if (!spec.exportable() || spec.signed()) {
                throw unsupported(
                        n,
                        "QDQ export takes unsigned activations of at most " + QuantSpec.MAX_BITS + " bits, got "
                                + spec);
            }
            // The scale as FakeQuantLayer uses it, clamped should learning have pushed it below the minimum.
            float scale = Math.max(n.layer().getParam(FakeQuantLayer.SCALE).getFloat(0), QuantSpec.MIN_SCALE);
            int zeroPoint = (int) n.layer().getParam(FakeQuantLayer.ZERO_POINT).getDouble(0);
            String s = floatScalar(n.name() + "_scale", scale);
            String z = initializer(
                    n.name() + "_zero_point", TensorProto.DataType.UINT8, new long[0], new byte[] {(byte) zeroPoint});
            return new Quant(scale, zeroPoint, spec.qmin(), spec.qmax(), s, z);
        }

        private Value quantize(String x, Quant q, String hint) {
            return new Value(node("QuantizeLinear", hint + "_q", List.of(x, q.scaleName(), q.zeroPointName())), q);
        }

        private String dequantize(Value v) {
            return node(
                    "DequantizeLinear",
                    v.name() + "_dq",
                    List.of(v.name(), v.quant().scaleName(), v.quant().zeroPointName()));
        }

        private String floatOf(Value v) {
            return v.quant() == null ? v.name() : dequantize(v);
        }

        /** Renames the op that computes {@code x} to write {@link #OUTPUT}; an Identity if anything else reads it. */
        private void nameOutput(String x) {
            boolean read = graph.getNodeList().stream()
                    .anyMatch(node -> node.getInputList().contains(x));
            for (NodeProto.Builder node : graph.getNodeBuilderList()) {
                if (!read && node.getOutputCount() == 1 && node.getOutput(0).equals(x)) {
                    node.setOutput(0, OUTPUT);
                    return;
                }
            }
            graph.addNode(NodeProto.newBuilder()
                    .setOpType("Identity")
                    .setName(OUTPUT)
                    .addInput(x)
                    .addOutput(OUTPUT));
        }

        private String fresh(String hint) {
            String name = hint;
            for (int i = 1; !names.add(name); i++) {
                name = hint + "_" + i;
            }
            return name;
        }

        private String node(String op, String hint, List<String> inputs, AttributeProto... attributes) {
            String out = fresh(hint);
            graph.addNode(NodeProto.newBuilder()
                    .setOpType(op)
                    .setName(out)
                    .addAllInput(inputs)
                    .addOutput(out)
                    .addAllAttribute(List.of(attributes)));
            return out;
        }

        private String initializer(String hint, TensorProto.DataType type, long[] dims, byte[] raw) {
            String name = fresh(hint);
            TensorProto.Builder t = TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(type.getNumber())
                    .setRawData(ByteString.copyFrom(raw));
            for (long d : dims) {
                t.addDims(d);
            }
            graph.addInitializer(t);
            return name;
        }

        private String floatTensor(String hint, long[] dims, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return initializer(hint, TensorProto.DataType.FLOAT, dims, b.array());
        }

        private String floatScalar(String hint, float value) {
            return floatTensor(hint, new long[0], new float[] {value});
        }

        private static IllegalArgumentException unsupported(Node n, String why) {
            String type = n.conf() != null
                    ? n.conf().getClass().getSimpleName()
                    : n.vertex().getClass().getSimpleName();
            return new IllegalArgumentException("cannot export \"" + n.name() + "\" (" + type + ") to ONNX: " + why);
        }
    }

    private static byte[] int32Bytes(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return b.array();
    }

    private static byte[] int64Bytes(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return b.array();
    }

    @FunctionalInterface
    private interface SourceIndex {
        /** The row-major DL4J offset of the element at ONNX index {@code i}. */
        long of(long[] i);
    }

    /** For each row-major index of a tensor of shape {@code dims}, the index it is read from. */
    private static int[] permutation(long[] dims, SourceIndex source) {
        long size = 1;
        for (long d : dims) {
            size *= d;
        }
        int[] perm = new int[Math.toIntExact(size)];
        long[] i = new long[dims.length];
        for (int flat = 0; flat < perm.length; flat++) {
            perm[flat] = Math.toIntExact(source.of(i));
            for (int d = dims.length - 1; d >= 0 && ++i[d] == dims[d]; d--) {
                i[d] = 0;
            }
        }
        return perm;
    }

    private static float[] permute(float[] src, int[] perm) {
        if (perm == null) {
            return src;
        }
        float[] dst = new float[src.length];
        for (int k = 0; k < dst.length; k++) {
            dst[k] = src[perm[k]];
        }
        return dst;
    }

    private static byte[] permute(byte[] src, int[] perm) {
        if (perm == null) {
            return src;
        }
        byte[] dst = new byte[src.length];
        for (int k = 0; k < dst.length; k++) {
            dst[k] = src[perm[k]];
        }
        return dst;
    }

    private static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INT)
                .setI(value)
                .build();
    }

    private static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.FLOAT)
                .setF(value)
                .build();
    }

    private static AttributeProto attr(String name, int[] values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (int v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private static ValueInfoProto valueInfo(String name, long[] dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(
                    d < 0
                            ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                            : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(TensorProto.DataType.FLOAT.getNumber())
                                .setShape(shape)))
                .build();
    }

    /** Dimensions of the graph input, batch first ({@code -1}), as DL4J takes it. */
    private static long[] inputDims(InputType t) {
        if (t instanceof InputType.InputTypeConvolutionalFlat) {
            var c = (InputType.InputTypeConvolutionalFlat) t;
            return new long[] {-1, c.getDepth() * c.getHeight() * c.getWidth()};
        }
        return dims(t, null);
    }

    private static long[] dims(InputType t, Node n) {
        if (t instanceof InputType.InputTypeConvolutional) {
            var c = (InputType.InputTypeConvolutional) t;
            if (c.getFormat() != CNN2DFormat.NCHW) {
                throw new IllegalArgumentException("only NCHW input is supported, got " + c.getFormat());
            }
            return new long[] {-1, c.getChannels(), c.getHeight(), c.getWidth()};
        } else if (t instanceof InputType.InputTypeFeedForward) {
            return new long[] {-1, ((InputType.InputTypeFeedForward) t).getSize()};
        }
        throw new IllegalArgumentException("input type " + t + (n == null ? "" : " of \"" + n.name() + "\"")
                + " is not supported for ONNX export");
    }

    private static String version() {
        String v = OnnxExporter.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}

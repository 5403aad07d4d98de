package io.github.qat4j.layers.export;

import io.github.qat4j.layers.FakeQuantLayer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A network's layers and vertices in execution order, each with what it reads: the one walk that
 * the exporters ({@link Int8Exporter}, {@link OnnxExporter}) turn into ops.
 *
 * @param nodes  every layer or non-input vertex, in an order where a node comes after what it reads
 * @param input  the name the first node reads the network input by
 * @param output the node whose output is the network output
 */
record NetworkNodes(List<Node> nodes, String input, String output) {
    /** The input's name in a {@link MultiLayerNetwork}, which has none of its own. */
    static final String INPUT = "input";

    static NetworkNodes of(MultiLayerNetwork net, InputType input) {
        List<InputType> types = net.getLayerWiseConfigurations().getLayerActivationTypes(input);
        List<Node> nodes = new ArrayList<>();
        String previous = INPUT;
        InputType previousType = input;
        for (int i = 0; i < net.getnLayers(); i++) {
            Layer layer = net.getLayer(i);
            String name = layer.conf().getLayer().getLayerName() != null
                    ? layer.conf().getLayer().getLayerName()
                    : "layer" + i;
            nodes.add(new Node(
                    name,
                    layer,
                    null,
                    List.of(previous),
                    net.getLayerWiseConfigurations().getInputPreProcess(i),
                    previousType,
                    types.get(i)));
            previous = name;
            previousType = types.get(i);
        }
        return new NetworkNodes(nodes, INPUT, previous);
    }

    /** @throws IllegalArgumentException unless the graph has one input and one output */
    static NetworkNodes of(ComputationGraph graph, InputType input) {
        var conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new IllegalArgumentException("only graphs with one input and one output can be exported, got "
                    + conf.getNetworkInputs() + " -> " + conf.getNetworkOutputs());
        }
        Map<String, InputType> types = new HashMap<>(conf.getLayerActivationTypes(false, false, input));
        types.put(conf.getNetworkInputs().get(0), input);
        List<Node> nodes = new ArrayList<>();
        for (int index : graph.topologicalSortOrder()) {
            String name = graph.getVertices()[index].getVertexName();
            if (conf.getNetworkInputs().contains(name)) {
                continue;
            }
            GraphVertex v = conf.getVertices().get(name);
            List<String> inputs = conf.getVertexInputs().get(name);
            InputPreProcessor pre = v instanceof LayerVertex ? ((LayerVertex) v).getPreProcessor() : null;
            nodes.add(new Node(name, graph.getLayer(name), v, inputs, pre, types.get(inputs.get(0)), types.get(name)));
        }
        return new NetworkNodes(
                nodes, conf.getNetworkInputs().get(0), conf.getNetworkOutputs().get(0));
    }

    /**
     * Whether a {@link FakeQuantLayer} reads {@code name}'s output: for an average pool, whether the
     * QAT network quantized its mean to a grid of its own ({@code Qat.prepare} does since format
     * version 5) or left it on its input's.
     */
    boolean quantizedAfter(String name) {
        return nodes.stream()
                .anyMatch(n -> n.conf() instanceof FakeQuantLayer && n.inputs().contains(name));
    }

    /**
     * One layer or vertex. {@code layer} is null for a non-layer vertex, {@code vertex} null in a
     * {@link MultiLayerNetwork}; {@code inType} is the type of the first input before {@code pre}.
     */
    record Node(
            String name,
            Layer layer,
            GraphVertex vertex,
            List<String> inputs,
            InputPreProcessor pre,
            InputType inType,
            InputType outType) {
        org.deeplearning4j.nn.conf.layers.Layer conf() {
            return layer == null ? null : layer.conf().getLayer();
        }

        /**
         * Explicit {@code [top, left, bottom, right]} padding of a 2D convolution or pooling: the
         * configured one, or in {@link ConvolutionMode#Same} the one that gives DL4J's output size.
         */
        int[] padding(int[] kernel, int[] stride, int[] pad, int[] dilation, ConvolutionMode mode) {
            if (mode != ConvolutionMode.Same) {
                return new int[] {pad[0], pad[1], pad[0], pad[1]};
            }
            var in = (InputType.InputTypeConvolutional) (pre == null ? inType : pre.getOutputType(inType));
            var out = (InputType.InputTypeConvolutional) outType;
            long[] inSize = {in.getHeight(), in.getWidth()};
            long[] outSize = {out.getHeight(), out.getWidth()};
            int[] p = new int[4];
            for (int d = 0; d < 2; d++) {
                int effectiveKernel = kernel[d] + (kernel[d] - 1) * ((dilation == null ? 1 : dilation[d]) - 1);
                int total = (int) Math.max(0, (outSize[d] - 1) * stride[d] + effectiveKernel - inSize[d]);
                p[d] = total / 2; // top, left: DL4J (like TensorFlow) puts the odd pixel at the end
                p[d + 2] = total - total / 2; // bottom, right
            }
            return p;
        }
    }
}

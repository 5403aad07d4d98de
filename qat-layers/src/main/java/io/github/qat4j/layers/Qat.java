package io.github.qat4j.layers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a trained float network into a quantization-aware one, in one call:
 *
 * <pre>{@code
 * MultiLayerNetwork qat = Qat.prepare(floatNet, new QatConfig());   // int8 weights, uint8 activations
 * qat.fit(trainIterator, 1);                                         // ordinary DL4J fine-tuning
 * }</pre>
 *
 * <p>Dense, output, 2D and depthwise convolution layers become their QAT versions with the float
 * parameters copied in and the weight scales initialised from the weights; a {@link FakeQuantLayer}
 * quantizes the network input, the output of every quantized layer but the last, and (in a
 * {@link ComputationGraph}) the output of every element-wise add. Layers without parameters
 * (pooling, activation, dropout, ...) keep their float version: max pooling, ReLU and reshapes map
 * quantized values onto the same grid.
 */
public final class Qat {
    /** Suffix of the name of the quantizer placed after a layer or vertex. */
    public static final String QUANTIZER_SUFFIX = "_quant";

    private Qat() {
    }

    /** A QAT version of {@code net}; {@code net} itself is not modified. */
    public static MultiLayerNetwork prepare(MultiLayerNetwork net, QatConfig config) {
        MultiLayerConfiguration src = net.getLayerWiseConfigurations();
        MultiLayerConfiguration dst = MultiLayerConfiguration.fromJson(src.toJson());
        List<NeuralNetConfiguration> confs = new ArrayList<>();
        Map<Integer, InputPreProcessor> preProcessors = new HashMap<>();
        int[] newIndex = new int[src.getConfs().size()];
        confs.add(quantizerConf(dst.getConf(0), "input" + QUANTIZER_SUFFIX, config));
        for (int i = 0; i < newIndex.length; i++) {
            NeuralNetConfiguration c = dst.getConf(i);
            if (dst.getInputPreProcess(i) != null) {
                preProcessors.put(confs.size(), dst.getInputPreProcess(i));
            }
            newIndex[i] = confs.size();
            c.setLayer(convert(c.getLayer(), "layer " + i, config));
            confs.add(c);
            if (needsOutputQuantizer(c.getLayer())) {
                confs.add(quantizerConf(c, nameOf(c.getLayer(), i) + QUANTIZER_SUFFIX, config));
            }
        }
        confs.forEach(Qat::resetCounters);
        dst.setConfs(confs);
        dst.setInputPreProcessors(preProcessors);
        dst.setIterationCount(0);
        dst.setEpochCount(0);
        MultiLayerNetwork qat = new MultiLayerNetwork(dst);
        qat.init();
        for (int i = 0; i < newIndex.length; i++) {
            copyParams(net.getLayer(i), qat.getLayer(newIndex[i]));
        }
        return qat;
    }

    /** A QAT version of {@code graph}; {@code graph} itself is not modified. */
    public static ComputationGraph prepare(ComputationGraph graph, QatConfig config) {
        ComputationGraphConfiguration src = graph.getConfiguration();
        ComputationGraphConfiguration dst = ComputationGraphConfiguration.fromJson(src.toJson());
        Map<String, GraphVertex> vertices = new LinkedHashMap<>();
        Map<String, List<String>> inputs = new LinkedHashMap<>();
        Map<String, String> quantizedOutput = new HashMap<>();
        for (String in : dst.getNetworkInputs()) {
            addQuantizer(in, dst.getDefaultConfiguration(), config, vertices, inputs, quantizedOutput);
        }
        for (Map.Entry<String, GraphVertex> e : dst.getVertices().entrySet()) {
            String name = e.getKey();
            GraphVertex v = e.getValue();
            NeuralNetConfiguration base = dst.getDefaultConfiguration();
            if (v instanceof LayerVertex) {
                LayerVertex lv = (LayerVertex) v;
                base = lv.getLayerConf();
                base.setLayer(convert(base.getLayer(), "vertex \"" + name + "\"", config));
                v = new LayerVertex(base, lv.getPreProcessor());
            }
            vertices.put(name, v);
            inputs.put(name, dst.getVertexInputs().get(name));
            boolean add = v instanceof ElementWiseVertex && ((ElementWiseVertex) v).getOp() == ElementWiseVertex.Op.Add;
            if (add || (v instanceof LayerVertex && needsOutputQuantizer(((LayerVertex) v).getLayerConf().getLayer()))) {
                addQuantizer(name, base, config, vertices, inputs, quantizedOutput);
            }
        }
        // Consumers read the quantized output; a quantizer reads the original one.
        java.util.Set<String> quantizers = new java.util.HashSet<>(quantizedOutput.values());
        inputs.replaceAll((name, in) -> in == null || quantizers.contains(name) ? in
                : in.stream().map(x -> quantizedOutput.getOrDefault(x, x)).toList());
        vertices.values().stream().filter(v -> v instanceof LayerVertex)
                .forEach(v -> resetCounters(((LayerVertex) v).getLayerConf()));
        dst.setVertices(vertices);
        dst.setVertexInputs(inputs);
        dst.setTopologicalOrder(null);
        dst.setTopologicalOrderStr(null);
        dst.setIterationCount(0);
        dst.setEpochCount(0);
        ComputationGraph qat = new ComputationGraph(dst);
        qat.init();
        for (Layer l : graph.getLayers()) {
            copyParams(l, qat.getLayer(l.conf().getLayer().getLayerName()));
        }
        return qat;
    }

    /**
     * The QAT version of one float layer configuration, or the layer itself when it has no parameters
     * or is skipped. Also the way to write a QAT network by hand:
     * {@code Qat.quantize(new DenseLayer.Builder().nIn(800).nOut(500).build(), new QatConfig())}.
     *
     * @throws IllegalArgumentException for a layer with parameters that has no QAT version, unless the
     *     config keeps such layers in float
     */
    public static org.deeplearning4j.nn.conf.layers.Layer quantize(org.deeplearning4j.nn.conf.layers.Layer layer,
                                                                   QatConfig config) {
        return convert(layer, QatLayers.name(layer), config);
    }

    /**
     * Observes activation ranges on up to {@code batches} batches in inference mode (no dropout, no
     * weight update), as a calibration before fine-tuning or instead of it.
     */
    public static void calibrate(MultiLayerNetwork net, DataSetIterator data, int batches) {
        calibrate(net.getLayers(), () -> runBatches(data, batches, net::output));
    }

    /** {@link #calibrate(MultiLayerNetwork, DataSetIterator, int)} for a graph with one input. */
    public static void calibrate(ComputationGraph graph, DataSetIterator data, int batches) {
        calibrate(graph.getLayers(), () -> runBatches(data, batches, graph::outputSingle));
    }

    /** Turns every quantizer of the network on or off (PyTorch's {@code toggle_fake_quant}). */
    public static void setFakeQuantEnabled(Layer[] layers, boolean enabled) {
        for (QuantizerConfig q : quantizers(layers)) {
            q.setEnabled(enabled);
        }
    }

    /** The weight and activation quantizer configurations of the network's layers, live. */
    static List<QuantizerConfig> quantizers(Layer[] layers) {
        List<QuantizerConfig> out = new ArrayList<>();
        for (Layer l : layers) {
            org.deeplearning4j.nn.conf.layers.Layer c = l.conf().getLayer();
            if (c instanceof QatWeightLayer) {
                out.add(((QatWeightLayer) c).getWeightQuant());
            } else if (c instanceof FakeQuantLayer) {
                out.add(((FakeQuantLayer) c).getQuant());
            }
        }
        return out;
    }

    private static void calibrate(Layer[] layers, Runnable pass) {
        List<FakeQuantLayer.Impl> quantizers = new ArrayList<>();
        for (Layer l : layers) {
            if (l instanceof FakeQuantLayer.Impl) {
                quantizers.add((FakeQuantLayer.Impl) l);
            }
        }
        quantizers.forEach(q -> q.calibrating = true);
        try {
            pass.run();
        } finally {
            quantizers.forEach(q -> q.calibrating = false);
        }
    }

    private static void runBatches(DataSetIterator data, int batches, java.util.function.Function<INDArray, ?> out) {
        for (int b = 0; b < batches && data.hasNext(); b++) {
            out.apply(data.next().getFeatures());
        }
    }

    private static org.deeplearning4j.nn.conf.layers.Layer convert(org.deeplearning4j.nn.conf.layers.Layer layer,
                                                                   String where, QatConfig config) {
        Class<? extends org.deeplearning4j.nn.conf.layers.Layer> qat = QAT_VERSIONS.get(layer.getClass());
        if (config.isSkipped(layer.getLayerName())) {
            return layer;
        }
        if (qat == null) {
            if (layer.initializer().numParams(layer) == 0 || config.keepsUnsupportedInFloat()
                    || layer instanceof QatWeightLayer || layer instanceof FakeQuantLayer) {
                return layer;
            }
            throw new IllegalArgumentException(where + " (" + QatLayers.name(layer) + ", "
                    + layer.getClass().getSimpleName() + ") has parameters but no QAT version; supported: "
                    + QAT_VERSIONS.keySet().stream().map(Class::getSimpleName).sorted().toList()
                    + ". Skip it with QatConfig.skip(name) or keep such layers in float with "
                    + "QatConfig.keepUnsupportedInFloat(true)");
        }
        ObjectMapper mapper = NeuralNetConfiguration.mapper();
        try {
            ObjectNode node = mapper.valueToTree(layer);
            node.put("@class", qat.getName());
            node.set("weightQuant", mapper.valueToTree(config.weightsFor(layer.getLayerName())));
            BaseLayer converted = (BaseLayer) mapper.treeToValue(node, org.deeplearning4j.nn.conf.layers.Layer.class);
            if (config.updater() != null) {
                converted.setIUpdater(config.updater().clone());
                converted.setBiasUpdater(null);
            }
            return converted;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not convert " + where + " to " + qat.getSimpleName(), e);
        }
    }

    private static final Map<Class<?>, Class<? extends org.deeplearning4j.nn.conf.layers.Layer>> QAT_VERSIONS =
            Map.of(DenseLayer.class, QatDense.class,
                    OutputLayer.class, QatOutput.class,
                    ConvolutionLayer.class, QatConvolution2D.class,
                    DepthwiseConvolution2D.class, QatDepthwiseConvolution2D.class);

    private static boolean needsOutputQuantizer(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return layer instanceof QatWeightLayer && !(layer instanceof QatOutput);
    }

    private static NeuralNetConfiguration quantizerConf(NeuralNetConfiguration like, String name, QatConfig config) {
        NeuralNetConfiguration c = like.clone();
        c.setLayer(new FakeQuantLayer(name, config.activations()));
        return c;
    }

    private static void addQuantizer(String of, NeuralNetConfiguration like, QatConfig config,
                                     Map<String, GraphVertex> vertices, Map<String, List<String>> inputs,
                                     Map<String, String> quantizedOutput) {
        String name = of + QUANTIZER_SUFFIX;
        vertices.put(name, new LayerVertex(quantizerConf(like, name, config), null));
        inputs.put(name, List.of(of));
        quantizedOutput.put(of, name);
    }

    private static void resetCounters(NeuralNetConfiguration c) {
        c.clearVariables();
        c.setIterationCount(0);
        c.setEpochCount(0);
    }

    private static String nameOf(org.deeplearning4j.nn.conf.layers.Layer layer, int index) {
        return layer.getLayerName() != null ? layer.getLayerName() : "layer" + index;
    }

    /** Copies the float parameters, then sets weight scales from the copied weights. */
    private static void copyParams(Layer from, Layer to) {
        from.paramTable().forEach((key, value) -> to.setParam(key, value.dup()));
        org.deeplearning4j.nn.conf.layers.Layer conf = to.conf().getLayer();
        if (conf instanceof QatWeightLayer) {
            to.getParam(QatWeightLayer.SCALE_KEY).assign(WeightScales.initial((QatWeightLayer) conf, to.getParam("W")));
        }
    }
}

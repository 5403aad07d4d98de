package io.github.qat4j.layers.prepare;

import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.QatConvBatchNorm2D;
import io.github.qat4j.layers.QatConvolution2D;
import io.github.qat4j.layers.QatDense;
import io.github.qat4j.layers.QatDepthwiseConvBatchNorm2D;
import io.github.qat4j.layers.QatDepthwiseConvolution2D;
import io.github.qat4j.layers.QatLayers;
import io.github.qat4j.layers.QatOutput;
import io.github.qat4j.layers.QatSeparableConvolution2D;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.QuantizerConfig;
import io.github.qat4j.layers.WeightScales;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Turns a trained float network into a quantization-aware one, in one call:
 *
 * <pre>{@code
 * MultiLayerNetwork qat = Qat.prepare(floatNet, new QatConfig());   // int8 weights, uint8 activations
 * qat.fit(trainIterator, 1);                                         // ordinary DL4J fine-tuning
 * }</pre>
 *
 * <p>Dense, output, 2D, depthwise and separable convolution layers become their QAT versions with the
 * float parameters copied in and the weight scales initialised from the weights; a {@link FakeQuantLayer}
 * quantizes the network input, the output of every quantized layer but the last, of every average
 * pool, and (in a {@link ComputationGraph}) of every element-wise add. Layers without parameters
 * (pooling, activation, dropout, ...) keep their float version: max pooling, ReLU and reshapes map
 * quantized values onto the same grid.
 *
 * <p>A 2D or depthwise convolution with identity activation followed by a BatchNormalization that
 * alone reads its output becomes one {@link QatConvBatchNorm2D} or {@link QatDepthwiseConvBatchNorm2D}
 * that trains with the BatchNorm folded into its quantized weights; an ActivationLayer that alone reads
 * the BatchNorm's output becomes that layer's activation, so its quantizer sits after the activation.
 * The fused layer keeps the convolution's name. Any other BatchNorm is an error naming the reason,
 * unless the config keeps unsupported layers in float.
 */
public final class Qat {
    /** Suffix of the name of the quantizer placed after a layer or vertex. */
    public static final String QUANTIZER_SUFFIX = "_quant";

    private Qat() {}

    /** A QAT version of {@code net}; {@code net} itself is not modified. */
    public static MultiLayerNetwork prepare(MultiLayerNetwork net, QatConfig config) {
        MultiLayerConfiguration src = net.getLayerWiseConfigurations();
        MultiLayerConfiguration dst = MultiLayerConfiguration.fromJson(src.toJson());
        int n = src.getConfs().size();
        List<NeuralNetConfiguration> confs = new ArrayList<>();
        Map<Integer, InputPreProcessor> preProcessors = new HashMap<>();
        int[] newIndex = new int[n];
        Map<Integer, Integer> foldedBatchNorm = new HashMap<>();
        confs.add(quantizerConf(dst.getConf(0), "input" + QUANTIZER_SUFFIX, config));
        for (int i = 0; i < n; i++) {
            NeuralNetConfiguration c = dst.getConf(i);
            if (dst.getInputPreProcess(i) != null) {
                preProcessors.put(confs.size(), dst.getInputPreProcess(i));
            }
            newIndex[i] = confs.size();
            String where = "layer " + i;
            org.deeplearning4j.nn.conf.layers.Layer layer = src.getConf(i).getLayer();
            org.deeplearning4j.nn.conf.layers.Layer next = readsDirectly(src, i + 1);
            if (next instanceof BatchNormalization
                    && BatchNormFusion.whyNot(layer, (BatchNormalization) next, config) == null) {
                org.deeplearning4j.nn.conf.layers.Layer after = readsDirectly(src, i + 2);
                ActivationLayer activation = BatchNormFusion.absorbs(after, config) ? (ActivationLayer) after : null;
                c.setLayer(BatchNormFusion.fuse(
                        (ConvolutionLayer) layer, (BatchNormalization) next, activation, where, config));
                foldedBatchNorm.put(i, i + 1);
                int absorbed = activation == null ? 1 : 2;
                for (int j = 1; j <= absorbed; j++) {
                    newIndex[i + j] = -1;
                }
                i += absorbed;
            } else {
                if (layer instanceof BatchNormalization) {
                    BatchNormFusion.requireFolded(
                            where,
                            (BatchNormalization) layer,
                            i == 0
                                    ? "it is the first layer"
                                    : src.getInputPreProcess(i) != null
                                            ? "an input preprocessor sits before it"
                                            : BatchNormFusion.whyNot(
                                                    src.getConf(i - 1).getLayer(), (BatchNormalization) layer, config),
                            config);
                }
                c.setLayer(convert(c.getLayer(), where, config));
            }
            confs.add(c);
            if (needsOutputQuantizer(c.getLayer())) {
                // The quantizer goes after an activation layer that directly follows, so that the
                // int8 runtime can fuse the activation into the layer's output clamp.
                if (BatchNormFusion.absorbs(readsDirectly(src, i + 1), config)) {
                    i++;
                    newIndex[i] = confs.size();
                    c = dst.getConf(i);
                    confs.add(c);
                }
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
        for (int i = 0; i < n; i++) {
            Integer bn = foldedBatchNorm.get(i);
            if (bn != null) {
                BatchNormFusion.copyParams(net.getLayer(i), net.getLayer(bn), qat.getLayer(newIndex[i]));
            } else if (newIndex[i] >= 0) {
                copyParams(net.getLayer(i), qat.getLayer(newIndex[i]));
            }
        }
        return qat;
    }

    /**
     * The activation-layer vertex that is the only reader of {@code name} (and reads nothing else), or
     * {@code name} itself.
     */
    private static String fusableActivationAfter(ComputationGraphConfiguration conf, String name, QatConfig config) {
        List<String> readers = conf.getVertexInputs().entrySet().stream()
                .filter(e -> e.getValue() != null && e.getValue().contains(name))
                .map(Map.Entry::getKey)
                .toList();
        if (readers.size() != 1 || conf.getNetworkOutputs().contains(name)) {
            return name;
        }
        String reader = readers.get(0);
        GraphVertex v = conf.getVertices().get(reader);
        return v instanceof LayerVertex
                        && ((LayerVertex) v).getPreProcessor() == null
                        && conf.getVertexInputs().get(reader).size() == 1
                        && BatchNormFusion.absorbs(
                                ((LayerVertex) v).getLayerConf().getLayer(), config)
                ? reader
                : name;
    }

    /** Layer {@code i} of {@code conf} when it reads the layer before it unchanged (no preprocessor), else null. */
    private static org.deeplearning4j.nn.conf.layers.Layer readsDirectly(MultiLayerConfiguration conf, int i) {
        return i < conf.getConfs().size() && conf.getInputPreProcess(i) == null
                ? conf.getConf(i).getLayer()
                : null;
    }

    /** A QAT version of {@code graph}; {@code graph} itself is not modified. */
    public static ComputationGraph prepare(ComputationGraph graph, QatConfig config) {
        ComputationGraphConfiguration src = graph.getConfiguration();
        ComputationGraphConfiguration dst = ComputationGraphConfiguration.fromJson(src.toJson());
        Map<String, Fold> folds = planFolds(src, config);
        Map<String, String> foldedInto = new HashMap<>();
        folds.forEach((conv, f) -> f.absorbed().forEach(name -> foldedInto.put(name, conv)));
        Map<String, GraphVertex> vertices = new LinkedHashMap<>();
        Map<String, List<String>> inputs = new LinkedHashMap<>();
        Map<String, String> quantizedOutput = new HashMap<>();
        List<String> quantized = new ArrayList<>();
        for (String in : dst.getNetworkInputs()) {
            addQuantizer(in, dst.getDefaultConfiguration(), config, vertices, inputs, quantizedOutput);
        }
        for (Map.Entry<String, GraphVertex> e : dst.getVertices().entrySet()) {
            String name = e.getKey();
            if (foldedInto.containsKey(name)) {
                continue;
            }
            GraphVertex v = e.getValue();
            NeuralNetConfiguration base = dst.getDefaultConfiguration();
            if (v instanceof LayerVertex) {
                LayerVertex lv = (LayerVertex) v;
                base = lv.getLayerConf();
                String where = "vertex \"" + name + "\"";
                Fold fold = folds.get(name);
                base.setLayer(
                        fold == null
                                ? convert(base.getLayer(), where, config)
                                : BatchNormFusion.fuse(
                                        (ConvolutionLayer) base.getLayer(),
                                        fold.batchNorm(src),
                                        fold.activation(src),
                                        where,
                                        config));
                v = new LayerVertex(base, lv.getPreProcessor());
            }
            vertices.put(name, v);
            inputs.put(name, dst.getVertexInputs().get(name));
            boolean add = v instanceof ElementWiseVertex && ((ElementWiseVertex) v).getOp() == ElementWiseVertex.Op.Add;
            if (add
                    || (v instanceof LayerVertex
                            && needsOutputQuantizer(
                                    ((LayerVertex) v).getLayerConf().getLayer()))) {
                quantized.add(name);
            }
        }
        // A quantizer goes after the output of each such vertex, or after the activation layer that
        // is its only reader, so that the int8 runtime can fuse the activation into the output clamp.
        for (String name : quantized) {
            String after = fusableActivationAfter(dst, name, config);
            GraphVertex v = vertices.get(after);
            addQuantizer(
                    after,
                    v instanceof LayerVertex ? ((LayerVertex) v).getLayerConf() : dst.getDefaultConfiguration(),
                    config,
                    vertices,
                    inputs,
                    quantizedOutput);
        }
        // What read a folded BatchNorm (or the activation absorbed after it) reads the fused layer;
        // consumers read the quantized output; a quantizer reads the original one.
        java.util.Set<String> quantizers = new java.util.HashSet<>(quantizedOutput.values());
        inputs.replaceAll((name, in) -> in == null
                ? null
                : in.stream()
                        .map(x -> foldedInto.getOrDefault(x, x))
                        .map(x -> quantizers.contains(name) ? x : quantizedOutput.getOrDefault(x, x))
                        .toList());
        vertices.values().stream()
                .filter(v -> v instanceof LayerVertex)
                .forEach(v -> resetCounters(((LayerVertex) v).getLayerConf()));
        dst.setVertices(vertices);
        dst.setVertexInputs(inputs);
        dst.setNetworkOutputs(new ArrayList<>(dst.getNetworkOutputs().stream()
                .map(x -> foldedInto.getOrDefault(x, x))
                .toList()));
        dst.setTopologicalOrder(null);
        dst.setTopologicalOrderStr(null);
        dst.setIterationCount(0);
        dst.setEpochCount(0);
        ComputationGraph qat = new ComputationGraph(dst);
        qat.init();
        for (Layer l : graph.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            Fold fold = folds.get(name);
            if (fold != null) {
                BatchNormFusion.copyParams(l, graph.getLayer(fold.batchNorm()), qat.getLayer(name));
            } else if (!foldedInto.containsKey(name)) {
                copyParams(l, qat.getLayer(name));
            }
        }
        return qat;
    }

    /**
     * A BatchNorm vertex folded into the convolution vertex it reads, and the activation vertex
     * absorbed after it (or null).
     */
    private record Fold(String batchNorm, String activation) {
        List<String> absorbed() {
            return activation == null ? List.of(batchNorm) : List.of(batchNorm, activation);
        }

        BatchNormalization batchNorm(ComputationGraphConfiguration g) {
            return (BatchNormalization) layerOf(g, batchNorm);
        }

        ActivationLayer activation(ComputationGraphConfiguration g) {
            return activation == null ? null : (ActivationLayer) layerOf(g, activation);
        }
    }

    /**
     * The folds of a graph, by convolution vertex: every BatchNorm vertex that reads a foldable
     * convolution's output alone, with the activation vertex that alone reads the BatchNorm's. A
     * BatchNorm that cannot fold is an error here unless the config keeps it in float.
     */
    private static Map<String, Fold> planFolds(ComputationGraphConfiguration g, QatConfig config) {
        Map<String, List<String>> consumers = new HashMap<>();
        g.getVertexInputs()
                .forEach((name, in) -> in.forEach(x ->
                        consumers.computeIfAbsent(x, k -> new ArrayList<>()).add(name)));
        Map<String, Fold> folds = new HashMap<>();
        for (String name : g.getVertices().keySet()) {
            if (!(layerOf(g, name) instanceof BatchNormalization)) {
                continue;
            }
            BatchNormalization bn = (BatchNormalization) layerOf(g, name);
            List<String> in = g.getVertexInputs().get(name);
            String conv = in.size() == 1 ? in.get(0) : null;
            String why = conv == null
                    ? "it reads " + in.size() + " vertices"
                    : BatchNormFusion.whyNot(layerOf(g, conv), bn, config);
            if (why == null && ((LayerVertex) g.getVertices().get(name)).getPreProcessor() != null) {
                why = "it has an input preprocessor";
            } else if (why == null && readElsewhere(g, conv, consumers)) {
                why = "the output of \"" + conv + "\" is also read elsewhere";
            }
            if (why != null) {
                BatchNormFusion.requireFolded("vertex \"" + name + "\"", bn, why, config);
                continue;
            }
            String next = readElsewhere(g, name, consumers)
                    ? null
                    : consumers.get(name).get(0);
            boolean absorb = next != null
                    && ((LayerVertex) g.getVertices().get(next)).getPreProcessor() == null
                    && BatchNormFusion.absorbs(layerOf(g, next), config);
            folds.put(conv, new Fold(name, absorb ? next : null));
        }
        return folds;
    }

    /** Whether anything but one layer vertex reads {@code name}'s output (a network output counts). */
    private static boolean readElsewhere(
            ComputationGraphConfiguration g, String name, Map<String, List<String>> consumers) {
        List<String> readers = consumers.getOrDefault(name, List.of());
        return readers.size() != 1
                || g.getNetworkOutputs().contains(name)
                || !(g.getVertices().get(readers.get(0)) instanceof LayerVertex);
    }

    /** The layer configuration of a vertex, or null for a vertex without one (an input, an add, ...). */
    private static org.deeplearning4j.nn.conf.layers.Layer layerOf(ComputationGraphConfiguration g, String name) {
        GraphVertex v = g.getVertices().get(name);
        return v instanceof LayerVertex ? ((LayerVertex) v).getLayerConf().getLayer() : null;
    }

    /**
     * The QAT version of one float layer configuration, or the layer itself when it has no parameters
     * or is skipped. Also the way to write a QAT network by hand:
     * {@code Qat.quantize(new DenseLayer.Builder().nIn(800).nOut(500).build(), new QatConfig())}.
     *
     * @throws IllegalArgumentException for a layer with parameters that has no QAT version, unless the
     *     config keeps such layers in float
     */
    public static org.deeplearning4j.nn.conf.layers.Layer quantize(
            org.deeplearning4j.nn.conf.layers.Layer layer, QatConfig config) {
        return convert(layer, QatLayers.name(layer), config);
    }

    /**
     * Observes activation ranges on up to {@code batches} batches in inference mode (no dropout, no
     * weight update), as a calibration before fine-tuning or instead of it.
     */
    public static void calibrate(MultiLayerNetwork net, DataSetIterator data, int batches) {
        FakeQuantLayer.calibrate(net.getLayers(), () -> runBatches(data, batches, net::output));
    }

    /** {@link #calibrate(MultiLayerNetwork, DataSetIterator, int)} for a graph with one input. */
    public static void calibrate(ComputationGraph graph, DataSetIterator data, int batches) {
        FakeQuantLayer.calibrate(graph.getLayers(), () -> runBatches(data, batches, graph::outputSingle));
    }

    /** Turns every quantizer of the network on or off (PyTorch's {@code toggle_fake_quant}). */
    public static void setFakeQuantEnabled(Layer[] layers, boolean enabled) {
        for (QuantizerConfig q : quantizers(layers)) {
            q.setEnabled(enabled);
        }
    }

    /**
     * Ends the observe stage of every quantizer now (PyTorch's {@code disable_observer}): from the next
     * training iteration on, activation scales are learned and the observer state (running min and
     * max, zero point, observed flag) no longer changes. What {@link #calibrate} set stays.
     */
    public static void disableObservers(Layer[] layers) {
        for (QuantizerConfig q : quantizers(layers)) {
            q.setObserveIterations(0);
        }
    }

    /** The weight and activation quantizer configurations of the network's layers, live. */
    public static List<QuantizerConfig> quantizers(Layer[] layers) {
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

    private static void runBatches(DataSetIterator data, int batches, java.util.function.Function<INDArray, ?> out) {
        for (int b = 0; b < batches && data.hasNext(); b++) {
            out.apply(data.next().getFeatures());
        }
    }

    private static org.deeplearning4j.nn.conf.layers.Layer convert(
            org.deeplearning4j.nn.conf.layers.Layer layer, String where, QatConfig config) {
        Class<? extends org.deeplearning4j.nn.conf.layers.Layer> qat = QAT_VERSIONS.get(layer.getClass());
        if (config.isSkipped(layer.getLayerName())) {
            return layer;
        }
        if (qat == null) {
            if (layer.initializer().numParams(layer) == 0
                    || config.keepsUnsupportedInFloat()
                    || layer instanceof QatWeightLayer
                    || layer instanceof FakeQuantLayer) {
                return layer;
            }
            throw new IllegalArgumentException(where + " (" + QatLayers.name(layer) + ", "
                    + layer.getClass().getSimpleName() + ") has parameters but no QAT version; supported: "
                    + QAT_VERSIONS.keySet().stream()
                            .map(Class::getSimpleName)
                            .sorted()
                            .toList()
                    + ". Skip it with QatConfig.skip(name) or keep such layers in float with "
                    + "QatConfig.keepUnsupportedInFloat(true)");
        }
        return toQat(layer, qat, where, config);
    }

    /**
     * {@code layer}'s configuration as an instance of the QAT class {@code qat} (a subclass of the
     * layer's class, so every field carries over through JSON), with the config's weight quantizer and
     * fine-tuning updater.
     */
    static BaseLayer toQat(
            org.deeplearning4j.nn.conf.layers.Layer layer,
            Class<? extends org.deeplearning4j.nn.conf.layers.Layer> qat,
            String where,
            QatConfig config) {
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

    private static final Map<Class<?>, Class<? extends org.deeplearning4j.nn.conf.layers.Layer>> QAT_VERSIONS = Map.of(
            DenseLayer.class,
            QatDense.class,
            OutputLayer.class,
            QatOutput.class,
            ConvolutionLayer.class,
            QatConvolution2D.class,
            DepthwiseConvolution2D.class,
            QatDepthwiseConvolution2D.class,
            SeparableConvolution2D.class,
            QatSeparableConvolution2D.class);

    /**
     * A quantized layer but the output, and an average pool: its mean gets a grid of its own, as the
     * int8 runtime requantizes it, instead of a float mean the runtime would round to its input's grid.
     */
    private static boolean needsOutputQuantizer(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return layer instanceof QatWeightLayer && !(layer instanceof QatOutput) || averagePool(layer);
    }

    private static boolean averagePool(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return layer instanceof SubsamplingLayer && ((SubsamplingLayer) layer).getPoolingType() == PoolingType.AVG
                || layer instanceof GlobalPoolingLayer
                        && ((GlobalPoolingLayer) layer).getPoolingType() == PoolingType.AVG;
    }

    private static NeuralNetConfiguration quantizerConf(NeuralNetConfiguration like, String name, QatConfig config) {
        NeuralNetConfiguration c = like.clone();
        c.setLayer(new FakeQuantLayer(name, config.activations()));
        return c;
    }

    private static void addQuantizer(
            String of,
            NeuralNetConfiguration like,
            QatConfig config,
            Map<String, GraphVertex> vertices,
            Map<String, List<String>> inputs,
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
        assign(from.paramTable(), to);
        if (to.conf().getLayer() instanceof QatWeightLayer) {
            WeightScales.reset((QatWeightLayer) to.conf().getLayer(), to.paramTable());
        }
    }

    /** Assigns each of {@code params} to the parameter of {@code to} with the same key (shapes [n] or [1, n]). */
    static void assign(Map<String, INDArray> params, Layer to) {
        params.forEach((key, value) ->
                to.getParam(key).assign(value.reshape(to.getParam(key).shape())));
    }
}

package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.io.File;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** BatchNorm folding: prepare, the folded forward pass against an independent reference, gradients, save/load. */
class BatchNormFoldTest {
    private static final int SIZE = 6;
    private static final int IN = 2;
    private static final int CLASSES = 3;

    /**
     * conv (identity) -> BN -> activation -> depthwise (identity, Same) -> BN (variance stored as such)
     * -> global average pool -> output.
     */
    private static MultiLayerNetwork convBatchNormNet(DataType type, Activation activation, Activation convActivation) {
        var conf = new NeuralNetConfiguration.Builder()
                .seed(5)
                .dataType(type)
                .weightInit(WeightInit.XAVIER)
                .updater(new Sgd(0.1))
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3)
                        .name("conv")
                        .nOut(4)
                        .activation(convActivation)
                        .build())
                .layer(new BatchNormalization.Builder().name("bn").build())
                .layer(new ActivationLayer.Builder()
                        .name("act")
                        .activation(activation)
                        .build())
                .layer(new DepthwiseConvolution2D.Builder(3, 3)
                        .name("dw")
                        .depthMultiplier(2)
                        .convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new BatchNormalization.Builder()
                        .name("dwbn")
                        .useLogStd(false)
                        .build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .name("output")
                        .nOut(CLASSES)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(SIZE, SIZE, IN))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        for (Layer l : net.getLayers()) {
            randomizeBatchNorm(l, 17);
        }
        return net;
    }

    /** Statistics and affine parameters far from the identity, so that a wrong fold shows. */
    private static void randomizeBatchNorm(Layer l, long seed) {
        if (!(l.conf().getLayer() instanceof BatchNormalization)) {
            return;
        }
        Random r = new Random(seed + l.getIndex());
        INDArray var = l.getParam("gamma").ulike();
        for (int c = 0; c < var.length(); c++) {
            l.getParam("gamma").putScalar(c, 0.5 + r.nextDouble());
            l.getParam("beta").putScalar(c, r.nextDouble() - 0.5);
            l.getParam("mean").putScalar(c, r.nextDouble() - 0.5);
            var.putScalar(c, 0.2 + 2 * r.nextDouble());
        }
        if (l.paramTable().containsKey("var")) {
            l.getParam("var").assign(var.reshape(l.getParam("var").shape()));
        } else {
            l.getParam("log10stdev")
                    .assign(org.nd4j.linalg.ops.transforms.Transforms.log(var, 10)
                            .muli(0.5)
                            .reshape(l.getParam("log10stdev").shape()));
        }
    }

    private static INDArray images(int n, DataType type) {
        return TestNets.images(n, IN, SIZE, 3, type).muli(2).subi(0.5);
    }

    private static INDArray labels(int n, DataType type) {
        INDArray y = Nd4j.zeros(type, n, CLASSES);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % CLASSES, 1);
        }
        return y;
    }

    @Test
    void disabledQuantizationComputesTheFloatConvBatchNormNetwork() {
        MultiLayerNetwork net = convBatchNormNet(DataType.FLOAT, Activation.RELU, Activation.IDENTITY);
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig().disabled());
        List<Class<?>> types = java.util.Arrays.stream(qat.getLayers())
                .<Class<?>>map(l -> l.conf().getLayer().getClass())
                .toList();
        assertEquals(
                List.of(
                        FakeQuantLayer.class,
                        QatConvBatchNorm2D.class,
                        FakeQuantLayer.class,
                        QatDepthwiseConvBatchNorm2D.class,
                        FakeQuantLayer.class,
                        GlobalPoolingLayer.class,
                        FakeQuantLayer.class,
                        QatOutput.class),
                types);
        // The ReLU after the BatchNorm became the fused layer's activation, before its quantizer.
        assertEquals(
                Activation.RELU.getActivationFunction(),
                ((QatConvBatchNorm2D) qat.getLayer(1).conf().getLayer()).getActivationFn());
        INDArray x = images(8, DataType.FLOAT);
        assertTrue(net.output(x).equalsWithEps(qat.output(x), 1e-5), net.output(x) + "\nvs\n" + qat.output(x));
    }

    /** NHWC, and a convolution without bias. */
    @Test
    void channelsLastFoldsTheSame() {
        var conf = new NeuralNetConfiguration.Builder()
                .seed(5)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3)
                        .nOut(4)
                        .hasBias(false)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new DepthwiseConvolution2D.Builder(3, 3)
                        .depthMultiplier(2)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(CLASSES)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(SIZE, SIZE, IN, org.deeplearning4j.nn.conf.CNN2DFormat.NHWC))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        for (Layer l : net.getLayers()) {
            randomizeBatchNorm(l, 31);
        }
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig().disabled().batchNormFreezeEpoch(-1));
        assertInstanceOf(
                QatDepthwiseConvBatchNorm2D.class, qat.getLayer(3).conf().getLayer());
        INDArray x = images(4, DataType.FLOAT).permute(0, 2, 3, 1).dup();
        assertTrue(net.output(x).equalsWithEps(qat.output(x), 1e-5));
        // Batch statistics in training mode, over the right axes.
        assertTrue(net.feedForward(x, true)
                .get(4)
                .equalsWithEps(qat.feedForward(x, true).get(5), 1e-4));
    }

    @Test
    void disabledQuantizationComputesTheFloatGraph() {
        ComputationGraph g = graph(false);
        ComputationGraph qat = Qat.prepare(g, new QatConfig().disabled());
        assertInstanceOf(QatConvBatchNorm2D.class, qat.getLayer("conv").conf().getLayer());
        assertInstanceOf(QatConvBatchNorm2D.class, qat.getLayer("conv2").conf().getLayer());
        assertFalse(qat.getConfiguration().getVertices().containsKey("bn"));
        assertFalse(qat.getConfiguration().getVertices().containsKey("relu"));
        assertEquals(
                List.of("conv2" + Qat.QUANTIZER_SUFFIX, "conv" + Qat.QUANTIZER_SUFFIX),
                qat.getConfiguration().getVertexInputs().get("add"));
        INDArray x = images(4, DataType.FLOAT);
        assertTrue(g.outputSingle(x).equalsWithEps(qat.outputSingle(x), 1e-5));
    }

    @Test
    void aBatchNormThatCannotFoldIsNamedOrKeptInFloat() {
        ComputationGraph g = graph(true);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Qat.prepare(g, new QatConfig().disabled()));
        assertTrue(
                e.getMessage().contains("\"bn3\"") && e.getMessage().contains("\"conv3\" is also read elsewhere"),
                e.getMessage());
        ComputationGraph kept = Qat.prepare(g, new QatConfig().disabled().keepUnsupportedInFloat(true));
        assertInstanceOf(BatchNormalization.class, kept.getLayer("bn3").conf().getLayer());
        INDArray x = images(4, DataType.FLOAT);
        assertTrue(g.outputSingle(x).equalsWithEps(kept.outputSingle(x), 1e-5));

        MultiLayerNetwork reluFirst = convBatchNormNet(DataType.FLOAT, Activation.RELU, Activation.RELU);
        e = assertThrows(IllegalArgumentException.class, () -> Qat.prepare(reluFirst, new QatConfig()));
        assertTrue(e.getMessage().contains("\"bn\"") && e.getMessage().contains("has activation relu"), e.getMessage());
    }

    /**
     * in -> conv -> bn -> relu, conv2 -> bn2, add(bn2, relu) -> pool -> out; with {@code unfoldable},
     * also conv3 -> bn3 where conv3's output feeds the add as well.
     */
    private static ComputationGraph graph(boolean unfoldable) {
        var b = new NeuralNetConfiguration.Builder()
                .seed(9)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .updater(new Sgd(0.1))
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(SIZE, SIZE, IN))
                .addLayer(
                        "conv",
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(4)
                                .activation(Activation.IDENTITY)
                                .build(),
                        "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("relu", new ActivationLayer(Activation.RELU), "bn")
                .addLayer(
                        "conv2",
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(4)
                                .activation(Activation.IDENTITY)
                                .build(),
                        "relu")
                .addLayer("bn2", new BatchNormalization.Builder().build(), "conv2");
        if (unfoldable) {
            b.addLayer(
                            "conv3",
                            new ConvolutionLayer.Builder(1, 1)
                                    .nOut(4)
                                    .activation(Activation.IDENTITY)
                                    .build(),
                            "relu")
                    .addLayer("bn3", new BatchNormalization.Builder().build(), "conv3")
                    .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "relu", "bn3", "conv3");
        } else {
            b.addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "relu");
        }
        b.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "add")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(CLASSES)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("out");
        ComputationGraph g = new ComputationGraph(b.build());
        g.init();
        for (Layer l : g.getLayers()) {
            randomizeBatchNorm(l, 23);
        }
        return g;
    }

    /**
     * Once frozen, in training and at inference, the fused layers compute act(conv(x, fq(W_fold)) + b_fold)
     * with W_fold and b_fold written out here from the float parameters, and the exporter's view of
     * the layer is that same fold.
     */
    @Test
    void frozenLayersComputeTheConvolutionWithFoldedQuantizedWeights() {
        MultiLayerNetwork net = convBatchNormNet(DataType.FLOAT, Activation.TANH, Activation.IDENTITY);
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig().batchNormFreezeEpoch(0));
        INDArray x = images(5, DataType.FLOAT);
        for (boolean training : new boolean[] {true, false}) {
            List<INDArray> acts = qat.feedForward(x, training);
            for (int layer : new int[] {1, 3}) {
                Layer fused = qat.getLayer(layer);
                Layer conv = net.getLayer(layer == 1 ? 0 : 3);
                Layer bn = net.getLayer(layer == 1 ? 1 : 4);
                boolean depthwise = layer == 3;
                INDArray[] fold = fold(conv, bn, depthwise);
                ExportedWeights exported = ExportedWeights.of(fused);
                assertTrue(fold[0].equalsWithEps(exported.weight(), 1e-6), "exported W_fold of layer " + layer);
                assertTrue(fold[1].equalsWithEps(exported.bias(), 1e-6), "exported b_fold of layer " + layer);
                INDArray wq = fakeQuantize(fold[0], fused.getParam(QatWeightLayer.SCALE_KEY), depthwise);
                INDArray expected = referenceConv(
                                conv.conf().getLayer(),
                                wq,
                                fold[1],
                                fused.conf().getLayer())
                        .output(acts.get(layer));
                assertTrue(
                        expected.equalsWithEps(acts.get(layer + 1), 1e-5), "layer " + layer + ", training " + training);
            }
        }
    }

    /** {W_fold, b_fold} written out: W * gamma / sqrt(var + eps) per output channel, beta + (b - mean) * that. */
    private static INDArray[] fold(Layer conv, Layer bn, boolean depthwise) {
        double eps = ((BatchNormalization) bn.conf().getLayer()).getEps();
        INDArray w = conv.getParam("W").dup();
        long channels = bn.getParam("gamma").length();
        INDArray bias = Nd4j.create(w.dataType(), channels);
        for (int c = 0; c < channels; c++) {
            double var = bn.paramTable().containsKey("var")
                    ? bn.getParam("var").getDouble(c)
                    : Math.pow(10, 2 * bn.getParam("log10stdev").getDouble(c));
            double k = bn.getParam("gamma").getDouble(c) / Math.sqrt(var + eps);
            double b = conv.paramTable().containsKey("b") ? conv.getParam("b").getDouble(c) : 0;
            bias.putScalar(
                    c,
                    bn.getParam("beta").getDouble(c) + (b - bn.getParam("mean").getDouble(c)) * k);
            // Depthwise W is [kH, kW, in, multiplier]; output channel c is in * multiplier + m.
            INDArray slice = depthwise
                    ? w.get(
                            org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(c / w.size(3)),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(c % w.size(3)))
                    : w.slice(c);
            slice.muli(k);
        }
        return new INDArray[] {w, bias};
    }

    /** Symmetric int8 per output channel, round half to even: s * clamp(rint(w / s), -127, 127). */
    private static INDArray fakeQuantize(INDArray w, INDArray scale, boolean depthwise) {
        INDArray q = w.dup();
        long multiplier = depthwise ? w.size(3) : 1;
        for (int i = 0; i < w.length(); i++) {
            long[] at = org.nd4j.linalg.api.shape.Shape.ind2subC(w, i);
            int c = (int) (depthwise ? at[2] * multiplier + at[3] : at[0]);
            double s = scale.getDouble(c);
            q.putScalar(at, s * Math.max(-127, Math.min(127, Math.rint(w.getDouble(at) / s))));
        }
        return q;
    }

    /** A plain DL4J convolution with the float layer's geometry and the fused layer's activation. */
    private static MultiLayerNetwork referenceConv(
            org.deeplearning4j.nn.conf.layers.Layer floatConv,
            INDArray w,
            INDArray b,
            org.deeplearning4j.nn.conf.layers.Layer fused) {
        ConvolutionLayer c = (ConvolutionLayer) floatConv.clone();
        c.setActivationFn(((ConvolutionLayer) fused).getActivationFn());
        c.setHasBias(true);
        MultiLayerNetwork ref = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT)
                .list()
                .layer(c)
                .build());
        ref.init();
        ref.getLayer(0).setParam("W", w);
        ref.getLayer(0).setParam("b", b.reshape(ref.getLayer(0).getParam("b").shape()));
        return ref;
    }

    @Test
    void gradientCheckWithBatchStatisticsAndAfterTheFreeze() {
        DataType previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            for (int freezeEpoch : new int[] {-1, 0}) {
                MultiLayerNetwork net = convBatchNormNet(DataType.DOUBLE, Activation.TANH, Activation.IDENTITY);
                MultiLayerNetwork qat = Qat.prepare(
                        net, new QatConfig().disabled().updater(new NoOp()).batchNormFreezeEpoch(freezeEpoch));
                Set<String> excluded = new HashSet<>();
                for (int i = 0; i < qat.getnLayers(); i++) {
                    for (String key : qat.getLayer(i).paramTable().keySet()) {
                        if (!List.of("W", "b", "gamma", "beta").contains(key)) {
                            excluded.add(i + "_" + key);
                        }
                    }
                }
                // A subset of each parameter keeps this to seconds: every forward pass goes through the
                // quantizer layers, about 25 ms here.
                assertTrue(
                        GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
                                .net(qat)
                                .input(images(3, DataType.DOUBLE))
                                .labels(labels(3, DataType.DOUBLE))
                                .epsilon(1e-6)
                                .maxRelError(1e-3)
                                .minAbsoluteError(1e-8)
                                .excludeParams(excluded)
                                .subset(true)
                                .maxPerParam(6)),
                        "freeze epoch " + freezeEpoch);
            }
        } finally {
            Nd4j.setDefaultDataTypes(previous, previous);
        }
    }

    /**
     * Before the freeze and with quantization off, QAT training is float conv + BatchNorm training:
     * the same SGD steps give the same weights, gamma, beta and running statistics.
     */
    @Test
    void beforeTheFreezeTrainingFollowsTheFloatBatchNorm() {
        MultiLayerNetwork net = convBatchNormNet(DataType.FLOAT, Activation.TANH, Activation.IDENTITY);
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig().disabled());
        DataSet batch = new DataSet(images(8, DataType.FLOAT), labels(8, DataType.FLOAT));
        for (int i = 0; i < 3; i++) {
            net.fit(batch);
            qat.fit(batch);
        }
        for (int[] pair : new int[][] {{0, 1, 1}, {3, 4, 3}}) {
            Layer conv = net.getLayer(pair[0]);
            Layer bn = net.getLayer(pair[1]);
            Layer fused = qat.getLayer(pair[2]);
            assertClose(conv.getParam("W"), fused.getParam("W"), "W of " + pair[2]);
            for (String key : List.of("gamma", "beta", "mean")) {
                assertClose(bn.getParam(key), fused.getParam(key), key + " of " + pair[2]);
            }
            INDArray var = bn.paramTable().containsKey("var")
                    ? bn.getParam("var")
                    : powTen(bn.getParam("log10stdev").mul(2));
            assertClose(var, fused.getParam("var"), "var of " + pair[2]);
        }
    }

    private static INDArray powTen(INDArray exponent) {
        return org.nd4j.linalg.ops.transforms.Transforms.exp(exponent.mul(Math.log(10)), false);
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        INDArray e = expected.reshape(expected.length());
        INDArray a = actual.reshape(actual.length());
        assertTrue(e.equalsWithEps(a, 1e-4), what + ": " + e + " vs " + a);
    }

    @Test
    void saveLoadOfAFoldedNetworkGivesIdenticalOutputsAndResumesIdentically(@TempDir Path dir) throws Exception {
        MultiLayerNetwork qat = Qat.prepare(
                convBatchNormNet(DataType.FLOAT, Activation.RELU, Activation.IDENTITY),
                new QatConfig().observeIterations(1));
        DataSet batch = new DataSet(images(8, DataType.FLOAT), labels(8, DataType.FLOAT));
        for (int i = 0; i < 3; i++) {
            qat.fit(batch);
        }
        File file = dir.resolve("folded.zip").toFile();
        ModelSerializer.writeModel(qat, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(qat.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(qat.params(), restored.params());
        assertEquals(qat.output(batch.getFeatures()), restored.output(batch.getFeatures()));
        for (int i = 0; i < 2; i++) {
            qat.fit(batch);
            restored.fit(batch);
        }
        assertEquals(qat.params(), restored.params());
        assertEquals(qat.score(), restored.score(), 0.0);
    }
}

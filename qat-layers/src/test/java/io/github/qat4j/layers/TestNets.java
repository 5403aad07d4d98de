package io.github.qat4j.layers;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small float networks of the shapes the project quantizes: LeNet-5 and a residual graph. */
public final class TestNets {
    private TestNets() {}

    /** LeNet-5 as in DL4J's examples, for [b, 1, h, w] input; {@code width} scales the channel counts. */
    public static MultiLayerNetwork lenet(int size, int conv1, int conv2, int dense, long seed, DataType type) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(type)
                .weightInit(WeightInit.XAVIER)
                .updater(new Adam(1e-3))
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5)
                        .name("conv1")
                        .nOut(conv1)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(5, 5)
                        .name("conv2")
                        .nOut(conv2)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder()
                        .name("dense")
                        .nOut(dense)
                        .activation(Activation.RELU)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD)
                        .name("output")
                        .nOut(10)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutionalFlat(size, size, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** conv -> two residual blocks (conv, conv, add, relu) -> global average pool -> softmax. */
    public static ComputationGraph residual(int channels, long seed, DataType type) {
        return residual(channels, seed, type, false);
    }

    /**
     * {@link #residual(int, long, DataType)}, with {@code batchNorm}: every convolution has identity
     * activation and is followed by BatchNorm and, where the block had one, a ReLU layer (ResNet's
     * conv-BN-ReLU).
     */
    public static ComputationGraph residual(int channels, long seed, DataType type, boolean batchNorm) {
        var b = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(type)
                .weightInit(WeightInit.XAVIER)
                .updater(new Adam(1e-3))
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(8, 8, 3));
        String prev = conv(b, "stem", channels, true, batchNorm, "in");
        for (int block = 0; block < 2; block++) {
            String p = "b" + block;
            String a = conv(b, p + "a", channels, true, batchNorm, prev);
            String c = conv(b, p + "b", channels, false, batchNorm, a);
            b.addVertex(p + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), c, prev)
                    .addLayer(
                            p + "relu",
                            new org.deeplearning4j.nn.conf.layers.ActivationLayer(Activation.RELU),
                            p + "add");
            prev = p + "relu";
        }
        b.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), prev)
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(10)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("out");
        ComputationGraph g = new ComputationGraph(b.build());
        g.init();
        return g;
    }

    /** A 3x3 convolution, with BatchNorm and a ReLU layer after it, or with the ReLU inside; returns the last name. */
    private static String conv(
            org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder b,
            String name,
            int channels,
            boolean relu,
            boolean batchNorm,
            String input) {
        if (!batchNorm) {
            b.addLayer(
                    name,
                    new ConvolutionLayer.Builder(3, 3)
                            .nOut(channels)
                            .activation(relu ? Activation.RELU : Activation.IDENTITY)
                            .build(),
                    input);
            return name;
        }
        b.addLayer(
                        name,
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(channels)
                                .activation(Activation.IDENTITY)
                                .build(),
                        input)
                .addLayer(
                        name + "_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), name);
        if (!relu) {
            return name + "_bn";
        }
        b.addLayer(
                name + "_relu", new org.deeplearning4j.nn.conf.layers.ActivationLayer(Activation.RELU), name + "_bn");
        return name + "_relu";
    }

    public static INDArray images(int n, int channels, int size, long seed, DataType type) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(type, n, channels, size, size);
    }

    public static INDArray oneHot(int n, long seed, DataType type) {
        INDArray y = Nd4j.zeros(type, n, 10);
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, r.nextInt(10), 1);
        }
        return y;
    }
}

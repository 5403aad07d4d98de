package io.github.qat4j.examples;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The float networks the pipelines train (and the benchmarks time). */
public final class Models {
    private Models() {}

    /**
     * LeNet-5 with the sizes of DL4J's LeNetMNIST example: conv 5x5x20, max pool, conv 5x5x50, max
     * pool, dense 500, softmax 10, with ReLU after the convolutions too and no L2. Measured with
     * {@code qat mnist --epochs 2} (Adam 1e-3 decaying linearly): 98.70% against 98.14% for the
     * example's identity convolutions, and 98.52% for identity with L2 5e-4 in three epochs. The
     * default 4 epochs at batch 128 give 99.10% (3 at batch 64: 98.90%; dropout 0.5 before the
     * output layer, 4 at batch 128: 99.08%).
     * Takes {@code [batch, 1, 28, 28]}.
     */
    public static MultiLayerNetwork lenet(long seed, IUpdater updater) {
        return mnist(
                seed,
                updater,
                new ConvolutionLayer.Builder(5, 5)
                        .name("conv1")
                        .nIn(1)
                        .nOut(20)
                        .activation(Activation.RELU)
                        .build(),
                new SubsamplingLayer.Builder(PoolingType.MAX)
                        .name("pool1")
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build(),
                new ConvolutionLayer.Builder(5, 5)
                        .name("conv2")
                        .nOut(50)
                        .activation(Activation.RELU)
                        .build(),
                new SubsamplingLayer.Builder(PoolingType.MAX)
                        .name("pool2")
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build(),
                new DenseLayer.Builder()
                        .name("dense")
                        .activation(Activation.RELU)
                        .nOut(500)
                        .build());
    }

    /**
     * LeNet-300-100 (LeCun et al. 1998): dense 300 and 100 with ReLU, softmax 10, on the flattened
     * {@code [batch, 1, 28, 28]} image. The MLP that dynamic quantization is for: every layer dense.
     */
    public static MultiLayerNetwork mlp(long seed, IUpdater updater) {
        return mnist(
                seed,
                updater,
                new DenseLayer.Builder()
                        .name("fc1")
                        .activation(Activation.RELU)
                        .nOut(300)
                        .build(),
                new DenseLayer.Builder()
                        .name("fc2")
                        .activation(Activation.RELU)
                        .nOut(100)
                        .build());
    }

    /** {@code hidden} layers and a softmax over 10 classes ("output"), for {@code [batch, 1, 28, 28]}. */
    private static MultiLayerNetwork mnist(long seed, IUpdater updater, Layer... hidden) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .weightInit(WeightInit.XAVIER)
                .updater(updater)
                .list();
        for (Layer layer : hidden) {
            list.layer(layer);
        }
        MultiLayerNetwork net = new MultiLayerNetwork(
                list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD)
                                .name("output")
                                .nOut(10)
                                .activation(Activation.SOFTMAX)
                                .build())
                        .setInputType(InputType.convolutional(28, 28, 1))
                        .build());
        net.init();
        return net;
    }

    /**
     * The CIFAR ResNet of He et al. 2016 (section 4.2): a 3x3 conv with {@code width} filters (16 in
     * the paper), then three stages of {@code blocksPerStage} basic blocks with {@code width}, {@code
     * 2 width} and {@code 4 width} filters (the first block of a later stage halves the resolution,
     * with a 1x1 convolution on the shortcut), global average pooling and a softmax. {@code 6n + 2}
     * layers: n = 1 is ResNet-8, n = 3 ResNet-20.
     *
     * <p>Every convolution is followed by BatchNormalization and has no bias (BN's shift replaces
     * it), which is the pattern BN folding targets.
     */
    public static ComputationGraph resnet(int blocksPerStage, int width, long seed, IUpdater updater) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .l2(5e-4)
                .weightInit(WeightInit.RELU)
                .updater(updater)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(32, 32, 3));
        String x = convBn(g, "stem", "input", width, 3, 1);
        x = relu(g, "stem_relu", x);
        int filters = width;
        for (int stage = 0; stage < 3; stage++) {
            for (int block = 0; block < blocksPerStage; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                x = basicBlock(g, "s" + (stage + 1) + "b" + (block + 1), x, filters, stride);
            }
            filters *= 2;
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x)
                .addLayer(
                        "output",
                        new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD)
                                .nOut(10)
                                .activation(Activation.SOFTMAX)
                                .weightInit(WeightInit.XAVIER)
                                .build(),
                        "pool")
                .setOutputs("output");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static String basicBlock(
            ComputationGraphConfiguration.GraphBuilder g, String name, String in, int filters, int stride) {
        String x = convBn(g, name + "_conv1", in, filters, 3, stride);
        x = relu(g, name + "_relu1", x);
        x = convBn(g, name + "_conv2", x, filters, 3, 1);
        String shortcut = stride == 1 ? in : convBn(g, name + "_down", in, filters, 1, stride);
        g.addVertex(name + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), x, shortcut);
        return relu(g, name + "_relu2", name + "_add");
    }

    private static String convBn(
            ComputationGraphConfiguration.GraphBuilder g, String name, String in, int filters, int kernel, int stride) {
        g.addLayer(
                        name,
                        new ConvolutionLayer.Builder(kernel, kernel)
                                .stride(stride, stride)
                                .nOut(filters)
                                .hasBias(false)
                                .activation(Activation.IDENTITY)
                                .build(),
                        in)
                .addLayer(name + "_bn", new BatchNormalization.Builder().build(), name);
        return name + "_bn";
    }

    private static String relu(ComputationGraphConfiguration.GraphBuilder g, String name, String in) {
        g.addLayer(
                name, new ActivationLayer.Builder().activation(Activation.RELU).build(), in);
        return name;
    }
}

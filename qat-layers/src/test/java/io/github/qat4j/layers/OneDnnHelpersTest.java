package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.util.Arrays;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The fast path is on with no flag: the build has oneDNN, and DL4J's own layers (and the QAT layers
 * built on them) hold a oneDNN helper after {@code init()}. Fails on the plain linux-x86_64 build, or
 * when DL4J's helper check cannot reach the native flag (the M2.1 class rename).
 */
class OneDnnHelpersTest {
    private static MultiLayerNetwork convPoolBatchNorm() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(3)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3)
                        .name("conv")
                        .nOut(8)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new BatchNormalization.Builder().name("bn").build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX)
                        .name("pool")
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .name("output")
                        .nOut(4)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(10, 10, 2))
                .build());
        net.init();
        return net;
    }

    @Test
    void statusNamesTheOneDnnBuildWithHelpersOn() {
        OneDnnHelpers.Status status = OneDnnHelpers.status();
        assertTrue(status.build().contains("onednn"), status.toString());
        assertTrue(status.oneDnnInBuild(), status.toString());
        assertTrue(status.helpersOn(), status.toString());
    }

    @Test
    void floatLayersHoldOneDnnHelpers() {
        Layer[] layers = convPoolBatchNorm().getLayers();
        assertInstanceOf(MKLDNNConvHelper.class, layers[0].getHelper());
        assertInstanceOf(MKLDNNBatchNormHelper.class, layers[1].getHelper());
        assertInstanceOf(MKLDNNSubsamplingHelper.class, layers[2].getHelper());
    }

    @Test
    void qatConvolutionHoldsTheHelper() {
        // No BatchNorm after this convolution, so prepare makes it a QatConvolution2D, not a folded one.
        MultiLayerNetwork qat = Qat.prepare(TestNets.lenet(16, 4, 6, 8, 5, DataType.FLOAT), new QatConfig());
        Layer conv = Arrays.stream(qat.getLayers())
                .filter(l -> l.conf().getLayer() instanceof QatConvolution2D)
                .findFirst()
                .orElseThrow();
        assertInstanceOf(MKLDNNConvHelper.class, conv.getHelper());
    }

    @Test
    void helpersComputeWhatTheBuiltInLayersCompute() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 2, 10, 10);
        MultiLayerNetwork withHelpers = convPoolBatchNorm();
        String before = System.getProperty(OneDnnHelpers.DISABLE_PROPERTY);
        MultiLayerNetwork builtIn;
        try {
            System.setProperty(OneDnnHelpers.DISABLE_PROPERTY, "true");
            builtIn = convPoolBatchNorm();
        } finally {
            if (before == null) {
                System.clearProperty(OneDnnHelpers.DISABLE_PROPERTY);
            } else {
                System.setProperty(OneDnnHelpers.DISABLE_PROPERTY, before);
            }
        }
        assertNull(builtIn.getLayer(0).getHelper());
        assertArrayEquals(
                builtIn.output(x).data().asFloat(), withHelpers.output(x).data().asFloat(), 1e-5f);
    }
}

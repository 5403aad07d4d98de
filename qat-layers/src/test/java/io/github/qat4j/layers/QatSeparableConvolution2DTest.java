package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.layers.QatWeightLayer.QuantizedWeight;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The QAT separable convolution: both weight tensors quantized, each with its own per-channel scales. */
class QatSeparableConvolution2DTest {
    private static DataType previous;

    @BeforeAll
    static void doublePrecision() {
        previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(previous, previous);
    }

    private static SeparableConvolution2D separable() {
        return new SeparableConvolution2D.Builder(3, 3)
                .name("sep")
                .nIn(2)
                .nOut(3)
                .depthMultiplier(2)
                .activation(Activation.TANH)
                .build();
    }

    /** {@code first} (nIn 2) -> global average pool -> softmax output, for [b, 2, 5, 5] input. */
    private static MultiLayerNetwork net(org.deeplearning4j.nn.conf.layers.Layer first) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(13)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(first)
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .name("output")
                        .nIn(3)
                        .nOut(4)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(5, 5, 2))
                .build());
        net.init();
        return net;
    }

    private static DataSet data() {
        Nd4j.getRandom().setSeed(29);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 3, 4);
        for (int i = 0; i < 3; i++) {
            y.putScalar(i, i, 1);
        }
        return new DataSet(Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 5).subi(0.5), y);
    }

    @Test
    void disabledQuantizationComputesTheFloatNetworkExactly() {
        MultiLayerNetwork net = net(separable());
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig().disabled());
        var conf = (QatSeparableConvolution2D) qat.getLayer(1).conf().getLayer();
        assertInstanceOf(QatSeparableConvolution2D.class, conf);
        assertEquals(4, qat.getLayer(1).getParam(QatWeightLayer.SCALE_KEY).length());
        assertEquals(
                3,
                qat.getLayer(1)
                        .getParam(QatSeparableConvolution2D.POINTWISE_SCALE_KEY)
                        .length());
        INDArray x = data().getFeatures();
        assertEquals(net.output(x), qat.output(x));
    }

    @Test
    void gradientCheckWithQuantizationDisabled() {
        MultiLayerNetwork qat = Qat.prepare(net(separable()), new QatConfig().disabled());
        Set<String> excluded = new HashSet<>();
        for (int i = 0; i < qat.getnLayers(); i++) {
            for (String key : qat.getLayer(i).paramTable().keySet()) {
                if (!List.of("W", "pW", "b").contains(key)) {
                    excluded.add(i + "_" + key);
                }
            }
        }
        DataSet d = data();
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
                .net(qat)
                .input(d.getFeatures())
                .labels(d.getLabels())
                .epsilon(1e-6)
                .maxRelError(1e-3)
                .minAbsoluteError(1e-8)
                .excludeParams(excluded)));
    }

    /**
     * The gradients of W and pW are the float network's at the fake-quantized weights, masked where
     * w/s was clipped, and each tensor's scale gradient is LSQ's, written out here per channel (to
     * float precision: the fake quantization runs in float).
     */
    @Test
    void eachWeightTensorGetsTheStraightThroughAndLsqGradients() {
        int qmax = 7;
        MultiLayerNetwork qat = net(Qat.quantize(separable(), new QatConfig().weightBits(4)));
        var layer = qat.getLayer(0);
        MultiLayerNetwork reference = net(separable());
        reference.getLayer(2).setParam("W", qat.getLayer(2).getParam("W"));
        reference.getLayer(2).setParam("b", qat.getLayer(2).getParam("b"));
        reference.getLayer(0).setParam("b", layer.getParam("b"));
        List<QuantizedWeight> tensors = ((QatWeightLayer) layer.conf().getLayer()).quantizedWeights();
        for (QuantizedWeight t : tensors) {
            INDArray w = layer.getParam(t.key());
            INDArray s = layer.getParam(t.scaleKey());
            int inner = (int) (w.length() / t.channels());
            // A scale a learning step could reach: 0.6 of max|w| / qmax, so the largest weights clip.
            for (int c = 0; c < t.channels(); c++) {
                s.putScalar(
                        c,
                        0.6
                                / qmax
                                * w.reshape(t.channels(), inner)
                                        .getRow(c)
                                        .amaxNumber()
                                        .doubleValue());
            }
            INDArray wq = w.dup();
            for (int i = 0; i < w.length(); i++) {
                long[] at = Shape.ind2subC(w, i);
                double sc = s.getDouble(i / inner);
                wq.putScalar(at, sc * Math.max(-qmax, Math.min(qmax, Math.rint(w.getDouble(at) / sc))));
            }
            reference.getLayer(0).setParam(t.key(), wq);
        }
        DataSet d = data();
        for (QuantizedWeight t : tensors) {
            INDArray w = layer.getParam(t.key());
            INDArray s = layer.getParam(t.scaleKey());
            int inner = (int) (w.length() / t.channels());
            INDArray gq = gradient(qat, d, "0_" + t.key()).reshape(w.length());
            INDArray gs = gradient(qat, d, "0_" + t.scaleKey());
            INDArray gref = gradient(reference, d, "0_" + t.key()).reshape(w.length());
            double g = 1 / Math.sqrt(inner * (double) qmax);
            boolean clipped = false;
            for (int c = 0; c < t.channels(); c++) {
                double expectedScaleGrad = 0;
                for (int i = c * inner; i < (c + 1) * inner; i++) {
                    double v = w.reshape(w.length()).getDouble(i) / s.getDouble(c);
                    boolean inside = v >= -qmax && v <= qmax;
                    clipped |= !inside;
                    assertEquals(
                            inside ? gref.getDouble(i) : 0, gq.getDouble(i), 1e-6, "dL/d" + t.key() + "[" + i + "]");
                    expectedScaleGrad += gref.getDouble(i) * (inside ? Math.rint(v) - v : Math.signum(v) * qmax);
                }
                assertEquals(g * expectedScaleGrad, gs.getDouble(c), 1e-6, "dL/d" + t.scaleKey() + "[" + c + "]");
            }
            assertTrue(clipped, t.key() + " has clipped weights");
        }
    }

    private static INDArray gradient(MultiLayerNetwork net, DataSet d, String key) {
        net.setInput(d.getFeatures());
        net.setLabels(d.getLabels());
        net.computeGradientAndScore();
        return net.gradient().gradientForVariable().get(key).dup();
    }
}

package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.util.HashSet;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The backward pass of QAT layers: DL4J gradient checks in double precision, and STE/LSQ against a scalar reference. */
class GradientTest {
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

    private static MultiLayerNetwork smoothNet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(7)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3)
                        .nOut(3)
                        .activation(Activation.TANH)
                        .build())
                .layer(new DenseLayer.Builder()
                        .nOut(5)
                        .activation(Activation.TANH)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(4)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(6, 6, 2))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static boolean check(
            MultiLayerNetwork net, DataSet data, double epsilon, double maxRelError, double minAbsoluteError) {
        Set<String> quantizerParams = new HashSet<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            for (String key : net.getLayer(i).paramTable().keySet()) {
                if (!key.equals("W") && !key.equals("b")) {
                    quantizerParams.add(i + "_" + key);
                }
            }
        }
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
                .net(net)
                .input(data.getFeatures())
                .labels(data.getLabels())
                .epsilon(epsilon)
                .maxRelError(maxRelError)
                .minAbsoluteError(minAbsoluteError)
                .excludeParams(quantizerParams));
    }

    private static DataSet data() {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, 6, 6);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 3, 4);
        for (int i = 0; i < 3; i++) {
            y.putScalar(i, i % 4, 1);
        }
        return new DataSet(x, y);
    }

    @Test
    void gradientCheckWithQuantizationDisabled() {
        MultiLayerNetwork qat = Qat.prepare(smoothNet(), new QatConfig().disabled());
        assertTrue(check(qat, data(), 1e-6, 1e-3, 1e-8));
    }

    @Test
    void straightThroughGradientIsTheTrueOneAtSixteenBits() {
        DataSet data = data();
        MultiLayerNetwork qat = Qat.prepare(
                smoothNet(), new QatConfig().weightBits(16).activationBits(16).observeIterations(0));
        Qat.calibrate(qat, new SingletonDataSetIterator(data), 1);
        widenEveryRange(qat);
        // The finite difference step must span many quantization steps (about 6e-5 here) for the
        // quantized function's slope to be the smooth one; what remains is rounding noise of a
        // few percent on the smallest gradients, hence the absolute floor.
        assertTrue(check(qat, data, 1e-2, 5e-2, 1e-3));
    }

    /**
     * Clipping is a kink the straight-through estimator ignores by design, and calibrated ranges put
     * the extreme values exactly on it: give every quantizer headroom so nothing clips under the
     * finite-difference perturbation.
     */
    private static void widenEveryRange(MultiLayerNetwork net) {
        for (var layer : net.getLayers()) {
            var conf = layer.conf().getLayer();
            if (conf instanceof QatWeightLayer) {
                layer.getParam(QatWeightLayer.SCALE_KEY).muli(2);
            } else if (conf instanceof FakeQuantLayer) {
                float min = layer.getParam(FakeQuantLayer.RUNNING_MIN).getFloat(0);
                float max = layer.getParam(FakeQuantLayer.RUNNING_MAX).getFloat(0);
                float pad = (max - min) / 2;
                var p = ((FakeQuantLayer) conf)
                        .getQuant()
                        .spec(-1)
                        .paramsFromRange(new float[] {min - pad}, new float[] {max + pad});
                layer.getParam(FakeQuantLayer.SCALE).assign(p.scale()[0]);
                layer.getParam(FakeQuantLayer.ZERO_POINT).assign(p.zeroPoint()[0]);
            }
        }
    }

    /**
     * The gradient of W is the float network's gradient at the fake-quantized weights, masked where
     * w/s was clipped; the scale gradient is LSQ's, written out here with scalar arithmetic.
     */
    @Test
    void weightAndScaleGradientsMatchTheStraightThroughAndLsqFormulas() {
        int nIn = 6;
        int nOut = 3;
        int qmax = 7;
        OutputLayer floatLayer = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(nIn)
                .nOut(nOut)
                .activation(Activation.SOFTMAX)
                .weightInit(WeightInit.XAVIER)
                .build();
        QatConfig config = new QatConfig().weightBits(4);
        MultiLayerNetwork qat = single(Qat.quantize(floatLayer, config));
        INDArray w = qat.getLayer(0).getParam("W");
        INDArray s = qat.getLayer(0).getParam(QatWeightLayer.SCALE_KEY);
        // A scale a learning step could reach: 0.6 of max|w| / qmax, so the largest weights clip.
        s.assign(Transforms.abs(w).max(0).muli(0.6 / qmax));

        INDArray wq = w.dup();
        boolean clipped = false;
        for (int i = 0; i < nIn; i++) {
            for (int c = 0; c < nOut; c++) {
                double v = w.getDouble(i, c) / s.getDouble(c);
                double q = Math.max(-qmax, Math.min(qmax, Math.rint(v)));
                clipped |= Math.abs(v) > qmax;
                wq.putScalar(i, c, q * s.getDouble(c));
            }
        }
        assertTrue(clipped);
        MultiLayerNetwork reference = single(floatLayer.clone());
        reference.getLayer(0).setParam("W", wq);
        reference.getLayer(0).setParam("b", qat.getLayer(0).getParam("b"));

        DataSet d =
                new DataSet(Nd4j.rand(DataType.DOUBLE, 5, nIn), Nd4j.eye(nOut).getRows(0, 1, 2, 0, 1));
        INDArray gq = gradient(qat, d, "0_W");
        INDArray gs = gradient(qat, d, "0_" + QatWeightLayer.SCALE_KEY);
        INDArray gref = gradient(reference, d, "0_W");

        double g = 1 / Math.sqrt(nIn * (double) qmax);
        for (int c = 0; c < nOut; c++) {
            double expectedScaleGrad = 0;
            for (int i = 0; i < nIn; i++) {
                double v = w.getDouble(i, c) / s.getDouble(c);
                boolean inside = v >= -qmax && v <= qmax;
                assertEquals(inside ? gref.getDouble(i, c) : 0, gq.getDouble(i, c), 1e-6, "dL/dW[" + i + "," + c + "]");
                expectedScaleGrad += gref.getDouble(i, c) * (inside ? Math.rint(v) - v : Math.signum(v) * qmax);
            }
            assertEquals(g * expectedScaleGrad, gs.getDouble(c), 1e-6, "dL/ds[" + c + "]");
        }
    }

    private static MultiLayerNetwork single(org.deeplearning4j.nn.conf.layers.Layer layer) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(3)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .list()
                .layer(layer)
                .build());
        net.init();
        return net;
    }

    private static INDArray gradient(MultiLayerNetwork net, DataSet d, String key) {
        net.setInput(d.getFeatures());
        net.setLabels(d.getLabels());
        net.computeGradientAndScore();
        return net.gradient().gradientForVariable().get(key).dup();
    }
}

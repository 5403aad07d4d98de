package io.github.qat4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LabelSmoothingTest {
    @Test
    void mixesEachOneHotRowWithTheUniformDistribution() {
        DataSet batch = new DataSet(Nd4j.zeros(2, 3), Nd4j.createFromArray(new float[][] {{0, 1, 0, 0}, {0, 0, 0, 1}}));
        new LabelSmoothing(0.2).preProcess(batch);
        assertArrayEquals(
                new float[] {0.05f, 0.85f, 0.05f, 0.05f},
                batch.getLabels().getRow(0).toFloatVector(),
                1e-7f);
        assertArrayEquals(
                new float[] {0.05f, 0.05f, 0.05f, 0.85f},
                batch.getLabels().getRow(1).toFloatVector(),
                1e-7f);
        assertThrows(IllegalArgumentException.class, () -> new LabelSmoothing(0));
        assertThrows(IllegalArgumentException.class, () -> new LabelSmoothing(1));
    }

    /** The smoothed cross-entropy is least where the softmax equals the smoothed label: DL4J must train there. */
    @Test
    void dl4jsSoftmaxCrossEntropyConvergesToTheSmoothedTarget() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1)
                .updater(new Sgd(0.5))
                .list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD)
                        .nIn(2)
                        .nOut(3)
                        .activation(Activation.SOFTMAX)
                        .build())
                .build());
        net.init();
        DataSet batch = new DataSet(
                Nd4j.createFromArray(new float[][] {{1, -1}}), Nd4j.createFromArray(new float[][] {{0, 0, 1}}));
        new LabelSmoothing(0.3).preProcess(batch);
        for (int i = 0; i < 2000; i++) {
            net.fit(batch);
        }
        assertArrayEquals(
                new float[] {0.1f, 0.1f, 0.8f}, net.output(batch.getFeatures()).toFloatVector(), 1e-3f);
    }
}

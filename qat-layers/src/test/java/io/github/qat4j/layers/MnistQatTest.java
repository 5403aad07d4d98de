package io.github.qat4j.layers;

import io.github.qat4j.datasets.ImageSetIterator;
import io.github.qat4j.datasets.Mnist;
import io.github.qat4j.datasets.TrainTest;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** LeNet on real MNIST: float training, then prepare and QAT fine-tuning, evaluated on the full test set. */
@Tag("real-data")
class MnistQatTest {
    @Test
    void int8FakeQuantAccuracyIsWithinThreeTenthsOfAPointOfFloat() {
        TrainTest mnist = Mnist.load();
        MultiLayerNetwork net = TestNets.lenet(28, 20, 50, 500, 42, DataType.FLOAT);
        long t0 = System.nanoTime();
        net.fit(iterator(mnist, 20_000, 1), 1);
        long t1 = System.nanoTime();
        double floatAccuracy = accuracy(net, mnist);

        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig().observeIterations(50).updater(new Adam(1e-4)));
        long t2 = System.nanoTime();
        qat.fit(iterator(mnist, 10_000, 2), 1);
        long t3 = System.nanoTime();
        double qatAccuracy = accuracy(qat, mnist);
        System.out.printf("float: 313 iterations in %.1f s; QAT: 157 iterations in %.1f s%n", (t1 - t0) / 1e9,
                (t3 - t2) / 1e9);
        System.out.printf("MNIST LeNet W8A8: float %.4f, fake-quant %.4f%n", floatAccuracy, qatAccuracy);
        System.out.println(QuantizationReport.of(qat, mnist.test().iterator().batchSize(512).build().next().getFeatures()));
        assertTrue(floatAccuracy > 0.97, "float LeNet reached only " + floatAccuracy);
        assertTrue(qatAccuracy >= floatAccuracy - 0.003, "fake-quant " + qatAccuracy + " vs float " + floatAccuracy);
    }

    private static DataSetIterator iterator(TrainTest mnist, int subset, long seed) {
        return ImageSetIterator.builder(mnist.train()).batchSize(64).shuffle(seed).subset(subset, seed).build();
    }

    private static double accuracy(MultiLayerNetwork net, TrainTest mnist) {
        Evaluation e = net.evaluate(mnist.test().iterator().batchSize(500).build());
        return e.accuracy();
    }
}

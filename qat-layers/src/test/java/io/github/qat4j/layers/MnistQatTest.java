package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.datasets.ImageSetIterator;
import io.github.qat4j.datasets.Mnist;
import io.github.qat4j.datasets.TrainTest;
import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.export.Int8Exporter;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.util.List;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * LeNet on real MNIST: float training, then prepare and QAT fine-tuning, evaluated on the full test set;
 * then the exported int8 model against the QAT network it came from.
 */
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

        MultiLayerNetwork qat =
                Qat.prepare(net, new QatConfig().observeIterations(50).updater(new Adam(1e-4)));
        long t2 = System.nanoTime();
        qat.fit(iterator(mnist, 10_000, 2), 1);
        long t3 = System.nanoTime();
        double qatAccuracy = accuracy(qat, mnist);
        System.out.printf(
                "float: 313 iterations in %.1f s; QAT: 157 iterations in %.1f s%n", (t1 - t0) / 1e9, (t3 - t2) / 1e9);
        System.out.printf("MNIST LeNet W8A8: float %.4f, fake-quant %.4f%n", floatAccuracy, qatAccuracy);
        System.out.println(QuantizationReport.of(
                qat, mnist.test().iterator().batchSize(512).build().next().getFeatures()));
        assertTrue(floatAccuracy > 0.97, "float LeNet reached only " + floatAccuracy);
        assertTrue(qatAccuracy >= floatAccuracy - 0.003, "fake-quant " + qatAccuracy + " vs float " + floatAccuracy);

        Agreement a = agreement(qat, Int8Exporter.export(qat, InputType.convolutionalFlat(28, 28, 1)), mnist);
        System.out.printf(
                "int8 runtime: accuracy %.4f, same class as QAT on %.4f of images, "
                        + "dense_quant integers equal on %.5f and within 1 LSB on %.5f of values%n",
                a.int8Accuracy, a.sameClass, a.equalValues, a.withinOneLsb);
        assertTrue(a.sameClass >= 0.999, "int8 and QAT predictions agree on only " + a.sameClass);
        assertTrue(a.withinOneLsb >= 0.9999, "integer outputs within 1 LSB on only " + a.withinOneLsb);
    }

    record Agreement(double int8Accuracy, double sameClass, double equalValues, double withinOneLsb) {}

    /** The exported model against the QAT network on the full test set, batch by batch. */
    static Agreement agreement(MultiLayerNetwork qat, Int8Model model, TrainTest mnist) {
        int dense = -1;
        for (int i = 0; i < qat.getnLayers(); i++) {
            if (("dense" + Qat.QUANTIZER_SUFFIX)
                    .equals(qat.getLayer(i).conf().getLayer().getLayerName())) {
                dense = i;
            }
        }
        float scale = qat.getLayer(dense).getParam(FakeQuantLayer.SCALE).getFloat(0);
        int zeroPoint =
                (int) qat.getLayer(dense).getParam(FakeQuantLayer.ZERO_POINT).getDouble(0);
        long images = 0, correct = 0, same = 0, values = 0, equal = 0, close = 0;
        DataSetIterator it = mnist.test().iterator().batchSize(500).build();
        while (it.hasNext()) {
            DataSet batch = it.next();
            INDArray x = batch.getFeatures();
            List<INDArray> acts = qat.feedForward(x, false);
            INDArray qatOut = acts.get(acts.size() - 1);
            INDArray qatDense = acts.get(dense + 1);
            for (int n = 0; n < x.size(0); n++, images++) {
                float[] image = x.slice(n).dup('c').data().asFloat();
                float[] probs = model.predict(image);
                int cls = argmax(probs);
                correct += cls == batch.getLabels().getRow(n).argMax().getInt(0) ? 1 : 0;
                same += cls == qatOut.getRow(n).argMax().getInt(0) ? 1 : 0;
                int[] q = model.quantizedOutput("dense", image);
                for (int k = 0; k < q.length; k++, values++) {
                    int expected = Math.round(qatDense.getFloat(n, k) / scale) + zeroPoint;
                    equal += q[k] == expected ? 1 : 0;
                    close += Math.abs(q[k] - expected) <= 1 ? 1 : 0;
                }
            }
        }
        return new Agreement(
                (double) correct / images, (double) same / images, (double) equal / values, (double) close / values);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    private static DataSetIterator iterator(TrainTest mnist, int subset, long seed) {
        return ImageSetIterator.builder(mnist.train())
                .batchSize(64)
                .shuffle(seed)
                .subset(subset, seed)
                .build();
    }

    private static double accuracy(MultiLayerNetwork net, TrainTest mnist) {
        Evaluation e = net.evaluate(mnist.test().iterator().batchSize(500).build());
        return e.accuracy();
    }
}

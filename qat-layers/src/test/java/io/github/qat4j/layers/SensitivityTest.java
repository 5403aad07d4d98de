package io.github.qat4j.layers;

import io.github.qat4j.core.runtime.Int8Model;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SensitivityTest {
    private static final int N = 48;
    private static final int BATCH = 20; // not a divisor of N: the last batch is short

    private final MultiLayerNetwork floatNet = trained();
    private final INDArray x = TestNets.images(N, 1, 28, 2, DataType.FLOAT).reshape(N, 784);
    private final INDArray y = TestNets.oneHot(N, 3, DataType.FLOAT);
    private final int[] labels = Nd4j.argMax(y, 1).toIntVector();

    @Test
    void eachPointIsTheNetworkWithThatLayerAtThatWidthEvaluatedDirectly() {
        MultiLayerNetwork qat = calibrated(new QatConfig());
        INDArray before = qat.output(x);
        Sensitivity s = Sensitivity.of(qat, x, labels, BATCH, List.of(8, 2));
        assertEquals(before, qat.output(x), "the analysis restores the network");
        assertEquals(List.of("conv1", "conv2", "dense", "output"), s.layers().stream().map(l -> l.layer()).toList());
        assertEquals(qat.score(new DataSet(x, y)), s.loss(), 1e-4);
        for (Sensitivity.LayerSensitivity l : s.layers()) {
            for (Sensitivity.Point p : l.points()) {
                MultiLayerNetwork direct = calibrated(new QatConfig().weightBits(l.layer(), p.bits()));
                copyActivationQuantizers(qat, direct);
                assertEquals(direct.score(new DataSet(x, y)), p.loss(), 1e-4, l.layer() + " at " + p.bits());
                Evaluation e = new Evaluation();
                e.eval(y, direct.output(x));
                assertEquals(e.accuracy(), p.accuracy(), 1e-12, l.layer() + " at " + p.bits());
                double sqnr = QuantizationReport.of(direct, x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, BATCH)))
                        .entries().stream().filter(q -> q.layer().equals(l.layer())).findFirst().orElseThrow().sqnrDb();
                assertEquals(sqnr, p.sqnrDb(), 1e-3, l.layer() + " at " + p.bits());
            }
            assertTrue(l.points().get(0).sqnrDb() > l.points().get(1).sqnrDb() + 10,
                    l.layer() + ": 8 bits should be far less noisy than 2: " + l.points());
        }
    }

    @Test
    void weightBytesAreTheBytesOfTheExportedFile() throws IOException {
        MultiLayerNetwork qat = calibrated(new QatConfig());
        Sensitivity s = Sensitivity.of(qat, x, labels, BATCH, List.of(8, 4));
        long at8 = exportedBytes(qat);
        BitAllocation all4 = BitAllocation.forWeightBytes(s, s.layers().stream().mapToLong(l -> l.weightBytes(4)).sum());
        long at4 = exportedBytes(calibrated(all4.applyTo(new QatConfig())));
        long weights8 = s.layers().stream().mapToLong(l -> l.weightBytes(8)).sum();
        assertEquals(at8 - at4, weights8 - all4.weightBytes());
        assertEquals(Map.of("conv1", 4, "conv2", 4, "dense", 4, "output", 4), all4.widths());
        BitAllocation fits = BitAllocation.forModelBytes(s, at4, at8);
        assertTrue(fits.weightBytes() <= all4.weightBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BitAllocation.forModelBytes(s, at4 - 1, at8));
        assertTrue(e.getMessage().contains("below the smallest choice"), e.getMessage());
    }

    @Test
    void theAllocationIsTheCheapestCombinationWithinTheBudget() {
        Sensitivity s = Sensitivity.of(calibrated(new QatConfig()), x, labels, BATCH, List.of(8, 4, 2));
        List<Sensitivity.LayerSensitivity> layers = s.layers();
        long min = layers.stream().mapToLong(l -> l.weightBytes(2)).sum();
        long max = layers.stream().mapToLong(l -> l.weightBytes(8)).sum();
        for (long budget = min; budget <= max; budget += (max - min) / 7) {
            BitAllocation a = BitAllocation.forWeightBytes(s, budget);
            double best = Double.POSITIVE_INFINITY;
            for (int combination = 0; combination < 81; combination++) { // every width of each of the 4 layers
                long bytes = 0;
                double cost = 0;
                for (int i = 0, c = combination; i < 4; i++, c /= 3) {
                    Sensitivity.Point p = layers.get(i).points().get(c % 3);
                    bytes += layers.get(i).weightBytes(p.bits());
                    cost += p.loss() - s.loss();
                }
                if (bytes <= budget) {
                    best = Math.min(best, cost);
                }
            }
            assertTrue(a.weightBytes() <= budget, a.weightBytes() + " > " + budget);
            assertEquals(best, a.predictedLossIncrease(), 1e-12, "budget " + budget);
        }
    }

    private MultiLayerNetwork calibrated(QatConfig config) {
        MultiLayerNetwork qat = Qat.prepare(floatNet, config);
        Qat.calibrate(qat, new SingletonDataSetIterator(new DataSet(x, y)), 1);
        return qat;
    }

    /** The activation ranges of {@code from}, so that only the weights differ. */
    private static void copyActivationQuantizers(MultiLayerNetwork from, MultiLayerNetwork to) {
        for (int i = 0; i < from.getnLayers(); i++) {
            Layer l = from.getLayer(i);
            if (l.conf().getLayer() instanceof FakeQuantLayer) {
                to.getLayer(i).setParams(l.params().dup());
            }
        }
    }

    private static long exportedBytes(MultiLayerNetwork qat) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Int8Exporter.export(qat, InputType.convolutionalFlat(28, 28, 1)).write(b);
        return b.size();
    }

    /** A small LeNet fitted a few steps, so that quantizing it changes its loss. */
    private static MultiLayerNetwork trained() {
        MultiLayerNetwork net = TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT);
        DataSet d = new DataSet(TestNets.images(48, 1, 28, 2, DataType.FLOAT).reshape(48, 784),
                TestNets.oneHot(48, 3, DataType.FLOAT));
        for (int i = 0; i < 20; i++) {
            net.fit(d);
        }
        return net;
    }
}

package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.layers.analysis.BitAllocation;
import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.analysis.Sensitivity;
import io.github.qat4j.layers.export.Int8Exporter;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
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
        assertEquals(
                List.of("conv1", "conv2", "dense", "output"),
                s.layers().stream().map(l -> l.layer()).toList());
        assertEquals(qat.score(new DataSet(x, y)), s.loss(), 1e-4);
        for (Sensitivity.LayerSensitivity l : s.layers()) {
            for (Sensitivity.Point p : l.points()) {
                MultiLayerNetwork direct = calibrated(new QatConfig().weightBits(l.layer(), p.bits()));
                copyActivationQuantizers(qat, direct);
                assertEquals(direct.score(new DataSet(x, y)), p.loss(), 1e-4, l.layer() + " at " + p.bits());
                Evaluation e = new Evaluation();
                e.eval(y, direct.output(x));
                assertEquals(e.accuracy(), p.accuracy(), 1e-12, l.layer() + " at " + p.bits());
                double sqnr =
                        QuantizationReport.of(direct, x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, BATCH)))
                                .entries()
                                .stream()
                                .filter(q -> q.layer().equals(l.layer()))
                                .findFirst()
                                .orElseThrow()
                                .sqnrDb();
                assertEquals(sqnr, p.sqnrDb(), 1e-3, l.layer() + " at " + p.bits());
            }
            assertTrue(
                    l.points().get(0).sqnrDb() > l.points().get(1).sqnrDb() + 10,
                    l.layer() + ": 8 bits should be far less noisy than 2: " + l.points());
        }
        Map<String, Integer> widths = Map.of("conv1", 3, "dense", 2, "output", 5);
        Sensitivity.Measurement m = Sensitivity.measure(qat, x, labels, BATCH, widths);
        assertEquals(before, qat.output(x), "measuring restores the network");
        QatConfig config = new QatConfig();
        widths.forEach(config::weightBits);
        MultiLayerNetwork direct = calibrated(config);
        copyActivationQuantizers(qat, direct);
        assertEquals(direct.score(new DataSet(x, y)), m.loss(), 1e-4);
        Evaluation e = new Evaluation();
        e.eval(y, direct.output(x));
        assertEquals(e.accuracy(), m.accuracy(), 1e-12);
    }

    @Test
    void weightBytesAreTheBytesOfTheExportedFile() throws IOException {
        MultiLayerNetwork qat = calibrated(new QatConfig());
        Sensitivity s = Sensitivity.of(qat, x, labels, BATCH, List.of(8, 5, 3, 2));
        long at8 = exportedBytes(qat);
        long weights8 = s.layers().stream().mapToLong(l -> l.weightBytes(8)).sum();
        for (int bits = 2; bits <= 8; bits++) {
            int b = bits;
            // Packed densely: ceil(n * bits / 8) bytes for each tensor of n weights.
            long saved = s.layers().stream()
                    .flatMap(l -> l.weightCounts().stream())
                    .mapToLong(n -> n - (n * b + 7) / 8)
                    .sum();
            long atBits = exportedBytes(calibrated(new QatConfig().weightBits(bits)));
            assertEquals(at8 - saved, atBits, bits + " bits");
            assertEquals(
                    at8
                            - weights8
                            + s.layers().stream()
                                    .mapToLong(l -> l.weightBytes(b))
                                    .sum(),
                    atBits);
        }
        long at2 = at8
                - weights8
                + s.layers().stream().mapToLong(l -> l.weightBytes(2)).sum();
        long budget = (at8 + at2) / 2;
        BitAllocation mixed = BitAllocation.forModelBytes(s, budget, at8);
        long exported = exportedBytes(calibrated(mixed.applyTo(new QatConfig())));
        assertEquals(
                at8 - weights8 + mixed.weightBytes(), exported, mixed.widths().toString());
        assertTrue(exported <= budget, exported + " > " + budget);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> BitAllocation.forModelBytes(s, at2 - 1, at8));
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
        List<BitAllocation> frontier = BitAllocation.frontier(s);
        assertEquals(
                Map.of("conv1", 2, "conv2", 2, "dense", 2, "output", 2),
                frontier.get(0).widths(),
                "the smallest model has every layer at 2 bits");
        for (int i = 0; i < frontier.size(); i++) {
            BitAllocation a = frontier.get(i);
            assertEquals(
                    BitAllocation.forWeightBytes(s, a.weightBytes()).predictedLossIncrease(),
                    a.predictedLossIncrease(),
                    1e-12,
                    "least increase for its bytes: " + a.widths());
            if (i > 0) {
                assertTrue(
                        a.weightBytes() > frontier.get(i - 1).weightBytes()
                                && a.predictedLossIncrease()
                                        < frontier.get(i - 1).predictedLossIncrease(),
                        a.widths().toString());
            }
        }
        BitAllocation uniform4 = BitAllocation.uniform(s, 4);
        assertEquals(layers.stream().mapToLong(l -> l.weightBytes(4)).sum(), uniform4.weightBytes());
        assertEquals(
                layers.stream()
                        .mapToDouble(l -> l.points().get(1).loss() - s.loss())
                        .sum(),
                uniform4.predictedLossIncrease(),
                1e-12);
        assertThrows(IllegalArgumentException.class, () -> BitAllocation.uniform(s, 5));
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

    @Test
    void mixedWidthsReadBackFromTheFileGiveTheExportedModelsScalarOutputs() throws IOException {
        QatConfig mixed = new QatConfig()
                .weightBits("conv1", 3)
                .weightBits("conv2", 5)
                .weightBits("dense", 2)
                .weightBits("output", 7);
        Int8Model exported = Int8Exporter.export(calibrated(mixed), InputType.convolutionalFlat(28, 28, 1));
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        exported.write(file);
        Int8Model loaded = Int8Model.load(new ByteArrayInputStream(file.toByteArray()));
        assertEquals(
                List.of(3, 5, 2, 7),
                loaded.ops().stream()
                        .filter(o -> o.weights() != null)
                        .map(o -> o.weights().bits())
                        .toList());
        Int8Model reference = exported.withScalarKernels();
        float[][] images = x.toFloatMatrix();
        for (int i = 0; i < N; i++) {
            assertArrayEquals(reference.predict(images[i]), loaded.predict(images[i]), "image " + i);
            for (int op = 0; op < loaded.opNames().size(); op++) {
                assertArrayEquals(reference.quantizedOutput(op, images[i]), loaded.quantizedOutput(op, images[i]));
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
        DataSet d = new DataSet(
                TestNets.images(48, 1, 28, 2, DataType.FLOAT).reshape(48, 784), TestNets.oneHot(48, 3, DataType.FLOAT));
        for (int i = 0; i < 20; i++) {
            net.fit(d);
        }
        return net;
    }
}

package io.github.qat4j.layers.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.datasets.ImageSetIterator;
import io.github.qat4j.datasets.Mnist;
import io.github.qat4j.datasets.TrainTest;
import io.github.qat4j.layers.TestNets;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.nio.file.Path;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * LeNet on real MNIST, briefly trained and QAT fine-tuned: on the full test set, ONNX Runtime running
 * the QDQ export on its own integer kernels predicts what qat4j's int8 runtime predicts, and the
 * float export computes what DL4J computes with fake quantization off.
 */
@Tag("real-data")
class MnistOnnxTest {
    private static final InputType MNIST = InputType.convolutionalFlat(28, 28, 1);

    @Test
    void onnxRuntimeAgreesWithTheInt8RuntimeOnTheMnistTestSet(@TempDir Path dir) throws Exception {
        TrainTest mnist = Mnist.load();
        MultiLayerNetwork net = TestNets.lenet(28, 20, 50, 500, 42, DataType.FLOAT);
        net.fit(
                ImageSetIterator.builder(mnist.train())
                        .batchSize(64)
                        .shuffle(1)
                        .subset(6_000, 1)
                        .build(),
                1);
        MultiLayerNetwork qat =
                Qat.prepare(net, new QatConfig().observeIterations(20).updater(new Adam(1e-4)));
        qat.fit(
                ImageSetIterator.builder(mnist.train())
                        .batchSize(64)
                        .shuffle(2)
                        .subset(3_000, 2)
                        .build(),
                1);

        Int8Model int8 = Int8Exporter.export(qat, MNIST);
        Path qdq = dir.resolve("lenet-qdq.onnx");
        Path optimized = dir.resolve("lenet-qdq-optimized.onnx");
        OnnxExporter.exportQdq(qat, MNIST, qdq);
        Map<String, Long> ops;
        long images = 0;
        long same = 0;
        long ortCorrect = 0;
        long int8Correct = 0;
        try (Ort ort = new Ort(Ort.read(qdq), optimized)) {
            ops = OnnxExportTest.opCounts(Ort.read(optimized));
            DataSetIterator it = mnist.test().iterator().batchSize(500).build();
            while (it.hasNext()) {
                DataSet batch = it.next();
                int n = (int) batch.getFeatures().size(0);
                INDArray x = batch.getFeatures().reshape(n, 784);
                float[][] fromOrt = ort.run(x);
                float[] fromInt8 = int8.predictBatch(x.dup('c').data().asFloat(), n);
                for (int i = 0; i < n; i++, images++) {
                    int label = batch.getLabels().getRow(i).argMax().getInt(0);
                    int a = argmax(fromOrt[i], 0, fromOrt[i].length);
                    int b = argmax(fromInt8, i * 10, 10);
                    same += a == b ? 1 : 0;
                    ortCorrect += a == label ? 1 : 0;
                    int8Correct += b == label ? 1 : 0;
                }
            }
        }
        double agreement = (double) same / images;
        System.out.printf(
                "MNIST test set (%d images): ONNX Runtime QDQ accuracy %.4f, qat4j int8 accuracy %.4f, "
                        + "same class on %.4f; ONNX Runtime ran %s%n",
                images, (double) ortCorrect / images, (double) int8Correct / images, agreement, ops);
        assertEquals(10_000, images);
        assertTrue(
                !ops.containsKey("Conv") && !ops.containsKey("Gemm") && ops.containsKey("QLinearConv"),
                "ONNX Runtime did not fuse the QDQ model into its integer kernels: " + ops);
        assertTrue(agreement >= 0.995, "ONNX Runtime and the int8 runtime agree on only " + agreement);

        Path floatModel = dir.resolve("lenet-float.onnx");
        OnnxExporter.exportFloat(qat, MNIST, floatModel);
        Qat.setFakeQuantEnabled(qat.getLayers(), false);
        double maxDiff = 0;
        try (Ort ort = new Ort(Ort.read(floatModel), null)) {
            DataSetIterator it = mnist.test().iterator().batchSize(500).build();
            while (it.hasNext()) {
                INDArray x = it.next().getFeatures();
                x = x.reshape(x.size(0), 784);
                INDArray expected = qat.output(x);
                float[][] actual = ort.run(x);
                for (int i = 0; i < actual.length; i++) {
                    for (int j = 0; j < actual[i].length; j++) {
                        maxDiff = Math.max(maxDiff, Math.abs(actual[i][j] - expected.getFloat(i, j)));
                    }
                }
            }
        }
        System.out.printf(
                "float export vs DL4J (fake quantization off) on the MNIST test set: max |diff| %.3g%n", maxDiff);
        assertTrue(maxDiff <= 1e-4, "float export differs from DL4J by " + maxDiff);
    }

    private static int argmax(float[] v, int from, int count) {
        int best = 0;
        for (int i = 1; i < count; i++) {
            best = v[from + i] > v[from + best] ? i : best;
        }
        return best;
    }
}

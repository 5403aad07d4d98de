package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class PrepareTest {
    @Test
    void disabledQuantizationComputesTheFloatLeNetExactly() {
        MultiLayerNetwork net = TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT);
        INDArray x = TestNets.images(8, 1, 28, 2, DataType.FLOAT).reshape(8, 784);
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig().disabled());
        assertEquals(net.output(x), qat.output(x));
        assertInstanceOf(FakeQuantLayer.class, qat.getLayer(0).conf().getLayer());
        assertInstanceOf(QatConvolution2D.class, qat.getLayer(1).conf().getLayer());
        assertInstanceOf(
                QatOutput.class, qat.getLayer(qat.getnLayers() - 1).conf().getLayer());
    }

    @Test
    void disabledQuantizationComputesTheFloatResidualGraphExactly() {
        ComputationGraph g = TestNets.residual(4, 3, DataType.FLOAT);
        INDArray x = TestNets.images(4, 3, 8, 4, DataType.FLOAT);
        ComputationGraph qat = Qat.prepare(g, new QatConfig().disabled());
        assertEquals(g.outputSingle(x), qat.outputSingle(x));
        assertInstanceOf(
                FakeQuantLayer.class,
                qat.getLayer("b0relu" + Qat.QUANTIZER_SUFFIX).conf().getLayer());
        assertInstanceOf(
                FakeQuantLayer.class,
                qat.getLayer("in" + Qat.QUANTIZER_SUFFIX).conf().getLayer());
    }

    @Test
    void enabledQuantizationStaysCloseToTheFloatNetwork() {
        MultiLayerNetwork net = TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT);
        INDArray x = TestNets.images(16, 1, 28, 2, DataType.FLOAT).reshape(16, 784);
        MultiLayerNetwork qat = Qat.prepare(net, new QatConfig());
        Qat.calibrate(
                qat,
                new org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator(
                        new DataSet(x, TestNets.oneHot(16, 1, DataType.FLOAT))),
                1);
        INDArray f = net.output(x);
        INDArray q = qat.output(x);
        assertNotEquals(f, q);
        assertTrue(
                f.sub(q).norm2Number().doubleValue() < 0.05 * f.norm2Number().doubleValue(),
                "int8 fake quantization moved the output by " + f.sub(q).norm2Number());
    }

    @Test
    void saveLoadAndResumeGiveIdenticalParametersAndScores(@TempDir Path dir) throws Exception {
        MultiLayerNetwork qat =
                Qat.prepare(TestNets.lenet(28, 6, 16, 32, 1, DataType.FLOAT), new QatConfig().observeIterations(2));
        DataSet batch = new DataSet(
                TestNets.images(16, 1, 28, 5, DataType.FLOAT).reshape(16, 784), TestNets.oneHot(16, 6, DataType.FLOAT));
        for (int i = 0; i < 3; i++) {
            qat.fit(batch);
        }
        File file = dir.resolve("qat.zip").toFile();
        ModelSerializer.writeModel(qat, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(qat.params(), restored.params());
        assertEquals(qat.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        for (int i = 0; i < 3; i++) {
            qat.fit(batch);
            restored.fit(batch);
        }
        assertEquals(qat.params(), restored.params());
        assertEquals(qat.score(), restored.score(), 0.0);
    }

    @Test
    void unsupportedLayersAreNamed() {
        var conf = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .list()
                .layer(new org.deeplearning4j.nn.conf.layers.LSTM.Builder()
                        .name("lstm")
                        .nIn(3)
                        .nOut(4)
                        .build())
                .layer(new org.deeplearning4j.nn.conf.layers.RnnOutputLayer.Builder()
                        .nIn(4)
                        .nOut(2)
                        .build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Qat.prepare(net, new QatConfig()));
        assertTrue(e.getMessage().contains("\"lstm\"") && e.getMessage().contains("LSTM"), e.getMessage());
    }
}

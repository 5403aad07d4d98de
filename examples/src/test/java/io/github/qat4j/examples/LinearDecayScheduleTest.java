package io.github.qat4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class LinearDecayScheduleTest {
    @Test
    void fallsLinearlyToZeroAndStaysThere() {
        LinearDecaySchedule s = new LinearDecaySchedule(1e-3, 100);
        assertEquals(1e-3, s.valueAt(0, 0), 0);
        assertEquals(0.75e-3, s.valueAt(25, 0), 1e-18);
        assertEquals(1e-5, s.valueAt(99, 3), 1e-18);
        assertEquals(0, s.valueAt(100, 4), 0);
        assertEquals(0, s.valueAt(1000, 9), 0);
        assertThrows(IllegalArgumentException.class, () -> new LinearDecaySchedule(1e-3, 0));
    }

    @Test
    void isTheRateDl4jTrainsWithAndSurvivesACheckpoint() throws Exception {
        MultiLayerNetwork net = Models.lenet(1, Updaters.adamLinearDecay(2e-3, 10));
        DataSet batch = new DataSet(Nd4j.rand(4, 1, 28, 28), Nd4j.eye(10).getRows(0, 1, 2, 3));
        for (int i = 0; i < 4; i++) {
            net.fit(batch);
        }
        assertEquals(2e-3 * (1 - 4 / 10.0), net.getLearningRate(0), 1e-12);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        MultiLayerNetwork restored =
                ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(net.getLearningRate(0), restored.getLearningRate(0), 0);
    }
}

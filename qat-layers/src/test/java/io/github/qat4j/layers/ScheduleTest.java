package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.layers.analysis.QuantizationReport;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** The staged schedule of the scales: observe, then learn, then freeze; and the quantization report. */
class ScheduleTest {
    private static final DataSet BATCH = new DataSet(
            TestNets.images(16, 1, 20, 3, DataType.FLOAT).reshape(16, 400), TestNets.oneHot(16, 4, DataType.FLOAT));

    private static MultiLayerNetwork net(int observe, int freeze) {
        return Qat.prepare(
                TestNets.lenet(20, 4, 8, 16, 9, DataType.FLOAT),
                new QatConfig().observeIterations(observe).freezeIteration(freeze));
    }

    private static float scale(Layer quantizer) {
        return quantizer.getParam(FakeQuantLayer.SCALE).getFloat(0);
    }

    @Test
    void activationScalesFollowTheObserverThenLearnThenFreeze() {
        MultiLayerNetwork net = net(2, 4);
        Layer conv1Quant = net.getLayer(2);
        assertEquals(
                "conv1" + Qat.QUANTIZER_SUFFIX, conv1Quant.conf().getLayer().getLayerName());
        net.fit(BATCH);
        // Observe: first batch sets the range; scale = (max - min) / 255 with the range widened to 0.
        float min = Math.min(0, conv1Quant.getParam(FakeQuantLayer.RUNNING_MIN).getFloat(0));
        float max = Math.max(0, conv1Quant.getParam(FakeQuantLayer.RUNNING_MAX).getFloat(0));
        assertEquals((max - min) / 255, scale(conv1Quant), 1e-6f * scale(conv1Quant));
        net.fit(BATCH);
        float observed = scale(conv1Quant);
        INDArray runningMax = conv1Quant.getParam(FakeQuantLayer.RUNNING_MAX).dup();
        net.fit(BATCH);
        net.fit(BATCH);
        assertNotEquals(observed, scale(conv1Quant), "learn stage: the LSQ gradient moves the scale");
        assertEquals(runningMax, conv1Quant.getParam(FakeQuantLayer.RUNNING_MAX), "the observer stopped");
        float frozen = scale(conv1Quant);
        INDArray frozenWeights =
                net.getLayer(1).getParam(QatWeightLayer.SCALE_KEY).dup();
        net.fit(BATCH);
        net.fit(BATCH);
        assertEquals(frozen, scale(conv1Quant), "frozen");
        assertEquals(frozenWeights, net.getLayer(1).getParam(QatWeightLayer.SCALE_KEY), "frozen weight scales");
    }

    @Test
    void disabledObserversKeepTheCalibratedRangeAndLearnTheScaleFromTheNextIteration() {
        MultiLayerNetwork net = net(100, -1);
        Qat.calibrate(net, new org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator(BATCH), 1);
        Layer conv1Quant = net.getLayer(2);
        INDArray observerState = observerState(conv1Quant);
        float calibrated = scale(conv1Quant);
        Qat.disableObservers(net.getLayers());
        net.fit(BATCH);
        net.fit(BATCH);
        assertEquals(observerState, observerState(conv1Quant), "min, max, zero point and flag stay as calibrated");
        assertNotEquals(
                calibrated, scale(conv1Quant), "learn stage from iteration 0: the LSQ gradient moves the scale");
    }

    private static INDArray observerState(Layer quantizer) {
        return org.nd4j.linalg.factory.Nd4j.concat(
                0,
                quantizer.getParam(FakeQuantLayer.ZERO_POINT),
                quantizer.getParam(FakeQuantLayer.RUNNING_MIN),
                quantizer.getParam(FakeQuantLayer.RUNNING_MAX),
                quantizer.getParam(FakeQuantLayer.OBSERVED));
    }

    @Test
    void reportShowsEveryQuantizerAndInfiniteSqnrWhenNothingIsQuantized() {
        MultiLayerNetwork net = net(1, -1);
        net.fit(BATCH);
        QuantizationReport report = QuantizationReport.of(net, BATCH.getFeatures());
        assertEquals(8, report.entries().size(), report.toString());
        for (QuantizationReport.Entry e : report.entries()) {
            assertEquals(8, e.bits());
            assertTrue(
                    e.scaleMin() > 0 && e.scaleMin() <= e.scaleMedian() && e.scaleMedian() <= e.scaleMax(),
                    e.toString());
            // After one Adam step the largest weight of a channel may pass its max-abs scale: one in 25 here.
            assertTrue(e.clippedFraction() >= 0 && e.clippedFraction() <= 0.05, e.toString());
            assertTrue(e.sqnrDb() > 20 && Double.isFinite(e.sqnrDb()), e.toString());
            assertEquals(0, e.collapsedScales(), e.toString());
        }
        // A weight scale at the floor silences its channel: counted, and the layer's SQNR collapses.
        INDArray conv1Scales = net.getLayer(1).getParam(QatWeightLayer.SCALE_KEY);
        double before = report.entries().get(1).sqnrDb();
        conv1Scales.putScalar(0, QuantSpec.MIN_SCALE);
        QuantizationReport.Entry collapsed =
                QuantizationReport.of(net, BATCH.getFeatures()).entries().get(1);
        assertEquals("weights", collapsed.tensor());
        assertEquals(1, collapsed.collapsedScales(), collapsed.toString());
        assertTrue(collapsed.sqnrDb() < before - 3, before + " dB, then " + collapsed);
        Qat.setFakeQuantEnabled(net.getLayers(), false);
        QuantizationReport off = QuantizationReport.of(net, BATCH.getFeatures());
        assertTrue(off.entries().stream().allMatch(e -> e.sqnrDb() == Double.POSITIVE_INFINITY), off.toString());
    }
}

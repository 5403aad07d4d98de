package io.github.qat4j.layers.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.OpInfo;
import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.TestNets;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.util.List;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;

/** {@link Int8Comparison} on a residual graph with folded BatchNorm, against the graph it was exported from. */
class Int8ComparisonTest {
    private static final int N = 128;

    @Test
    void everyOpAloneIsWithinOneLsbOfItsFakeQuantizedTwin() {
        INDArray x = TestNets.images(N, 3, 8, 31, DataType.FLOAT);
        ComputationGraph qat = calibrated(x, 32);
        Int8Model model = Int8Exporter.export(qat, InputType.convolutional(8, 8, 3));
        Int8Comparison c = Int8Comparison.of(qat, model, x);

        assertEquals(N, c.images());
        // every op with a fixed-scale output is compared: all but the last (float logits)
        List<String> ops = model.ops().stream().map(OpInfo::name).toList();
        assertEquals(
                ops.subList(0, ops.size() - 1),
                c.tensors().stream().map(Int8Comparison.Tensor::op).toList());
        for (Int8Comparison.Tensor t : c.tensors()) {
            assertEquals(
                    (long) N
                            * model.ops().get(ops.indexOf(t.op())).outputShape().stream()
                                    .mapToLong(Integer::longValue)
                                    .reduce(1, (a, b) -> a * b),
                    t.values(),
                    t.op());
            // Requantization rounds the exact product once, as the QAT network's float arithmetic
            // does, and the global average pool requantizes its mean to the grid of the quantizer the
            // QAT network has after it: what is left is float32 rounding in training, rare, and never
            // more than 1 LSB, through the model too.
            assertTrue(t.maxLsb() <= 1 && t.aloneMaxLsb() <= 1, t.toString());
            assertTrue(t.aloneExact() >= 0.9995 && t.exact() >= 0.9995, t.toString());
            assertEquals(0, t.overOneLsb(), t.toString());
        }
        // the first op reads the model input, so through the model and alone are the same run
        Int8Comparison.Tensor stem = c.tensors().get(0);
        assertEquals(stem.maxLsb(), stem.aloneMaxLsb());
        assertEquals(stem.exact(), stem.aloneExact());
        assertEquals("stem" + Qat.QUANTIZER_SUFFIX, stem.activation());
        assertEquals(
                "pool" + Qat.QUANTIZER_SUFFIX,
                c.tensors().get(c.tensors().size() - 1).activation());
        assertTrue(c.sameClass() >= 0.99, c.toString());
        assertTrue(c.toString().contains("b1add"), c.toString());
    }

    @Test
    void aModelFromAnotherStateOfTheNetworkIsRefused() {
        INDArray x = TestNets.images(N, 3, 8, 33, DataType.FLOAT);
        ComputationGraph qat = calibrated(x, 34);
        Int8Model model = Int8Exporter.export(qat, InputType.convolutional(8, 8, 3));
        qat.getLayer("b0relu" + Qat.QUANTIZER_SUFFIX)
                .getParam(FakeQuantLayer.SCALE)
                .muli(1.5);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Int8Comparison.of(qat, model, x));
        assertTrue(e.getMessage().contains("\"b0add\""), e.getMessage());
    }

    private static ComputationGraph calibrated(INDArray x, long seed) {
        ComputationGraph qat = Qat.prepare(TestNets.residual(8, seed, DataType.FLOAT, true), new QatConfig());
        Qat.calibrate(qat, new SingletonDataSetIterator(new DataSet(x, TestNets.oneHot(N, seed, DataType.FLOAT))), 1);
        return qat;
    }
}

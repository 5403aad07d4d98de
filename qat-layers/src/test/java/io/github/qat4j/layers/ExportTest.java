package io.github.qat4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.layers.export.Int8Exporter;
import io.github.qat4j.layers.prepare.Qat;
import io.github.qat4j.layers.prepare.QatConfig;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;

/** The int8 export of residual graphs (with and without BatchNorm folding) against the QAT graph. */
class ExportTest {
    private static final int N = 256;

    @Test
    void residualGraphAgreesWithItsQatVersion() {
        checkAgreement(TestNets.residual(8, 21, DataType.FLOAT, false));
    }

    @Test
    void residualGraphWithFoldedBatchNormAgreesWithItsQatVersion() {
        checkAgreement(TestNets.residual(8, 22, DataType.FLOAT, true));
    }

    private static void checkAgreement(ComputationGraph floatGraph) {
        INDArray x = TestNets.images(N, 3, 8, 23, DataType.FLOAT);
        ComputationGraph qat = Qat.prepare(floatGraph, new QatConfig());
        Qat.calibrate(qat, new SingletonDataSetIterator(new DataSet(x, TestNets.oneHot(N, 24, DataType.FLOAT))), 1);
        Int8Model model = Int8Exporter.export(qat, InputType.convolutional(8, 8, 3));

        String last = "b1relu";
        var quantizer = qat.getLayer(last + Qat.QUANTIZER_SUFFIX);
        float scale = quantizer.getParam(FakeQuantLayer.SCALE).getFloat(0);
        int zeroPoint = (int) quantizer.getParam(FakeQuantLayer.ZERO_POINT).getDouble(0);
        Map<String, INDArray> acts = qat.feedForward(x, false);
        INDArray qatOut = acts.get("out");
        INDArray qatLast = acts.get(last + Qat.QUANTIZER_SUFFIX);
        int same = 0;
        long values = 0;
        long withinOne = 0;
        long withinTwo = 0;
        for (int n = 0; n < N; n++) {
            float[] image = x.slice(n).dup('c').data().asFloat();
            float[] probs = model.predict(image);
            same += argmax(probs) == qatOut.getRow(n).argMax().getInt(0) ? 1 : 0;
            int[] q = model.quantizedOutput("b1add", image);
            float[] expected = qatLast.slice(n).dup('c').data().asFloat();
            assertEquals(expected.length, q.length);
            for (int k = 0; k < q.length; k++, values++) {
                int d = Math.abs(q[k] - (Math.round(expected[k] / scale) + zeroPoint));
                withinOne += d <= 1 ? 1 : 0;
                withinTwo += d <= 2 ? 1 : 0;
            }
        }
        System.out.printf(
                "residual graph: same class on %d of %d, last quantized output within 1 LSB on %.5f, "
                        + "within 2 LSB on %.5f%n",
                same, N, (double) withinOne / values, (double) withinTwo / values);
        // The global average pool averages exact integers in the runtime and rounds, where the QAT
        // graph averages without rounding: near ties of random logits may flip.
        assertTrue(same >= 0.99 * N, "same class on " + same + " of " + N);
        // Requantization rounds the exact product once, as the fake-quantized graph does; what is left
        // is the int32 bias, rounded to units of s_in * s_w, which moves a rare rounding by 1 LSB, and
        // an add of two inputs each 1 LSB off.
        assertTrue(withinOne >= 0.999 * values, "within 1 LSB: " + withinOne + " of " + values);
        assertTrue(withinTwo >= 0.99999 * values, "within 2 LSB: " + withinTwo + " of " + values);
    }

    @Test
    void layersWithoutAnInt8OpAreNamed() {
        ComputationGraph qat = Qat.prepare(TestNets.residual(4, 3, DataType.FLOAT), new QatConfig().skip("b0b"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Int8Exporter.export(qat, InputType.convolutional(8, 8, 3)));
        assertTrue(e.getMessage().contains("\"b0b\""), e.getMessage());
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }
}

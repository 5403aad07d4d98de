package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Int8Model#ops()} against what was given to the builder and shapes worked out by hand. */
class OpInfoTest {

    private static final TensorQuantization IN = new TensorQuantization(0.02f, 10, 8);
    private static final TensorQuantization Q1 = new TensorQuantization(0.05f, 20, 8);
    private static final TensorQuantization Q2 = new TensorQuantization(0.1f, 0, 8);
    private static final TensorQuantization Q3 = new TensorQuantization(0.2f, 128, 8);
    private static final TensorQuantization Q4 = new TensorQuantization(0.07f, 3, 6);

    @Test
    void describesEveryOpAsBuilt() throws IOException {
        Random rnd = new Random(3);
        Int8Model model = Int8Model.builder(new int[] {2, 8, 8}, IN)
                .conv2d(
                        "conv",
                        RandomModels.weights(rnd, 4 * 2 * 9, 8),
                        new int[] {4, 2, 3, 3},
                        8,
                        new float[] {0.01f, 0.03f, 0.02f, 0.005f},
                        null,
                        new int[] {1, 1},
                        new int[] {1, 1, 1, 1},
                        new int[] {1, 1},
                        1,
                        Q1,
                        Activation.RELU)
                .conv2d(
                        "dw",
                        RandomModels.weights(rnd, 8 * 9, 4),
                        new int[] {8, 1, 3, 3},
                        4,
                        new float[] {0.04f},
                        null,
                        new int[] {2, 2},
                        new int[] {1, 1, 0, 0},
                        new int[] {1, 1},
                        4,
                        Q2,
                        Activation.RELU6)
                .maxPool("max", new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0})
                .avgPool("avg", new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0})
                .add("add", 3, Q3, Activation.NONE)
                .reshape("reshape", 2, 4, 4)
                .globalAvgPool("gap")
                .dense(
                        "fc",
                        RandomModels.weights(rnd, 6 * 2, 3),
                        6,
                        3,
                        new float[] {0.3f, 0.1f, 0.2f, 0.6f, 0.5f, 0.4f},
                        null,
                        Q4,
                        Activation.NONE)
                .denseLogits("logits", RandomModels.weights(rnd, 3 * 6, 8), 3, 8, new float[] {0.02f}, null)
                .softmax()
                .build();
        List<OpInfo> ops = model.ops();
        assertEquals(model.opNames(), ops.stream().map(OpInfo::name).toList());
        assertTrue(model.softmax());

        expect(
                ops.get(0),
                OpInfo.Kind.CONV2D,
                List.of(List.of(2, 8, 8)),
                List.of(4, 8, 8),
                Q1,
                Activation.RELU,
                4L * 8 * 8 * 2 * 9);
        assertEquals(new OpInfo.Weights(8, 72, 0.005f, 0.03f), ops.get(0).weights());
        expect(
                ops.get(1),
                OpInfo.Kind.DEPTHWISE_CONV2D,
                List.of(List.of(4, 8, 8)),
                List.of(8, 4, 4),
                Q2,
                Activation.RELU6,
                8L * 4 * 4 * 9);
        assertEquals(new OpInfo.Weights(4, 72, 0.04f, 0.04f), ops.get(1).weights());
        expect(ops.get(2), OpInfo.Kind.MAX_POOL, List.of(List.of(8, 4, 4)), List.of(8, 2, 2), Q2, null, 0);
        expect(ops.get(3), OpInfo.Kind.AVG_POOL, List.of(List.of(8, 2, 2)), List.of(8, 2, 2), Q2, null, 0);
        expect(
                ops.get(4),
                OpInfo.Kind.ADD,
                List.of(List.of(8, 2, 2), List.of(8, 2, 2)),
                List.of(8, 2, 2),
                Q3,
                Activation.NONE,
                0);
        expect(ops.get(5), OpInfo.Kind.RESHAPE, List.of(List.of(8, 2, 2)), List.of(2, 4, 4), Q3, null, 0);
        expect(ops.get(6), OpInfo.Kind.GLOBAL_AVG_POOL, List.of(List.of(2, 4, 4)), List.of(2), Q3, null, 0);
        expect(ops.get(7), OpInfo.Kind.DENSE, List.of(List.of(2)), List.of(6), Q4, Activation.NONE, 12);
        assertEquals(new OpInfo.Weights(3, 12, 0.1f, 0.6f), ops.get(7).weights());
        expect(ops.get(8), OpInfo.Kind.DENSE, List.of(List.of(6)), List.of(3), null, null, 18);
        assertEquals(new OpInfo.Weights(8, 18, 0.02f, 0.02f), ops.get(8).weights());
        for (int i = 2; i < 7; i++) {
            assertNull(ops.get(i).weights(), ops.get(i).name());
        }

        // fc's section: framing 12, name 2 + 2, input 4, sizes 8; weight bits, output kind, quantization 9,
        // clamp 8; per channel scale 4, output bias 8, multiplier 4, shift 4; twelve 3-bit weights in 36 bits
        assertEquals(12 + 4 + 4 + 8 + 2 + 9 + 8 + 6 * 20 + 5, ops.get(7).fileBytes());
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        model.write(file);
        long sections = ops.stream().mapToLong(OpInfo::fileBytes).sum();
        // header 12, INPUT (framing 12, rank 1 + 3 dimensions, kind 1, quantization 9, preprocessing 1), OUTPUT
        // 12 + 1, END 12
        assertEquals(file.size(), 12 + 12 + 13 + 1 + 9 + 1 + sections + 13 + 12);

        assertThrows(
                UnsupportedOperationException.class,
                () -> ops.get(0).outputShape().set(0, 5));
        assertThrows(
                UnsupportedOperationException.class,
                () -> ops.get(4).inputShapes().get(1).add(1));
    }

    @Test
    void reluOnARangeStartingAtZeroIsReportedAsRelu() {
        TensorQuantization q = new TensorQuantization(0.1f, 0, 8);
        for (Activation a : new Activation[] {Activation.NONE, Activation.RELU, Activation.RELU6}) {
            Int8Model model = Int8Model.builder(new int[] {3}, IN)
                    .dense("fc", new byte[] {1, 2, 3}, 1, 8, new float[] {0.1f}, null, q, a)
                    .build();
            // 6 / 0.1 = 60 is inside [0, 255], so only ReLU6 clamps more than the range does
            assertEquals(
                    a == Activation.RELU6 ? Activation.RELU6 : Activation.RELU,
                    model.ops().get(0).activation());
        }
    }

    private static void expect(
            OpInfo op,
            OpInfo.Kind kind,
            List<List<Integer>> inputs,
            List<Integer> output,
            TensorQuantization quantization,
            Activation activation,
            long macs) {
        assertEquals(kind, op.kind(), op.name());
        assertEquals(inputs, op.inputShapes(), op.name());
        assertEquals(output, op.outputShape(), op.name());
        assertEquals(quantization, op.outputQuantization(), op.name());
        assertEquals(activation, op.activation(), op.name());
        assertEquals(macs, op.macs(), op.name());
        assertTrue(op.fileBytes() > 12, op.name());
    }
}

package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.quant.QuantSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Weights packed at their width (versions 2 and 3), and version 1 and 2 files still read as they were. */
class WeightPackingTest {

    /**
     * The model of {@code version1-mixed-widths.q8}, written by the version 1 writer (commit 003f6f8):
     * weights of 3 bits (27 of them, so an unused last nibble), 6, 2 and 5 bits.
     */
    static Int8Model version1Fixture() {
        Random rnd = new Random(41);
        int[] none = {0, 0, 0, 0};
        int[] one = {1, 1};
        return Int8Model.builder(new int[] {1, 6, 6}, new TensorQuantization(1f / 255, 0, 8))
                .conv2d(
                        "conv3",
                        RandomModels.weights(rnd, 3 * 9, 3),
                        new int[] {3, 1, 3, 3},
                        3,
                        RandomModels.floats(rnd, 3, 0.02f, 0.05f),
                        RandomModels.floats(rnd, 3, -0.1f, 0.1f),
                        one,
                        none,
                        one,
                        1,
                        new TensorQuantization(0.01f, 0, 8),
                        Activation.RELU)
                .conv2d(
                        "conv6",
                        RandomModels.weights(rnd, 3 * 3 * 9, 6),
                        new int[] {3, 3, 3, 3},
                        6,
                        RandomModels.floats(rnd, 3, 0.005f, 0.01f),
                        RandomModels.floats(rnd, 3, -0.1f, 0.1f),
                        one,
                        none,
                        one,
                        1,
                        new TensorQuantization(0.02f, 0, 8),
                        Activation.RELU)
                .flatten("flatten")
                .dense(
                        "dense2",
                        RandomModels.weights(rnd, 5 * 12, 2),
                        5,
                        2,
                        RandomModels.floats(rnd, 5, 0.05f, 0.1f),
                        RandomModels.floats(rnd, 5, -0.1f, 0.1f),
                        new TensorQuantization(0.05f, 3, 8),
                        Activation.NONE)
                .denseLogits(
                        "logits5",
                        RandomModels.weights(rnd, 3 * 5, 5),
                        3,
                        5,
                        RandomModels.floats(rnd, 3, 0.01f, 0.05f),
                        RandomModels.floats(rnd, 3, -0.5f, 0.5f))
                .softmax()
                .build();
    }

    /** The packing of qat-core/README.md written out bit by bit. */
    private static byte[] packBitByBit(byte[] weights, int bits) {
        byte[] packed = new byte[(weights.length * bits + 7) / 8];
        int k = 0;
        for (byte w : weights) {
            for (int j = 0; j < bits; j++, k++) {
                if ((w >> j & 1) == 1) {
                    packed[k / 8] |= (byte) (1 << (k % 8));
                }
            }
        }
        return packed;
    }

    @Test
    void everyWidthRoundTripsAndPacksAsSpecified() {
        Random rnd = new Random(42);
        for (int bits = 2; bits <= 8; bits++) {
            QuantSpec spec = QuantSpec.weights(bits);
            for (int count : new int[] {1, 2, 3, 7, 8, 9, 15, 16, 17, 1001}) {
                byte[] w = RandomModels.weights(rnd, count, bits);
                w[0] = (byte) spec.qmin();
                w[count - 1] = (byte) spec.qmax();
                byte[] packed = ModelFormat.pack(w, bits);
                String where = count + " weights of " + bits + " bits";
                assertEquals(Int8Model.weightBytes(bits, count), packed.length, where);
                assertArrayEquals(packBitByBit(w, bits), packed, where);
                byte[] framed = new byte[packed.length + 3];
                System.arraycopy(packed, 0, framed, 3, packed.length);
                assertArrayEquals(w, ModelFormat.unpack(framed, 3, count, bits), where);
            }
        }
        // 3 bits: -3 = 101, 3 = 011, 1 = 001 -> stream 101 110 100 (LSB first).
        assertArrayEquals(new byte[] {(byte) 0b01_011_101, 0b0}, ModelFormat.pack(new byte[] {-3, 3, 1}, 3));
        assertArrayEquals(new byte[] {(byte) 0b01_011_101, 0b0}, packBitByBit(new byte[] {-3, 3, 1}, 3));
    }

    private static byte[] fixtureBytes() throws IOException {
        return resource("version1-mixed-widths.q8");
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = WeightPackingTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void version1FileLoadsWithTheSameWeightsAndRewritesToTheSameOutputs() throws IOException {
        byte[] v1 = fixtureBytes();
        assertEquals(1, ModelFiles.le(v1).getInt(8));
        Int8Model loaded = Int8Model.load(new ByteArrayInputStream(v1));
        Graph expected = version1Fixture().graphForTests();
        for (int op = 0; op < expected.ops().size(); op++) {
            assertArrayEquals(
                    weights(expected.ops().get(op)),
                    weights(loaded.graphForTests().ops().get(op)),
                    "op " + op);
        }
        // Written again as the current version, its int32 biases become output biases b * m: the same integers.
        byte[] current = ModelFormat.write(loaded.graphForTests());
        assertEquals(ModelFormat.VERSION, ModelFiles.le(current).getInt(8));
        Int8Model rewritten = Int8Model.load(new ByteArrayInputStream(current));
        assertArrayEquals(current, ModelFormat.write(rewritten.graphForTests()));
        // Weight bytes, version 1 -> current: conv3 (27 weights) 14 -> 11, conv6 (81) 81 -> 61, dense2 (60) 30 -> 15,
        // logits5 (15) 15 -> 10; the INPUT kind byte of version 3 and preprocessing byte of version 5; 8 instead of 4
        // bias bytes per requantized channel.
        assertEquals(v1.length - 3 - 20 - 15 - 5 + 2 + 4 * requantizedChannels(expected), current.length);
        assertEquals(InputPreprocessing.NOT_RECORDED, loaded.inputPreprocessing());
        Random rnd = new Random(43);
        for (int trial = 0; trial < 20; trial++) {
            float[] x = RandomModels.floats(rnd, 36, 0f, 1f);
            assertArrayEquals(loaded.predict(x), rewritten.predict(x));
            for (int op = 0; op < loaded.opNames().size(); op++) {
                assertArrayEquals(loaded.quantizedOutput(op, x), rewritten.quantizedOutput(op, x), "op " + op);
            }
        }
    }

    @Test
    void version2FileLoadsAsTheSameModelAsVersion1() throws IOException {
        // The same model written by the version 2 writer (commit 96535c3): no INPUT kind byte.
        byte[] v2 = resource("version2-mixed-widths.q8");
        assertEquals(2, ModelFiles.le(v2).getInt(8));
        Int8Model loaded = Int8Model.load(new ByteArrayInputStream(v2));
        Int8Model v1 = Int8Model.load(new ByteArrayInputStream(fixtureBytes()));
        assertEquals(InputPreprocessing.NOT_RECORDED, loaded.inputPreprocessing());
        assertArrayEquals(ModelFormat.write(v1.graphForTests()), ModelFormat.write(loaded.graphForTests()));
        Random rnd = new Random(45);
        for (int trial = 0; trial < 20; trial++) {
            float[] x = RandomModels.floats(rnd, 36, 0f, 1f);
            assertArrayEquals(v1.predict(x), loaded.predict(x));
        }
    }

    private static byte[] weights(Op op) {
        return op instanceof Op.Conv2D c ? c.weights() : op instanceof Op.Dense d ? d.weights() : new byte[0];
    }

    private static int requantizedChannels(Graph g) {
        int channels = 0;
        for (Op op : g.ops()) {
            Op.Output out = op instanceof Op.Conv2D c ? c.output() : op instanceof Op.Dense d ? d.output() : null;
            if (out instanceof Op.Requantized r) {
                channels += r.outputMultiplier().length;
            }
        }
        return channels;
    }

    @Test
    void mixedWidthModelsReadBackMatchTheNaiveEvaluatorOnScalarKernels() throws IOException {
        Random rnd = new Random(44);
        for (int trial = 0; trial < 60; trial++) {
            Graph g = RandomModels.random(rnd).graph();
            Int8Model loaded = new Int8Model(ModelFormat.read(ModelFormat.write(g)), new ScalarInt8Kernels());
            float[] x = RandomModels.input(rnd, g.input().size());
            int[][] expected = RandomModels.evaluate(g, x);
            for (int op = 0; op < g.ops().size(); op++) {
                assertArrayEquals(expected[op + 1], loaded.quantizedOutput(op, x), "trial " + trial + " op " + op);
            }
        }
    }

    /** The logits5 section of the fixture written as version 2: its offset and payload length. */
    private static int[] logitsSection(byte[] file) {
        int start = ModelFiles.sections(file).get(5);
        return new int[] {start, ModelFiles.le(file).getInt(start + 4)};
    }

    private static ModelFormatException reject(byte[] file) {
        return assertThrows(ModelFormatException.class, () -> ModelFormat.read(ModelFiles.reseal(file)));
    }

    @Test
    void badPackedWeightsNameTheLayerAndTheProblem() {
        byte[] file = ModelFormat.write(version1Fixture().graphForTests());
        int[] logits = logitsSection(file);
        int payload = logits[0] + 8;
        // name "logits5" (2 + 7 bytes), input, in_features, out_features, then weight_bits.
        int bitsAt = payload + 9 + 12;
        assertEquals(5, file[bitsAt]);

        for (int bits : new int[] {0, 1, 9, 255}) {
            byte[] bad = file.clone();
            bad[bitsAt] = (byte) bits;
            ModelFormatException e = reject(bad);
            assertTrue(e.getMessage().contains("'logits5'") && e.getMessage().contains("got " + bits), e.getMessage());
            assertEquals(bitsAt, e.offset());
        }

        // One byte less of packed weights: the section ends one byte early.
        byte[] cut = new byte[file.length - 1];
        int end = payload + logits[1];
        System.arraycopy(file, 0, cut, 0, end - 1);
        System.arraycopy(file, end, cut, end - 1, file.length - end);
        ModelFiles.le(cut).putInt(logits[0] + 4, logits[1] - 1);
        ModelFormatException e = reject(cut);
        assertTrue(
                e.getMessage().contains("truncated")
                        && e.getMessage().contains("'logits5' (15 at 5 bits)")
                        && e.getMessage().contains("section 3"),
                e.getMessage());

        // 15 weights of 5 bits use 3 bits of the last byte.
        byte[] padded = file.clone();
        padded[end - 1] |= (byte) 0x80;
        e = reject(padded);
        assertTrue(e.getMessage().contains("'logits5'") && e.getMessage().contains("unused"), e.getMessage());
        assertEquals(end - 1, e.offset());

        // A 5-bit code of -16 is outside the symmetric range [-15, 15].
        byte[] outside = file.clone();
        outside[end - 10] = (byte) (outside[end - 10] & ~0x1F | 0x10);
        e = reject(outside);
        assertTrue(e.getMessage().contains("'logits5': weight 0 = -16 outside [-15, 15] for 5 bits"), e.getMessage());
    }
}

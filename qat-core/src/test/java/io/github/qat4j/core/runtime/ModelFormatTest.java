package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every kind of malformed file is a ModelFormatException that says what and where. */
class ModelFormatTest {

    /**
     * A small random model with a requantized average pool (without one a version 5 file reads the
     * same as version 4, so a flipped version byte would go unnoticed, harmlessly) and a standardizing
     * input preprocessing.
     */
    private static byte[] smallModel() {
        for (int seed = 21; ; seed++) {
            Graph g = RandomModels.random(new Random(seed)).graph();
            if (g.ops().stream()
                    .anyMatch(op -> op instanceof Op.GlobalAvgPool p && p.averaged() != null
                            || op instanceof Op.Pool q && q.averaged() != null)) {
                return ModelFormat.write(standardized(g));
            }
        }
    }

    /** {@code g} recording a standardizing preprocessing with means 0.1, 0.2, ... and stds 0.5, 0.6, .... */
    private static Graph standardized(Graph g) {
        double[] mean = new double[Graph.inputChannels(g.input())];
        double[] std = new double[mean.length];
        for (int c = 0; c < mean.length; c++) {
            mean[c] = 0.1 * (c + 1);
            std[c] = 0.5 + 0.1 * c;
        }
        return new Graph(g.input(), InputPreprocessing.standardize(mean, std), g.ops(), g.softmax());
    }

    /** Offset of the INPUT section's preprocessing byte in a file of {@code g} (static input). */
    private static int preprocessingOffset(Graph g) {
        // Section header 8, shape 1 + 4 * rank, kind 1, quantization 9.
        return 12 + 8 + 1 + 4 * g.input().shape().length + 1 + 9;
    }

    private static ModelFormatException reject(byte[] file) {
        return assertThrows(ModelFormatException.class, () -> Int8Model.load(new ByteArrayInputStream(file)));
    }

    @Test
    void weightBytesIsWhatTheFileStoresAtEveryWidth() {
        byte[] at8 = ModelFormat.write(RandomModels.lenet(new Random(5), 8).graph());
        for (int bits = 2; bits <= 8; bits++) {
            Graph g = RandomModels.lenet(new Random(5), bits).graph();
            long saved = 0;
            for (Op op : g.ops()) {
                int count = op instanceof Op.Conv2D c
                        ? c.weights().length
                        : op instanceof Op.Dense d ? d.weights().length : 0;
                saved += count - Int8Model.weightBytes(bits, count);
            }
            assertEquals(at8.length - saved, ModelFormat.write(g).length, bits + " bits");
        }
        assertEquals(3, Int8Model.weightBytes(4, 5));
        assertEquals(2, Int8Model.weightBytes(2, 5));
        assertEquals(2, Int8Model.weightBytes(3, 3));
        assertEquals(4, Int8Model.weightBytes(5, 5));
        assertEquals(7, Int8Model.weightBytes(7, 8));
        assertEquals(5, Int8Model.weightBytes(8, 5));
        assertThrows(IllegalArgumentException.class, () -> Int8Model.weightBytes(1, 5));
        assertThrows(IllegalArgumentException.class, () -> Int8Model.weightBytes(8, -1));
    }

    @Test
    void everyTruncationIsRejected() {
        byte[] file = smallModel();
        for (int length = 0; length < file.length; length++) {
            ModelFormatException e = reject(java.util.Arrays.copyOf(file, length));
            assertTrue(e.offset() <= length, e.getMessage());
        }
    }

    @Test
    void everyFlippedByteIsRejected() {
        byte[] file = smallModel();
        for (int i = 0; i < file.length; i++) {
            byte[] bad = file.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            reject(bad);
        }
    }

    @Test
    void checksumMismatchNamesTheSection() {
        byte[] file = smallModel();
        int second = ModelFiles.sections(file).get(1);
        file[second + 14] ^= 1;
        ModelFormatException e = reject(file);
        assertTrue(e.getMessage().contains("CRC32"), e.getMessage());
        assertEquals(second, e.offset());
    }

    @Test
    void versionFromTheFutureIsRejected() {
        byte[] file = smallModel();
        ModelFiles.le(file).putInt(8, ModelFormat.VERSION + 1);
        ModelFormatException e = reject(file);
        assertTrue(e.getMessage().contains("newer"), e.getMessage());
        assertEquals(8, e.offset());
    }

    @Test
    void versionBelowOneIsRejected() {
        for (int version : new int[] {0, -1, Integer.MIN_VALUE}) {
            byte[] file = smallModel();
            ModelFiles.le(file).putInt(8, version);
            ModelFormatException e = reject(file);
            assertTrue(e.getMessage().contains("invalid format version " + version), e.getMessage());
            assertEquals(8, e.offset());
        }
    }

    @Test
    void inputPreprocessingRoundTrips() throws Exception {
        Graph g = RandomModels.lenet(new Random(24), 8).graph();
        for (InputPreprocessing p : List.of(
                InputPreprocessing.NOT_RECORDED,
                InputPreprocessing.unitRange(),
                InputPreprocessing.standardize(new double[] {0.1307}, new double[] {0.3081}))) {
            byte[] file = ModelFormat.write(new Graph(g.input(), p, g.ops(), g.softmax()));
            assertEquals(p, Int8Model.load(new ByteArrayInputStream(file)).inputPreprocessing());
            assertEquals(p.kind().ordinal(), file[preprocessingOffset(g)]);
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new Int8ModelBuilder(g.input())
                        .reshape("flat", 784)
                        .build()
                        .withInputPreprocessing(
                                InputPreprocessing.standardize(new double[] {0.5, 0.5}, new double[] {0.2, 0.2})));
        assertTrue(e.getMessage().contains("2 channel(s)"), e.getMessage());
    }

    @Test
    void unknownInputPreprocessingIsRejected() {
        Graph g = RandomModels.lenet(new Random(25), 8).graph();
        byte[] file = ModelFormat.write(g);
        int at = preprocessingOffset(g);
        file[at] = 3;
        ModelFormatException e = reject(ModelFiles.reseal(file));
        assertTrue(e.getMessage().contains("input preprocessing must be"), e.getMessage());
        assertEquals(at, e.offset());
    }

    @Test
    void nonFiniteMeanAndNonPositiveOrInfiniteStdAreRejected() {
        Graph g = RandomModels.lenet(new Random(26), 8).graph();
        Graph standardized = standardized(g);
        int mean = preprocessingOffset(g) + 1;
        int std = mean + 8;
        double[][] bad = {
            {Double.NaN, 0.5},
            {Double.POSITIVE_INFINITY, 0.5},
            {0.1, 0},
            {0.1, -0.5},
            {0.1, Double.NaN},
            {0.1, Double.POSITIVE_INFINITY}
        };
        for (double[] values : bad) {
            byte[] file = ModelFormat.write(standardized);
            ModelFiles.le(file).putDouble(mean, values[0]).putDouble(std, values[1]);
            ModelFormatException e = reject(ModelFiles.reseal(file));
            assertTrue(
                    e.getMessage().contains("section 1: channel 0: mean must be finite and std positive"),
                    e.getMessage());
            assertEquals(12, e.offset());
        }
    }

    @Test
    void nonPositiveOrInfiniteOutputScaleIsRejected() {
        Graph g = RandomModels.lenet(new Random(27), 8).graph();
        Op.Dense logits = (Op.Dense) g.ops().get(g.ops().size() - 1);
        for (float bad : new float[] {0f, -0.01f, Float.POSITIVE_INFINITY, Float.NaN}) {
            float[] scale = ((Op.Dequantized) logits.output()).outputScale().clone();
            scale[3] = bad;
            Op forged = new Op.Dense(
                    logits.name(),
                    logits.input(),
                    logits.inFeatures(),
                    logits.outFeatures(),
                    logits.weightBits(),
                    logits.weights(),
                    logits.weightScale(),
                    logits.bias(),
                    new Op.Dequantized(scale));
            ModelFormatException e = reject(
                    ModelFiles.replaceSection(ModelFormat.write(g), g.ops().size(), ModelFormat.opSection(forged)));
            assertTrue(e.getMessage().contains("output scale 3 must be positive and finite"), e.getMessage());
        }
    }

    @Test
    void addInputMultiplierOfOneOrMoreIsRejected() {
        TensorQuantization q = new TensorQuantization(0.1f, 3, 8);
        Graph g = Int8Model.builder(new int[] {1, 2, 2}, q)
                .add("add", 0, q, Activation.NONE)
                .graph();
        Op.Add add = (Op.Add) g.ops().get(0);
        assertTrue(add.input1Shift() <= 0 && add.input2Shift() <= 0);
        // 2^30 at shift 1 is a multiplier of 1: harmless here, but from 8 or so a_1 + a_2 would overflow int32.
        Op forged = new Op.Add(
                add.name(),
                add.input1(),
                add.input2(),
                q,
                add.leftShift(),
                1 << 30,
                1,
                add.input2Multiplier(),
                add.input2Shift(),
                add.outputMultiplier(),
                add.outputShift(),
                add.quantizedActivationMin(),
                add.quantizedActivationMax());
        ModelFormatException e =
                reject(ModelFiles.replaceSection(ModelFormat.write(g), 1, ModelFormat.opSection(forged)));
        assertTrue(e.getMessage().contains("input shifts must be <= 0"), e.getMessage());
    }

    @Test
    void namesAreAnyStringTheFileCanHold() throws Exception {
        TensorQuantization q = new TensorQuantization(0.1f, 3, 8);
        Int8Model empty = Int8Model.builder(new int[] {4}, q).reshape("", 4).build();
        assertEquals(
                List.of(""),
                Int8Model.load(new ByteArrayInputStream(ModelFormat.write(empty.graphForTests())))
                        .opNames());
        for (String name : new String[] {"x".repeat(65536), "a\uD800b"}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> Int8Model.builder(new int[] {4}, q).reshape(name, 4).build());
            assertTrue(e.getMessage().contains("65535 UTF-8 bytes"), e.getMessage());
        }
    }

    @Test
    void unknownOpIsRejected() {
        byte[] file = smallModel();
        int op = ModelFiles.sections(file).get(1);
        ModelFiles.le(file).putInt(op, 77);
        ModelFormatException e = reject(ModelFiles.reseal(file));
        assertTrue(e.getMessage().contains("tag 77"), e.getMessage());
        assertEquals(op, e.offset());
    }

    @Test
    void forgedSectionLengthIsRejectedBeforeAllocating() {
        byte[] file = smallModel();
        int op = ModelFiles.sections(file).get(1);
        ModelFiles.le(file).putInt(op + 4, Integer.MAX_VALUE);
        ModelFormatException e = reject(file);
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
        assertEquals(op + 4, e.offset());
    }

    @Test
    void forgedChannelCountIsRejectedBeforeAllocating() {
        Int8Model lenet = RandomModels.lenet(new Random(22), 8).build();
        byte[] file = ModelFormat.write(lenet.graphForTests());
        int dense = ModelFiles.sections(file).get(6);
        // name "dense1": 2 + 6 bytes, input tensor 4, inFeatures 4, then outFeatures.
        ModelFiles.le(file).putInt(dense + 8 + 8 + 4 + 4, 1 << 30);
        ModelFormatException e = reject(ModelFiles.reseal(file));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void inconsistentShapesBetweenOpsAreRejected() {
        Int8Model lenet = RandomModels.lenet(new Random(23), 8).build();
        byte[] file = ModelFormat.write(lenet.graphForTests());
        List<Integer> sections = ModelFiles.sections(file);
        int pool2 = sections.get(4);
        // pool2's stride 2x2 -> 1x1 (name "pool2": 2 + 5 bytes, input 4, kernel 8): [50, 7, 7] cannot flatten to [800].
        ModelFiles.le(file).putInt(pool2 + 8 + 7 + 12, 1);
        ModelFiles.le(file).putInt(pool2 + 8 + 7 + 16, 1);
        ModelFormatException e = reject(ModelFiles.reseal(file));
        assertTrue(e.getMessage().contains("flatten") && e.getMessage().contains("[50, 7, 7]"), e.getMessage());
        assertEquals((long) sections.get(5), e.offset());
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] file = smallModel();
        byte[] longer = java.util.Arrays.copyOf(file, file.length + 1);
        ModelFormatException e = reject(longer);
        assertEquals(file.length, e.offset());
    }

    @Test
    void badMagicIsRejected() {
        byte[] file = smallModel();
        file[2] = 'X';
        ModelFormatException e = reject(file);
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        assertEquals(2, e.offset());
    }
}

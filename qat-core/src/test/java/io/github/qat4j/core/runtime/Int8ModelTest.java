package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.core.quant.FakeQuant;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Int8ModelTest {

    @Test
    void everyOpMatchesTheNaiveUintEvaluatorOnBothKernels() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 150; trial++) {
            Graph g = RandomModels.random(rnd).graph();
            Int8Model scalar = new Int8Model(g, new ScalarInt8Kernels());
            Int8Model panama = new Int8Model(g, new PanamaInt8Kernels());
            float[] x = RandomModels.input(rnd, g.input().size());
            int[][] expected = RandomModels.evaluate(g, x);
            int[][] all = panama.quantizedOutputs(x);
            assertEquals(g.ops().size(), all.length);
            for (int op = 0; op < g.ops().size(); op++) {
                String where = "trial " + trial + " op " + op + " "
                        + g.ops().get(op).getClass().getSimpleName();
                assertArrayEquals(expected[op + 1], scalar.quantizedOutput(op, x), where);
                assertArrayEquals(expected[op + 1], panama.quantizedOutput(op, x), where);
                assertArrayEquals(expected[op + 1], all[op], where);
                int[] reads = g.ops().get(op).inputs();
                int[][] inputs = new int[reads.length][];
                for (int j = 0; j < reads.length; j++) {
                    inputs[j] = expected[reads[j]];
                }
                assertArrayEquals(expected[op + 1], panama.quantizedOutput(op, inputs), where + " alone");
            }
            assertArrayEquals(scalar.predict(x), panama.predict(x));
        }
    }

    @Test
    void convolutionsOnTheirInputPlaneMatchTheNaiveEvaluator() {
        // in channels, size, out channels, kernel, padding, dilation, stride: wide rows of the (padded,
        // phase-split) plane where they waste little (ResNet's and LeNet's shapes, dilated, strided), im2col
        // for small outputs of wide planes (the last two); split into 4 "cores" of tiles, and whole.
        int[][] shapes = {
            {16, 32, 16, 3, 1, 1, 1},
            {32, 16, 32, 3, 1, 1, 1},
            {64, 8, 64, 3, 1, 1, 1},
            {3, 13, 5, 3, 2, 2, 1},
            {4, 30, 6, 3, 2, 2, 1},
            {1, 28, 20, 5, 0, 1, 1},
            {16, 32, 32, 3, 1, 1, 2},
            {5, 9, 7, 1, 0, 1, 1},
            {8, 6, 8, 3, 1, 1, 2},
            {4, 5, 6, 3, 0, 1, 1}
        };
        Random rnd = new Random(22);
        for (int[] sh : shapes) {
            int k = sh[3];
            Graph g = Int8Model.builder(new int[] {sh[0], sh[1], sh[1]}, new TensorQuantization(0.02f, 3, 8))
                    .conv2d(
                            "conv",
                            RandomModels.weights(rnd, sh[2] * sh[0] * k * k, 8),
                            new int[] {sh[2], sh[0], k, k},
                            8,
                            RandomModels.floats(rnd, sh[2], 0.002f, 0.01f),
                            RandomModels.floats(rnd, sh[2], -0.1f, 0.1f),
                            new int[] {sh[6], sh[6]},
                            new int[] {sh[4], sh[4], sh[4], sh[4]},
                            new int[] {sh[5], sh[5]},
                            1,
                            new TensorQuantization(0.05f, 7, 8),
                            Activation.RELU)
                    .build()
                    .graphForTests();
            float[] x = RandomModels.input(rnd, g.input().size());
            int[] expected = RandomModels.evaluate(g, x)[1];
            for (Int8Kernels kernels : new Int8Kernels[] {new ScalarInt8Kernels(), new PanamaInt8Kernels()}) {
                Int8Model split = new Int8Model(g, kernels, 4, 0);
                assertArrayEquals(
                        expected, split.quantizedOutput(0, x), java.util.Arrays.toString(sh) + " " + kernels.name());
                // Batch 8 on 4 cores: two pieces of 4 images, each op whole per image.
                float[] eight = new float[8 * x.length];
                for (int b = 0; b < 8; b++) {
                    System.arraycopy(x, 0, eight, b * x.length, x.length);
                }
                float[] one = split.predict(x);
                float[] batch = split.predictBatch(eight, 8);
                for (int b = 0; b < 8; b++) {
                    assertArrayEquals(
                            one,
                            java.util.Arrays.copyOfRange(batch, b * one.length, (b + 1) * one.length),
                            java.util.Arrays.toString(sh) + " " + kernels.name() + " image " + b);
                }
            }
        }
    }

    @Test
    void lenetRoundTripsThroughTheFileAndBatchesAgreeWithSingles(@TempDir Path dir) throws IOException {
        Int8Model model = RandomModels.lenet(new Random(12), 8).build();
        Path file = dir.resolve("lenet.q8");
        model.save(file);
        Int8Model loaded = Int8Model.load(file);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        loaded.write(again);
        assertArrayEquals(Files.readAllBytes(file), again.toByteArray());
        assertArrayEquals(new int[] {1, 28, 28}, loaded.inputShape());
        assertArrayEquals(new int[] {10}, loaded.outputShape());
        assertEquals(model.inputQuantization(), loaded.inputQuantization());

        Random rnd = new Random(13);
        int n = 150;
        float[][] batch = new float[n][];
        float[] flat = new float[n * 784];
        for (int b = 0; b < n; b++) {
            batch[b] = RandomModels.floats(rnd, 784, 0f, 1f);
            System.arraycopy(batch[b], 0, flat, b * 784, 784);
        }
        float[][] out = loaded.predict(batch);
        float[] outFlat = loaded.predictBatch(flat, n);
        for (int b = 0; b < n; b += 7) {
            float[] single = model.predict(batch[b]);
            assertArrayEquals(single, out[b]);
            assertArrayEquals(single, java.util.Arrays.copyOfRange(outFlat, b * 10, b * 10 + 10));
            float sum = 0;
            for (float p : single) {
                sum += p;
            }
            assertEquals(1f, sum, 1e-5f);
        }
        int[] top = loaded.topK(batch[0], 3);
        assertTrue(out[0][top[0]] >= out[0][top[1]] && out[0][top[1]] >= out[0][top[2]]);
        assertEquals(List.of("conv1", "pool1", "conv2", "pool2", "flatten", "dense1", "output"), loaded.opNames());
        assertArrayEquals(loaded.quantizedOutput(5, batch[0]), loaded.quantizedOutput("dense1", batch[0]));
    }

    @Test
    void uint8InputEqualsFloatInputQuantizedByTheModel() {
        Int8Model model = RandomModels.lenet(new Random(14), 8).build();
        Random rnd = new Random(15);
        float[] x = RandomModels.floats(rnd, 784, 0f, 1f);
        byte[] q = new byte[784];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) FakeQuant.quantize(x[i], 1f / 255, 0, 0, 255);
        }
        assertArrayEquals(model.predict(x), model.predictUint8(q));
    }

    @Test
    void fourBitWeightsArePackedTwoPerByte() throws IOException {
        Int8Model eight = RandomModels.lenet(new Random(16), 8).build();
        Int8Model four = RandomModels.lenet(new Random(16), 4).build();
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        eight.write(a);
        four.write(b);
        int weights = 20 * 25 + 50 * 500 + 500 * 800 + 10 * 500;
        assertEquals(a.size() - weights / 2, b.size());
        Int8Model loaded = Int8Model.load(new ByteArrayInputStream(b.toByteArray()));
        float[] x = RandomModels.floats(new Random(17), 784, 0f, 1f);
        assertArrayEquals(four.predict(x), loaded.predict(x));
    }

    @Test
    void wrongShapesAndNonFiniteInputsSayWhere() {
        Int8Model model = RandomModels.lenet(new Random(18), 8).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.predict(new float[783]));
        assertTrue(e.getMessage().contains("783") && e.getMessage().contains("[1, 28, 28]"), e.getMessage());
        float[] x = new float[784];
        x[28 * 3 + 5] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> model.predict(x));
        assertTrue(e.getMessage().contains("input[89] is NaN") && e.getMessage().contains("y=3, x=5"), e.getMessage());
        float[][] batch = {new float[784], new float[784]};
        batch[1][0] = Float.POSITIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> model.predict(batch));
        assertTrue(e.getMessage().contains("batch[1][0] is Infinity"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.predict(new float[][] {new float[784], new float[1]}));
        assertThrows(IllegalArgumentException.class, () -> model.predictBatch(new float[784 * 2], 3));
        assertThrows(IllegalArgumentException.class, () -> model.topK(new float[784], 11));
        assertThrows(IllegalArgumentException.class, () -> model.quantizedOutput("nope", new float[784]));
    }

    @Test
    void builderRejectsInconsistentOps() {
        Int8ModelBuilder b = Int8Model.builder(new int[] {3, 8, 8}, new TensorQuantization(0.1f, 128, 8));
        assertThrows(
                IllegalArgumentException.class,
                () -> b.dense(
                        "d",
                        new byte[10],
                        1,
                        8,
                        new float[] {1f},
                        null,
                        new TensorQuantization(0.1f, 0, 8),
                        Activation.NONE));
        assertThrows(
                IllegalArgumentException.class,
                () -> b.conv2d(
                        "c",
                        new byte[2 * 2 * 9],
                        new int[] {2, 2, 3, 3},
                        8,
                        new float[] {1f},
                        null,
                        new int[] {1, 1},
                        new int[4],
                        new int[] {1, 1},
                        1,
                        new TensorQuantization(0.1f, 0, 8),
                        Activation.NONE));
        byte[] outOfRange = new byte[3 * 3 * 9];
        outOfRange[5] = 8;
        assertThrows(
                IllegalArgumentException.class,
                () -> b.conv2d(
                        "c",
                        outOfRange,
                        new int[] {3, 3, 3, 3},
                        4,
                        new float[] {1f},
                        null,
                        new int[] {1, 1},
                        new int[4],
                        new int[] {1, 1},
                        1,
                        new TensorQuantization(0.1f, 0, 8),
                        Activation.NONE));
    }

    @Test
    void threadsShareOneModel() throws Exception {
        Int8Model model = RandomModels.lenet(new Random(19), 8).build();
        Random rnd = new Random(20);
        List<float[]> inputs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            inputs.add(RandomModels.floats(rnd, 784, 0f, 1f));
            expected.add(model.predict(inputs.get(i)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int round = 0; round < 8; round++) {
                for (float[] x : inputs) {
                    results.add(pool.submit(() -> model.predict(x)));
                }
            }
            for (int i = 0; i < results.size(); i++) {
                assertArrayEquals(
                        expected.get(i % inputs.size()), results.get(i).get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void predictsInsideACallersParallelStreamKeepTheirOwnScratch() throws Exception {
        // A thread that waits for the tiles of a split op may run another task of the same pool, here
        // another predict on the same model, in the middle of its own.
        Int8Model model = new Int8Model(
                RandomModels.lenet(new Random(23), 8).build().graphForTests(), Int8KernelsProvider.get(), 4, 0);
        Random rnd = new Random(24);
        float[][] inputs = new float[48][];
        float[][] expected = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = RandomModels.floats(rnd, 784, 0f, 1f);
            expected[i] = model.predict(inputs[i]);
        }
        ForkJoinPool pool = new ForkJoinPool(4);
        try {
            for (int round = 0; round < 5; round++) {
                float[][] actual = pool.submit(() -> IntStream.range(0, inputs.length)
                                .parallel()
                                .mapToObj(i -> model.predict(inputs[i]))
                                .toArray(float[][]::new))
                        .get();
                for (int i = 0; i < inputs.length; i++) {
                    assertArrayEquals(expected[i], actual[i], "round " + round + " input " + i);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void scalarKernelsGiveTheSameOutputsBitForBit() {
        Random rnd = new Random(14);
        Int8Model model = RandomModels.lenet(rnd, 8).build();
        Int8Model scalar = model.withScalarKernels();
        assertEquals("scalar", scalar.kernels());
        assertTrue(new Int8Model(model.graphForTests(), new PanamaInt8Kernels())
                .kernels()
                .startsWith("Vector API, "));
        assertEquals(model.opNames(), scalar.opNames());
        int n = 20;
        float[] inputs = RandomModels.floats(rnd, n * 784, 0f, 1f);
        assertArrayEquals(model.predictBatch(inputs, n), scalar.predictBatch(inputs, n));
        float[] one = java.util.Arrays.copyOf(inputs, 784);
        assertArrayEquals(model.quantizedOutput("dense1", one), scalar.quantizedOutput("dense1", one));
    }

    @Test
    void opsSplitOverThreadsGiveTheScalarOutputsBitForBit() {
        Random rnd = new Random(21);
        Graph lenet = RandomModels.lenet(rnd, 8).build().graphForTests();
        Int8Model scalar = new Int8Model(lenet, new ScalarInt8Kernels(), 1, 0);
        float[] inputs = RandomModels.floats(rnd, 12 * 784, 0f, 1f);
        float[] expected = scalar.predictBatch(inputs, 12);
        // 4 "cores": batches of 1 to 3 images are fewer pieces than cores, so every conv and dense layer
        // is split into tiles and column blocks run by the pool, on both kernels.
        for (Int8Kernels kernels : new Int8Kernels[] {new ScalarInt8Kernels(), new PanamaInt8Kernels()}) {
            Int8Model split = new Int8Model(lenet, kernels, 4, 0);
            for (int b = 0; b < 12; b++) {
                float[] one = java.util.Arrays.copyOfRange(inputs, b * 784, (b + 1) * 784);
                assertArrayEquals(
                        java.util.Arrays.copyOfRange(expected, b * 10, b * 10 + 10),
                        split.predict(one),
                        kernels.name() + " image " + b);
            }
            assertArrayEquals(
                    java.util.Arrays.copyOf(expected, 30),
                    split.predictBatch(java.util.Arrays.copyOf(inputs, 3 * 784), 3),
                    kernels.name());
        }
    }
}

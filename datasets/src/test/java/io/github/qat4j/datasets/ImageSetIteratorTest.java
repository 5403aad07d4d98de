package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

class ImageSetIteratorTest {

    private static final List<String> CLASSES = List.of("zero", "one", "two", "three");
    private static final int N = 10;
    private static final int C = 3;
    private static final int H = 4;
    private static final int W = 5;

    /**
     * Image i: its first byte is i (so an order can be read back from the features), the rest
     * random; label i % 4.
     */
    private static ImageSet images() {
        byte[] pixels = Fixtures.random(N * C * H * W, 9);
        byte[] labels = new byte[N];
        for (int i = 0; i < N; i++) {
            pixels[i * C * H * W] = (byte) i;
            labels[i] = (byte) (i % 4);
        }
        return new ImageSet(pixels, labels, C, H, W, CLASSES);
    }

    /** The image indices of one epoch, read back from each image's first feature. */
    private static List<Integer> epoch(ImageSetIterator iterator) {
        List<Integer> order = new ArrayList<>();
        while (iterator.hasNext()) {
            DataSet batch = iterator.next();
            for (int i = 0; i < batch.numExamples(); i++) {
                order.add(Math.round(batch.getFeatures().getFloat(i, 0, 0, 0) * 255));
            }
        }
        return order;
    }

    private static List<Integer> identity(int n) {
        List<Integer> identity = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            identity.add(i);
        }
        return identity;
    }

    @Test
    void batchesAreNchwWithOneHotLabelsAndASmallerLastBatch() {
        ImageSetIterator iterator = images().iterator().batchSize(4).build();
        long[][] shapes = new long[3][];
        for (int b = 0; b < 3; b++) {
            DataSet batch = iterator.next();
            shapes[b] = batch.getFeatures().shape();
            for (int i = 0; i < batch.numExamples(); i++) {
                float[] oneHot = batch.getLabels().getRow(i).toFloatVector();
                float[] expected = new float[4];
                expected[(b * 4 + i) % 4] = 1f;
                assertArrayEquals(expected, oneHot);
            }
        }
        assertArrayEquals(new long[] {4, C, H, W}, shapes[0]);
        assertArrayEquals(new long[] {2, C, H, W}, shapes[2]);
        assertFalse(iterator.hasNext());
        assertThrows(NoSuchElementException.class, iterator::next);
    }

    @Test
    void flattenedFeaturesAreOneRowPerImage() {
        DataSet batch = images().iterator().batchSize(3).flatten(true).build().next();
        assertArrayEquals(new long[] {3, C * H * W}, batch.getFeatures().shape());
        assertArrayEquals(new long[] {3, 4}, batch.getLabels().shape());
    }

    @Test
    void featuresAreTheNormalisedPixelsInChwOrder() {
        ImageSet set = images();
        double[] mean = {0.1, 0.2, 0.3};
        double[] std = {0.5, 0.25, 0.125};
        DataSet batch = set.iterator()
                .batchSize(N)
                .flatten(true)
                .normalization(Normalization.standardize(mean, std))
                .build()
                .next();
        float[] features = batch.getFeatures().reshape(N * C * H * W).toFloatVector();
        for (int i = 0; i < features.length; i++) {
            int channel = (i / (H * W)) % C;
            double expected = ((set.pixels()[i] & 0xff) / 255.0 - mean[channel]) / std[channel];
            assertEquals(expected, features[i], 1e-5, "feature " + i);
        }
        DataSet unit = set.iterator().batchSize(2).build().next();
        // Image 1, channel 2, row 3, column 4.
        assertEquals(
                (set.pixels()[C * H * W + 2 * H * W + 3 * W + 4] & 0xff) / 255f,
                unit.getFeatures().getFloat(1, 2, 3, 4),
                1e-7f);
    }

    @Test
    void withoutShuffleTheStoredOrderIsKeptEveryEpoch() {
        ImageSetIterator iterator = images().iterator().batchSize(3).build();
        assertEquals(identity(N), epoch(iterator));
        iterator.reset();
        assertEquals(identity(N), epoch(iterator));
    }

    @Test
    void shuffleIsAPermutationReshuffledEachEpochAndRepeatableFromTheSeed() {
        ImageSetIterator first = images().iterator().batchSize(3).shuffle(17).build();
        List<Integer> epoch0 = epoch(first);
        first.reset();
        List<Integer> epoch1 = epoch(first);
        assertEquals(identity(N), epoch0.stream().sorted().toList());
        assertEquals(identity(N), epoch1.stream().sorted().toList());
        assertNotEquals(epoch0, epoch1, "a new order each epoch");
        assertNotEquals(identity(N), epoch0);

        ImageSetIterator again = images().iterator().batchSize(4).shuffle(17).build();
        assertEquals(epoch0, epoch(again), "the order depends on the seed, not the batch size");
        again.reset();
        assertEquals(epoch1, epoch(again));
        assertNotEquals(epoch0, epoch(images().iterator().shuffle(18).build()));
    }

    @Test
    void labelsFollowTheirImagesThroughTheShuffle() {
        ImageSetIterator iterator = images().iterator().batchSize(N).shuffle(3).build();
        DataSet batch = iterator.next();
        for (int i = 0; i < N; i++) {
            int image = Math.round(batch.getFeatures().getFloat(i, 0, 0, 0) * 255);
            assertEquals(1f, batch.getLabels().getFloat(i, image % 4));
        }
    }

    @Test
    void subsetsTakeTheFirstImagesOrASeededSample() {
        assertEquals(identity(4), epoch(images().iterator().subset(4).build()));
        List<Integer> sample = epoch(images().iterator().subset(4, 5).build());
        assertEquals(4, sample.size());
        assertEquals(sample, epoch(images().iterator().subset(4, 5).build()));
        assertEquals(sample, sample.stream().distinct().sorted().toList());
    }

    @Test
    void cropAndFlipKeepsShapeAndLabelAndIsRepeatablePerSeed() {
        ImageSet set = images();
        ImageSetIterator plain = set.iterator().batchSize(N).shuffle(1).build();
        ImageSetIterator augmented =
                set.iterator().batchSize(N).shuffle(1).randomCropFlip(2, 99).build();
        DataSet a = augmented.next();
        assertArrayEquals(
                plain.next().getLabels().toFloatMatrix(), a.getLabels().toFloatMatrix());
        assertArrayEquals(new long[] {N, C, H, W}, a.getFeatures().shape());

        DataSet same = set.iterator()
                .batchSize(N)
                .shuffle(1)
                .randomCropFlip(2, 99)
                .build()
                .next();
        assertEquals(a.getFeatures(), same.getFeatures());
        DataSet other = set.iterator()
                .batchSize(N)
                .shuffle(1)
                .randomCropFlip(2, 100)
                .build()
                .next();
        assertNotEquals(a.getFeatures(), other.getFeatures());
        augmented.reset();
        assertNotEquals(a.getFeatures(), augmented.next().getFeatures(), "new draws each epoch");
    }

    @Test
    void cropAndFlipIsAShiftedPossiblyMirroredImageWithBlackBorders() {
        assertEveryImageIsACrop(images().iterator().batchSize(N).randomCropFlip(2, 7), true);
    }

    @Test
    void randomCropShiftsButNeverMirrors() {
        assertEveryImageIsACrop(images().iterator().batchSize(N).randomCrop(2, 7), false);
    }

    private static void assertEveryImageIsACrop(ImageSetIterator.Builder iterator, boolean mirrored) {
        ImageSet set = images();
        float[] features =
                iterator.build().next().getFeatures().reshape(N * C * H * W).toFloatVector();
        int size = C * H * W;
        for (int i = 0; i < N; i++) {
            byte[] out = new byte[size];
            for (int p = 0; p < size; p++) {
                out[p] = (byte) Math.round(features[i * size + p] * 255);
            }
            assertTrue(matchesSomeCrop(set.pixels(), i * size, out, 2, mirrored), "image " + i);
        }
    }

    /** Whether {@code out} is the image at {@code offset} shifted by (dy, dx) in [-pad, pad], maybe mirrored, zero-filled. */
    private static boolean matchesSomeCrop(byte[] pixels, int offset, byte[] out, int pad, boolean mirrored) {
        for (int dy = -pad; dy <= pad; dy++) {
            for (int dx = -pad; dx <= pad; dx++) {
                for (boolean flip : mirrored ? new boolean[] {false, true} : new boolean[] {false}) {
                    byte[] expected = new byte[out.length];
                    for (int c = 0; c < C; c++) {
                        for (int y = 0; y < H; y++) {
                            for (int x = 0; x < W; x++) {
                                int sy = y + dy;
                                int sx = (flip ? W - 1 - x : x) + dx;
                                if (sy >= 0 && sy < H && sx >= 0 && sx < W) {
                                    expected[c * H * W + y * W + x] = pixels[offset + c * H * W + sy * W + sx];
                                }
                            }
                        }
                    }
                    if (Arrays.equals(expected, out)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void describesItselfToDl4j() {
        ImageSetIterator iterator = images().iterator().batchSize(4).build();
        assertEquals(C * H * W, iterator.inputColumns());
        assertEquals(4, iterator.totalOutcomes());
        assertEquals(CLASSES, iterator.getLabels());
        assertEquals(4, iterator.batch());
        assertTrue(iterator.resetSupported());
        assertTrue(iterator.asyncSupported());
        assertEquals(3, iterator.next(3).numExamples());
    }

    @Test
    void thePreProcessorSeesEveryBatch() {
        ImageSetIterator iterator = images().iterator().batchSize(4).build();
        iterator.setPreProcessor(batch -> batch.getFeatures().assign(7));
        assertEquals(7f, iterator.next().getFeatures().getFloat(0, 0, 0, 0));
        assertEquals(7f, iterator.next().getFeatures().maxNumber().floatValue());
    }
}

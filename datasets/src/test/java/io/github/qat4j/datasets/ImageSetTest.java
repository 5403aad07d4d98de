package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageSetTest {

    private static final List<String> THREE = List.of("a", "b", "c");

    /** Two 2-channel 1x2 images: image 0 is (0, 51 | 102, 255), image 1 is (255, 255 | 0, 0). */
    private static ImageSet tiny() {
        byte[] pixels = {0, 51, 102, (byte) 255, (byte) 255, (byte) 255, 0, 0};
        return new ImageSet(pixels, new byte[] {2, 0}, 2, 1, 2, THREE);
    }

    /** Image i is filled with the value i, label i % 3. */
    private static ImageSet numbered(int n) {
        byte[] pixels = new byte[n * 4];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(pixels, i * 4, i * 4 + 4, (byte) i);
            labels[i] = (byte) (i % 3);
        }
        return new ImageSet(pixels, labels, 1, 2, 2, THREE);
    }

    @Test
    void inconsistentArraysAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ImageSet(new byte[7], new byte[2], 2, 1, 2, THREE));
        assertThrows(
                IllegalArgumentException.class, () -> new ImageSet(new byte[8], new byte[] {0, 3}, 2, 1, 2, THREE));
        assertThrows(IllegalArgumentException.class, () -> new ImageSet(new byte[0], new byte[0], 0, 1, 2, THREE));
    }

    @Test
    void unitRangeDividesBy255() {
        assertArrayEquals(
                new float[] {0f, 0.2f, 0.4f, 1f, 1f, 1f, 0f, 0f}, tiny().toFloat(0, 2, Normalization.unitRange()));
        assertArrayEquals(new float[] {1f, 1f, 0f, 0f}, tiny().toFloat(1, 1, Normalization.unitRange()));
    }

    @Test
    void standardizationUsesEachChannelsMeanAndStd() {
        Normalization n = Normalization.standardize(new double[] {0.5, 0.25}, new double[] {0.25, 0.5});
        // (0 - .5) / .25, (.2 - .5) / .25 | (.4 - .25) / .5, (1 - .25) / .5; then image 1.
        float[] expected = {-2f, -1.2f, 0.3f, 1.5f, 2f, 2f, -0.5f, -0.5f};
        assertArrayEquals(expected, tiny().toFloat(0, 2, n), 1e-6f);
        assertEquals(-1.2f, n.apply(0, 51), 1e-6f);
        assertThrows(
                IllegalArgumentException.class,
                () -> tiny().toFloat(0, 1, Normalization.standardize(new double[] {0.5}, new double[] {0.25})));
        assertThrows(
                IllegalArgumentException.class, () -> Normalization.standardize(new double[] {0.5}, new double[] {0}));
    }

    @Test
    void channelStatisticsMatchAHandComputation() {
        // Channel 0: 0, .2, 1, 1 -> mean .55; channel 1: .4, 1, 0, 0 -> mean .35.
        assertArrayEquals(new double[] {0.55, 0.35}, tiny().channelMean(), 1e-12);
        double var0 = (0.55 * 0.55 + 0.35 * 0.35 + 0.45 * 0.45 + 0.45 * 0.45) / 4;
        double var1 = (0.05 * 0.05 + 0.65 * 0.65 + 0.35 * 0.35 + 0.35 * 0.35) / 4;
        assertArrayEquals(new double[] {Math.sqrt(var0), Math.sqrt(var1)}, tiny().channelStd(), 1e-12);
    }

    @Test
    void toFloatChecksTheRange() {
        assertThrows(IndexOutOfBoundsException.class, () -> tiny().toFloat(1, 2, Normalization.unitRange()));
    }

    @Test
    void subsetsCopyTheChosenImagesWithTheirLabels() {
        ImageSet set = numbered(20);
        ImageSet first = set.first(5);
        assertEquals(5, first.size());
        assertArrayEquals(new byte[] {0, 1, 2, 0, 1}, first.labels());
        assertEquals(4, first.pixels()[16]);

        ImageSet sample = set.sample(6, 42);
        assertEquals(6, sample.size());
        int previous = -1;
        for (int i = 0; i < sample.size(); i++) {
            int original = sample.pixels()[i * 4];
            assertEquals(original % 3, sample.label(i), "label travels with its image");
            assertTrue(original > previous, "distinct images, in their original order");
            previous = original;
        }
        assertArrayEquals(sample.pixels(), set.sample(6, 42).pixels(), "same seed, same sample");
        assertFalse(Arrays.equals(sample.pixels(), set.sample(6, 43).pixels()), "another seed, another sample");
        assertThrows(IllegalArgumentException.class, () -> set.first(21));
    }

    @Test
    void classCountsCountLabels() {
        assertArrayEquals(new int[] {7, 7, 6}, numbered(20).classCounts());
    }
}

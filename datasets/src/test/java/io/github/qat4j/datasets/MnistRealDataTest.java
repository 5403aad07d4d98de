package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The real MNIST, installed through the same installer users get (into {@code $QAT4J_DATA_DIR}
 * or {@code ~/.qat4j/datasets}, so only the first run fetches it). Exclude with
 * {@code -DexcludedGroups=real-data}.
 */
@Tag("real-data")
class MnistRealDataTest {

    private static TrainTest mnist;

    @BeforeAll
    static void install() {
        mnist = Mnist.load();
    }

    @Test
    void hasTheStandardSplitAndShape() {
        assertEquals(60_000, mnist.train().size());
        assertEquals(10_000, mnist.test().size());
        assertEquals(1, mnist.train().channels());
        assertEquals(28, mnist.train().height());
        assertEquals(28, mnist.train().width());
    }

    @Test
    void classCountsAreTheKnownOnes() {
        // Counted independently from the raw label files (a byte histogram after the 8-byte header).
        assertArrayEquals(
                new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
                mnist.train().classCounts());
        assertArrayEquals(
                new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
                mnist.test().classCounts());
    }

    @Test
    void trainPixelStatisticsAreTheWellKnownOnes() {
        // The (0.1307,), (0.3081,) every PyTorch MNIST example normalises with.
        assertEquals(0.1307, mnist.train().channelMean()[0], 1e-3);
        assertEquals(0.3081, mnist.train().channelStd()[0], 1e-3);
    }

    @Test
    void iteratorMeanOverTheTrainSetMatches() {
        ImageSetIterator iterator =
                mnist.train().iterator().batchSize(10_000).flatten(true).build();
        double sum = 0;
        long count = 0;
        while (iterator.hasNext()) {
            DataSet batch = iterator.next();
            assertEquals(784, batch.getFeatures().size(1));
            sum += batch.getFeatures().sumNumber().doubleValue();
            count += batch.getFeatures().length();
        }
        assertEquals(0.1307, sum / count, 1e-3);
    }

    @Test
    void firstLabelsAreTheKnownOnes() {
        assertArrayEquals(
                new byte[] {5, 0, 4, 1, 9, 2, 1, 3, 1, 4},
                Arrays.copyOf(mnist.train().labels(), 10));
        assertArrayEquals(
                new byte[] {7, 2, 1, 0, 4, 1, 4, 9, 5, 9},
                Arrays.copyOf(mnist.test().labels(), 10));
    }
}

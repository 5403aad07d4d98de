package io.github.qat4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.qat4j.datasets.ImageSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three layouts {@code qat quantize} reads give the same images. */
class ImageFilesTest {
    /** Three 2x2 grey images, labels 2, 0, 1. */
    private static final byte[] PIXELS = {0, 1, 2, 3, 10, 11, 12, (byte) 255, 20, 21, 22, 23};

    private static final byte[] LABELS = {2, 0, 1};

    @Test
    void idxCifarAndCsvAgree(@TempDir Path dir) throws IOException {
        Path images = Files.write(
                dir.resolve("images.idx3"),
                ByteBuffer.allocate(16 + PIXELS.length)
                        .putInt(0x803)
                        .putInt(3)
                        .putInt(2)
                        .putInt(2)
                        .put(PIXELS)
                        .array());
        Path labels = Files.write(
                dir.resolve("labels.idx1"),
                ByteBuffer.allocate(8 + LABELS.length)
                        .putInt(0x801)
                        .putInt(3)
                        .put(LABELS)
                        .array());
        ByteBuffer records = ByteBuffer.allocate(15);
        for (int i = 0; i < 3; i++) {
            records.put(LABELS[i]).put(PIXELS, 4 * i, 4);
        }
        Path cifar = Files.write(dir.resolve("batch.bin"), records.array());
        Path csv = Files.writeString(
                dir.resolve("images.csv"), "label,p0,p1,p2,p3\n2,0,1,2,3\n0,10,11,12,255\n1,20,21,22,23\n");

        for (ImageSet set : List.of(
                ImageFiles.idx.read(List.of(images, labels), null),
                ImageFiles.cifar.read(List.of(cifar), new int[] {1, 2, 2}),
                ImageFiles.csv.read(List.of(csv), new int[] {1, 2, 2}))) {
            assertArrayEquals(PIXELS, set.pixels());
            assertArrayEquals(LABELS, set.labels());
            assertEquals(List.of("0", "1", "2"), set.classNames());
        }
    }

    @Test
    void malformedFilesNameTheProblem(@TempDir Path dir) throws IOException {
        Path csv = Files.writeString(dir.resolve("bad.csv"), "1,2,3\n");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> ImageFiles.csv.read(List.of(csv), new int[] {1, 2, 2}));
        assertTrue(e.getMessage().contains("line 1 has 3 values"), e.getMessage());
        Path cifar = Files.write(dir.resolve("bad.bin"), new byte[7]);
        e = assertThrows(IllegalArgumentException.class, () -> ImageFiles.cifar.read(List.of(cifar), null));
        assertTrue(e.getMessage().contains("3073-byte records"), e.getMessage());
    }
}

package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.function.Executable;

/** Small files in the real formats, generated in the tests. */
final class Fixtures {

    private Fixtures() {}

    static byte[] random(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** An IDX images file: magic 0x803, count, rows, cols, then the pixels. */
    static byte[] idxImages(int count, int rows, int cols, byte[] pixels) {
        return ByteBuffer.allocate(16 + pixels.length)
                .putInt(IdxReader.IMAGES_MAGIC)
                .putInt(count)
                .putInt(rows)
                .putInt(cols)
                .put(pixels)
                .array();
    }

    /** An IDX labels file: magic 0x801, count, then the labels. */
    static byte[] idxLabels(byte[] labels) {
        return ByteBuffer.allocate(8 + labels.length)
                .putInt(IdxReader.LABELS_MAGIC)
                .putInt(labels.length)
                .put(labels)
                .array();
    }

    /** A CIFAR binary batch: per record the label then 3072 pixel bytes. */
    static byte[] cifarBatch(byte[] labels, byte[] pixels) {
        ByteBuffer batch = ByteBuffer.allocate(labels.length * CifarPng.RECORD);
        for (int i = 0; i < labels.length; i++) {
            batch.put(labels[i]).put(pixels, i * 3072, 3072);
        }
        return batch.array();
    }

    static ExpectedFile expected(String name, byte[] content) {
        return new ExpectedFile(name, content.length, Sha256.of(content));
    }

    static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        }
        return bytes.toByteArray();
    }

    /** A gzipped ustar archive of the given regular files, in map order. */
    static byte[] tarGz(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            byte[] header = new byte[512];
            put(header, 0, file.getKey());
            put(header, 100, "0000644");
            put(header, 108, "0000000");
            put(header, 116, "0000000");
            put(header, 124, String.format("%011o", file.getValue().length));
            put(header, 136, "00000000000");
            header[156] = '0';
            put(header, 257, "ustar");
            put(header, 263, "00");
            // The checksum is the byte sum with its own field read as spaces.
            put(header, 148, "        ");
            int sum = 0;
            for (byte b : header) {
                sum += b & 0xff;
            }
            put(header, 148, String.format("%06o", sum) + "\0 ");
            tar.write(header);
            tar.write(file.getValue());
            tar.write(new byte[(512 - file.getValue().length % 512) % 512]);
        }
        tar.write(new byte[1024]);
        return gzip(tar.toByteArray());
    }

    private static void put(byte[] header, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    static Path write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    /** Asserts that {@code action} throws a DatasetException whose message names {@code file} and says {@code what}. */
    static DatasetException assertDatasetError(Path file, String what, Executable action) {
        DatasetException e = assertThrows(DatasetException.class, action);
        assertTrue(
                e.getMessage().contains(file.toString()),
                () -> "message does not name " + file + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(what), () -> "message does not say '" + what + "': " + e.getMessage());
        return e;
    }
}

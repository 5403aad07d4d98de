package io.github.qat4j.datasets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Strict reader of MNIST's IDX files: big-endian magic ({@code 0x00000803} for unsigned-byte
 * images of 3 dimensions, {@code 0x00000801} for labels), the count, the image dimensions, then
 * the bytes. Every header field and the exact file size are checked before anything is
 * allocated, so a forged header cannot cause an OutOfMemoryError and a short file never surfaces
 * as an EOF or index exception.
 */
final class IdxReader {

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    /**
     * Reads an MNIST-shaped pair of files.
     *
     * @param count the number of images both files must hold
     * @throws DatasetException naming the file and what is wrong with it
     */
    static ImageSet readMnist(Path images, Path labels, int count, List<String> classNames) {
        byte[] pixels = read(images, IMAGES_MAGIC, "images", count, Mnist.HEIGHT, Mnist.WIDTH);
        byte[] classes = read(labels, LABELS_MAGIC, "labels", count);
        for (int i = 0; i < classes.length; i++) {
            if (Byte.toUnsignedInt(classes[i]) >= classNames.size()) {
                throw new DatasetException(labels + ": label " + Byte.toUnsignedInt(classes[i]) + " of record " + i
                        + " is outside 0.." + (classNames.size() - 1));
            }
        }
        return new ImageSet(pixels, classes, 1, Mnist.HEIGHT, Mnist.WIDTH, classNames);
    }

    /** Reads the items of an IDX file of unsigned bytes whose header must be {@code magic, count, dims...}. */
    static byte[] read(Path file, int magic, String kind, int count, int... dims) {
        int headerLength = 8 + 4 * dims.length;
        long itemSize = 1;
        for (int d : dims) {
            itemSize *= d;
        }
        try (SeekableByteChannel channel = Files.newByteChannel(file)) {
            long size = channel.size();
            // The magic is checked before the length so that a labels file passed as images says so.
            ByteBuffer header = ByteBuffer.allocate((int) Math.min(size, headerLength));
            readFully(channel, header, file);
            if (size >= 4 && header.getInt(0) != magic) {
                throw bad(
                        file,
                        String.format(
                                "wrong magic number 0x%08x, expected 0x%08x (IDX %s)", header.getInt(0), magic, kind));
            }
            if (size < headerLength) {
                throw bad(file, "truncated: " + size + " bytes, shorter than the " + headerLength + "-byte header");
            }
            if (header.getInt(4) != count) {
                throw bad(
                        file, "wrong count: the header says " + header.getInt(4) + " " + kind + ", expected " + count);
            }
            int[] actualDims = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                actualDims[i] = header.getInt(8 + 4 * i);
            }
            if (!Arrays.equals(actualDims, dims)) {
                throw bad(file, "wrong dimensions: the header says " + join(actualDims) + ", expected " + join(dims));
            }
            long expectedSize = headerLength + count * itemSize;
            if (size != expectedSize) {
                throw bad(
                        file,
                        (size < expectedSize ? "truncated: " : "wrong size: ") + size + " bytes, expected "
                                + expectedSize + " for " + count + " " + kind);
            }
            ByteBuffer data = ByteBuffer.allocate((int) (count * itemSize));
            readFully(channel, data, file);
            return data.array();
        } catch (NoSuchFileException e) {
            throw bad(file, "missing");
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e, e);
        }
    }

    private static void readFully(SeekableByteChannel channel, ByteBuffer buffer, Path file) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                // Only when the file shrinks while being read: its size was checked first.
                throw bad(file, "truncated while reading");
            }
        }
    }

    private static String join(int[] dims) {
        return Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining("x"));
    }

    private static DatasetException bad(Path file, String problem) {
        return new DatasetException(file + ": " + problem);
    }
}

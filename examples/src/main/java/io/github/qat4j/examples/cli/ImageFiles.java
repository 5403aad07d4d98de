package io.github.qat4j.examples.cli;

import io.github.qat4j.datasets.ImageSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A user's labelled images for {@code qat quantize}, read into an {@link ImageSet} from one of three
 * layouts. The datasets module's readers check the exact files of MNIST and CIFAR-10; these accept
 * any count and shape in the same layouts.
 */
enum ImageFiles {
    /** Two IDX files (MNIST's format): images {@code [n, h, w]} (magic 0x803), labels {@code [n]} (0x801). */
    idx {
        @Override
        ImageSet read(List<Path> files, int[] shape) throws IOException {
            if (files.size() != 2) {
                throw new IllegalArgumentException("idx takes two files, images then labels; got " + files.size());
            }
            ByteBuffer images = ByteBuffer.wrap(Files.readAllBytes(files.get(0)));
            ByteBuffer labels = ByteBuffer.wrap(Files.readAllBytes(files.get(1)));
            check(
                    images.remaining() >= 16 && images.getInt() == 0x803,
                    files.get(0),
                    "not an IDX image file (magic 0x00000803)");
            int n = images.getInt();
            int h = images.getInt();
            int w = images.getInt();
            check(
                    n >= 0 && h > 0 && w > 0 && images.remaining() == (long) n * h * w,
                    files.get(0),
                    "header says " + n + " images of " + h + "x" + w + " but " + images.remaining() + " bytes follow");
            check(
                    labels.remaining() >= 8 && labels.getInt() == 0x801,
                    files.get(1),
                    "not an IDX label file (magic 0x00000801)");
            int m = labels.getInt();
            check(m == n && labels.remaining() == n, files.get(1), "holds " + m + " labels for " + n + " images");
            byte[] pixels = new byte[images.remaining()];
            images.get(pixels);
            byte[] y = new byte[labels.remaining()];
            labels.get(y);
            return new ImageSet(pixels, y, 1, h, w, classNames(y));
        }
    },
    /** CIFAR-10 binary batches: per image one label byte, then 3 x 32 x 32 pixel bytes (or the given shape). */
    cifar {
        @Override
        ImageSet read(List<Path> files, int[] shape) throws IOException {
            int[] chw = shape != null ? shape : new int[] {3, 32, 32};
            int size = chw[0] * chw[1] * chw[2];
            ByteArrayOutputStream pixels = new ByteArrayOutputStream();
            ByteArrayOutputStream labels = new ByteArrayOutputStream();
            for (Path file : files) {
                byte[] bytes = Files.readAllBytes(file);
                check(
                        bytes.length % (size + 1) == 0,
                        file,
                        bytes.length + " bytes is not a whole number of " + (size + 1) + "-byte records (label + "
                                + chw[0] + "x" + chw[1] + "x" + chw[2] + ")");
                for (int at = 0; at < bytes.length; at += size + 1) {
                    labels.write(bytes[at]);
                    pixels.write(bytes, at + 1, size);
                }
            }
            byte[] y = labels.toByteArray();
            return new ImageSet(pixels.toByteArray(), y, chw[0], chw[1], chw[2], classNames(y));
        }
    },
    /** CSV, one image per line: the label, then the pixels 0..255 in CHW order; a header line is skipped. */
    csv {
        @Override
        ImageSet read(List<Path> files, int[] shape) throws IOException {
            if (shape == null) {
                throw new IllegalArgumentException("csv needs --shape C,H,W");
            }
            int size = shape[0] * shape[1] * shape[2];
            ByteArrayOutputStream pixels = new ByteArrayOutputStream();
            ByteArrayOutputStream labels = new ByteArrayOutputStream();
            for (Path file : files) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.isEmpty() || (i == 0 && !Character.isDigit(line.charAt(0)))) {
                        continue;
                    }
                    String[] cells = line.split(",");
                    check(
                            cells.length == size + 1,
                            file,
                            "line " + (i + 1) + " has " + cells.length + " values, expected a label and " + size
                                    + " pixels");
                    labels.write(byteValue(cells[0], file, i));
                    for (int c = 1; c < cells.length; c++) {
                        pixels.write(byteValue(cells[c], file, i));
                    }
                }
            }
            byte[] y = labels.toByteArray();
            return new ImageSet(pixels.toByteArray(), y, shape[0], shape[1], shape[2], classNames(y));
        }
    };

    /**
     * @param shape {@code [c, h, w]}, or null for the layout's own
     */
    abstract ImageSet read(List<Path> files, int[] shape) throws IOException;

    /** Classes {@code 0 .. max label}, named by their number. */
    private static List<String> classNames(byte[] labels) {
        int max = 0;
        for (byte b : labels) {
            max = Math.max(max, Byte.toUnsignedInt(b));
        }
        return IntStream.rangeClosed(0, max).mapToObj(Integer::toString).toList();
    }

    private static int byteValue(String cell, Path file, int line) {
        try {
            int v = Integer.parseInt(cell.strip());
            if (v >= 0 && v <= 255) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below with the file and line
        }
        throw new IllegalArgumentException(
                file + " line " + (line + 1) + ": '" + cell + "' is not an integer in 0..255");
    }

    private static void check(boolean ok, Path file, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(file + ": " + problem);
        }
    }
}

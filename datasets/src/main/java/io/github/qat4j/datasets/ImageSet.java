package io.github.qat4j.datasets;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Labelled images held as bytes, the way the data sets store them: {@code pixels} holds image
 * after image, each in CHW order (channel planes, rows, columns), and {@code labels} one class
 * index per image. All of CIFAR-10 is 184 MB this way, where floats would be four times that;
 * floats are made per batch ({@link #toFloat}) or by an iterator ({@link #iterator()}).
 *
 * <pre>{@code
 * ImageSet test = Mnist.load().test();
 * float[] first100 = test.toFloat(0, 100, Normalization.unitRange());   // [100 * 784]
 * int label = test.label(0);
 * }</pre>
 */
public final class ImageSet {

    private final byte[] pixels;
    private final byte[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    /**
     * Wraps the arrays without copying them; the caller must not change them afterwards.
     *
     * @param pixels {@code labels.length * channels * height * width} bytes, CHW per image
     * @param labels one class index per image, each in {@code [0, classNames.size())}
     * @throws IllegalArgumentException when the sizes disagree or a label is out of range
     */
    public ImageSet(byte[] pixels, byte[] labels, int channels, int height, int width, List<String> classNames) {
        if (channels <= 0 || height <= 0 || width <= 0 || classNames.isEmpty()) {
            throw new IllegalArgumentException("empty image shape or class list");
        }
        if ((long) labels.length * channels * height * width != pixels.length) {
            throw new IllegalArgumentException(pixels.length + " pixel bytes do not hold " + labels.length
                    + " images of " + channels + "x" + height + "x" + width);
        }
        for (int i = 0; i < labels.length; i++) {
            if (Byte.toUnsignedInt(labels[i]) >= classNames.size()) {
                throw new IllegalArgumentException("label " + Byte.toUnsignedInt(labels[i]) + " of image " + i
                        + " is not below " + classNames.size());
            }
        }
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = List.copyOf(classNames);
    }

    /** The number of images. */
    public int size() {
        return labels.length;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Bytes (and floats) per image: {@code channels * height * width}. */
    public int imageSize() {
        return channels * height * width;
    }

    /** Class names, indexed by label. */
    public List<String> classNames() {
        return classNames;
    }

    public int numClasses() {
        return classNames.size();
    }

    /** The label of image {@code index}. */
    public int label(int index) {
        return Byte.toUnsignedInt(labels[index]);
    }

    /** The backing pixel array, not a copy (see the class comment for the layout); do not modify it. */
    public byte[] pixels() {
        return pixels;
    }

    /** The backing label array, not a copy; do not modify it. */
    public byte[] labels() {
        return labels;
    }

    /** How many images each class has, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (byte label : labels) {
            counts[Byte.toUnsignedInt(label)]++;
        }
        return counts;
    }

    /** The first {@code n} images, copied. */
    public ImageSet first(int n) {
        checkSubsetSize(n);
        int[] indices = new int[n];
        Arrays.setAll(indices, i -> i);
        return select(indices);
    }

    /**
     * {@code n} images drawn without replacement with {@code seed}, copied, in their original order.
     */
    public ImageSet sample(int n, long seed) {
        checkSubsetSize(n);
        int[] all = new int[size()];
        Arrays.setAll(all, i -> i);
        Random random = new Random(seed);
        // Partial Fisher-Yates: the first n slots end up a uniform sample.
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(all.length - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] chosen = Arrays.copyOf(all, n);
        Arrays.sort(chosen);
        return select(chosen);
    }

    /** The images at {@code indices}, in that order, copied. */
    public ImageSet select(int[] indices) {
        int size = imageSize();
        byte[] newPixels = new byte[indices.length * size];
        byte[] newLabels = new byte[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * size, newPixels, i * size, size);
            newLabels[i] = labels[indices[i]];
        }
        return new ImageSet(newPixels, newLabels, channels, height, width, classNames);
    }

    /**
     * Images {@code from .. from + count - 1} as floats, CHW per image, one after the other.
     *
     * @return {@code count * imageSize()} floats
     */
    public float[] toFloat(int from, int count, Normalization normalization) {
        if (from < 0 || count < 0 || from + count > size()) {
            throw new IndexOutOfBoundsException("images " + from + ".." + (from + count) + " of " + size());
        }
        float[][] tables = normalization.tables(channels);
        float[] out = new float[count * imageSize()];
        for (int i = 0; i < count; i++) {
            convert(pixels, (from + i) * imageSize(), tables, out, i * imageSize());
        }
        return out;
    }

    /** Per-channel mean of the pixels in [0, 1] units. */
    public double[] channelMean() {
        return channelMoments()[0];
    }

    /** Per-channel (population) standard deviation of the pixels in [0, 1] units. */
    public double[] channelStd() {
        double[][] moments = channelMoments();
        double[] std = new double[channels];
        for (int c = 0; c < channels; c++) {
            std[c] = Math.sqrt(moments[1][c] - moments[0][c] * moments[0][c]);
        }
        return std;
    }

    /** A builder for a DL4J iterator over this set. */
    public ImageSetIterator.Builder iterator() {
        return ImageSetIterator.builder(this);
    }

    /** Converts one CHW image of this set's shape through per-channel lookup tables. */
    void convert(byte[] source, int sourceOffset, float[][] tables, float[] out, int outOffset) {
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            float[] table = tables[c];
            int s = sourceOffset + c * plane;
            int o = outOffset + c * plane;
            for (int p = 0; p < plane; p++) {
                out[o + p] = table[source[s + p] & 0xff];
            }
        }
    }

    /** {mean, mean of squares} per channel, from exact integer histograms (no float drift over 150 M pixels). */
    private double[][] channelMoments() {
        long[][] histogram = new long[channels][256];
        int plane = height * width;
        for (int start = 0, c = 0; start < pixels.length; start += plane, c = (c + 1) % channels) {
            long[] counts = histogram[c];
            for (int p = start; p < start + plane; p++) {
                counts[pixels[p] & 0xff]++;
            }
        }
        double[][] moments = new double[2][channels];
        for (int c = 0; c < channels; c++) {
            double n = 0;
            double sum = 0;
            double squares = 0;
            for (int v = 0; v < 256; v++) {
                double x = v / 255.0;
                n += histogram[c][v];
                sum += histogram[c][v] * x;
                squares += histogram[c][v] * x * x;
            }
            moments[0][c] = sum / n;
            moments[1][c] = squares / n;
        }
        return moments;
    }

    private void checkSubsetSize(int n) {
        if (n < 0 || n > size()) {
            throw new IllegalArgumentException("subset of " + n + " from " + size() + " images");
        }
    }
}

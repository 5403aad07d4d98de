package io.github.qat4j.datasets;

import java.util.Arrays;

/**
 * How a pixel byte becomes a float: {@link #unitRange()} maps 0..255 to [0, 1];
 * {@link #standardize(double[], double[])} then subtracts a per-channel mean and divides by a
 * per-channel standard deviation, both given in [0, 1] units as papers publish them. Each is
 * held as a 256-entry table per channel, so converting a batch is a lookup per pixel and every
 * batch gets bit-identical values.
 */
public final class Normalization {

    private final double[] mean;
    private final double[] std;

    private Normalization(double[] mean, double[] std) {
        this.mean = mean;
        this.std = std;
    }

    /** {@code x = pixel / 255}, for any number of channels. */
    public static Normalization unitRange() {
        return new Normalization(null, null);
    }

    /**
     * {@code x = (pixel / 255 - mean[c]) / std[c]}.
     *
     * @param mean per-channel mean in [0, 1] units
     * @param std per-channel standard deviation in [0, 1] units, each positive
     */
    public static Normalization standardize(double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException(
                    "need one mean and one std per channel, got " + mean.length + " and " + std.length);
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
            }
        }
        return new Normalization(mean.clone(), std.clone());
    }

    /** Per-channel means in [0, 1] units; empty for {@link #unitRange()}. */
    public double[] mean() {
        return mean == null ? new double[0] : mean.clone();
    }

    /** Per-channel standard deviations in [0, 1] units; empty for {@link #unitRange()}. */
    public double[] std() {
        return std == null ? new double[0] : std.clone();
    }

    /**
     * The value of one pixel.
     *
     * @param channel the pixel's channel
     * @param pixel the pixel byte, 0..255
     */
    public float apply(int channel, int pixel) {
        double unit = pixel / 255.0;
        return mean == null ? (float) unit : (float) ((unit - mean[channel]) / std[channel]);
    }

    /** One lookup table per channel, {@code table[c][pixel]}, for images with {@code channels} channels. */
    float[][] tables(int channels) {
        if (mean != null && mean.length != channels) {
            throw new IllegalArgumentException(
                    "normalization has " + mean.length + " channel(s) but the images have " + channels);
        }
        float[][] tables = new float[channels][256];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < 256; p++) {
                tables[c][p] = apply(c, p);
            }
        }
        return tables;
    }

    @Override
    public String toString() {
        return mean == null
                ? "unitRange"
                : "standardize(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }
}

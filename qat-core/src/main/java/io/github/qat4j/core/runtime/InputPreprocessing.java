package io.github.qat4j.core.runtime;

import java.util.Arrays;
import java.util.Objects;

/**
 * How a model's float input is made from an 8-bit image, as the network was trained: recorded in the
 * file from format version 5 (files before it read as {@link Kind#NOT_RECORDED}). The arithmetic is
 * binary64, rounded once to float, so that {@link #apply} gives the floats training and evaluation gave.
 *
 * <pre>{@code
 * Int8Model model = Int8Model.load(Path.of("cifar10.q8"));
 * float[] probabilities = model.predict(model.inputPreprocessing().apply(pixels));  // pixels: CHW bytes
 * }</pre>
 *
 * @param kind what the file records
 * @param mean per channel, in [0, 1] units; empty unless {@link Kind#STANDARDIZE}
 * @param std per channel, positive; empty unless {@link Kind#STANDARDIZE}
 */
public record InputPreprocessing(Kind kind, double[] mean, double[] std) {

    /** The preprocessing kinds, numbered as the file's {@code u8 preprocessing}. */
    public enum Kind {
        /** The file does not say (versions 1 to 4, or a writer that did not know). */
        NOT_RECORDED,
        /** {@code x = (float) (pixel / 255.0)}. */
        UNIT_RANGE,
        /** {@code x = (float) ((pixel / 255.0 - mean[c]) / std[c])}, {@code c} the pixel's channel. */
        STANDARDIZE
    }

    public static final InputPreprocessing NOT_RECORDED = new InputPreprocessing(Kind.NOT_RECORDED, null, null);

    public InputPreprocessing {
        Objects.requireNonNull(kind, "kind");
        mean = mean == null ? new double[0] : mean.clone();
        std = std == null ? new double[0] : std.clone();
        if ((kind == Kind.STANDARDIZE) != (mean.length > 0) || mean.length != std.length) {
            throw new IllegalArgumentException(kind + " needs " + (kind == Kind.STANDARDIZE ? "one" : "no")
                    + " mean and std per channel, got " + mean.length + " and " + std.length);
        }
        for (int c = 0; c < mean.length; c++) {
            if (!Double.isFinite(mean[c]) || !(std[c] > 0) || !Double.isFinite(std[c])) {
                throw new IllegalArgumentException("channel " + c
                        + ": mean must be finite and std positive and finite, got " + mean[c] + " and " + std[c]);
            }
        }
    }

    /** {@code x = pixel / 255}. */
    public static InputPreprocessing unitRange() {
        return new InputPreprocessing(Kind.UNIT_RANGE, null, null);
    }

    /** {@code x = (pixel / 255 - mean[c]) / std[c]}, one mean and std per input channel. */
    public static InputPreprocessing standardize(double[] mean, double[] std) {
        return new InputPreprocessing(Kind.STANDARDIZE, mean, std);
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    /**
     * The float input of one image of 8-bit {@code pixels} in CHW order (channel {@code c} the
     * {@code c}-th of {@code mean().length} equal runs).
     *
     * @throws IllegalStateException when the preprocessing is not recorded
     * @throws IllegalArgumentException when the pixels do not split into the channels
     */
    public float[] apply(byte[] pixels) {
        if (kind == Kind.NOT_RECORDED) {
            throw new IllegalStateException("the model does not record its input preprocessing");
        }
        int channels = Math.max(1, mean.length);
        if (pixels.length == 0 || pixels.length % channels != 0) {
            throw new IllegalArgumentException(pixels.length + " pixels do not split into " + channels + " channels");
        }
        int plane = pixels.length / channels;
        float[] x = new float[pixels.length];
        for (int i = 0; i < x.length; i++) {
            double unit = (pixels[i] & 0xFF) / 255.0;
            x[i] = (float) (kind == Kind.UNIT_RANGE ? unit : (unit - mean[i / plane]) / std[i / plane]);
        }
        return x;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputPreprocessing p
                && kind == p.kind
                && Arrays.equals(mean, p.mean)
                && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(mean) * 17 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NOT_RECORDED -> "not recorded";
            case UNIT_RANGE -> "pixel / 255";
            case STANDARDIZE ->
                "(pixel / 255 - mean[c]) / std[c], mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std);
        };
    }
}

package io.github.qat4j.datasets;

import java.util.Random;

/**
 * The standard CIFAR training augmentation (He et al. 2016, "Deep Residual Learning", sec. 4.2):
 * pad each side with {@code padding} zero pixels, take a random crop of the original size, then
 * flip horizontally with probability 1/2; without the flip (digits are not mirror images of
 * digits), the random shifts used on MNIST. It works on pixel bytes before normalisation, so the
 * padding is black, as with torchvision's RandomCrop before Normalize.
 */
final class RandomCropFlip {

    private final int padding;
    private final boolean flips;

    RandomCropFlip(int padding, boolean flips) {
        if (padding < 0) {
            throw new IllegalArgumentException("padding " + padding);
        }
        this.padding = padding;
        this.flips = flips;
    }

    /**
     * Writes one augmented CHW image into {@code out}, drawing the crop offset and the flip from {@code random}.
     */
    void apply(byte[] source, int offset, int channels, int height, int width, Random random, byte[] out) {
        int dy = random.nextInt(2 * padding + 1) - padding;
        int dx = random.nextInt(2 * padding + 1) - padding;
        boolean flip = flips && random.nextBoolean();
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                for (int x = 0; x < width; x++) {
                    int sx = (flip ? width - 1 - x : x) + dx;
                    boolean inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                    out[c * plane + y * width + x] = inside ? source[offset + c * plane + sy * width + sx] : 0;
                }
            }
        }
    }
}

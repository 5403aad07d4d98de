package io.github.qat4j.core.runtime;

/**
 * The spatial part of a convolution or pooling window over one NCHW image: input size, window,
 * strides, explicit padding (top, left, bottom, right) and dilation. Output size is TFLite's and
 * DL4J's {@code (in + padBefore + padAfter - dilation * (k - 1) - 1) / stride + 1}.
 */
record ConvGeometry(
        int inChannels,
        int inH,
        int inW,
        int kH,
        int kW,
        int strideH,
        int strideW,
        int padTop,
        int padLeft,
        int padBottom,
        int padRight,
        int dilationH,
        int dilationW) {

    /** Largest window (values per output per channel): 256 x 256, beyond any conv or pool in practice. */
    static final int MAX_WINDOW = 1 << 16;

    ConvGeometry {
        if (inChannels <= 0
                || inH <= 0
                || inW <= 0
                || kH <= 0
                || kW <= 0
                || strideH <= 0
                || strideW <= 0
                || dilationH <= 0
                || dilationW <= 0) {
            throw new IllegalArgumentException(
                    "channels, sizes, window, strides and dilations must be positive: " + this);
        }
        if ((long) kH * kW > MAX_WINDOW) {
            // Padding may be up to a window wide, so without this bound a forged window of 2^30 x 2^30
            // over a 1-pixel input would be a legal, endless loop.
            throw new IllegalArgumentException(
                    "window " + kH + " x " + kW + " exceeds " + MAX_WINDOW + " values: " + this);
        }
        if (padTop < 0
                || padLeft < 0
                || padBottom < 0
                || padRight < 0
                || padTop >= effective(kH, dilationH)
                || padBottom >= effective(kH, dilationH)
                || padLeft >= effective(kW, dilationW)
                || padRight >= effective(kW, dilationW)) {
            // A pad as wide as the window would produce output rows that see only padding.
            throw new IllegalArgumentException("padding must be in [0, dilated window) on each side: " + this);
        }
        if ((long) inH + padTop + padBottom < effective(kH, dilationH)
                || (long) inW + padLeft + padRight < effective(kW, dilationW)) {
            throw new IllegalArgumentException("window larger than the padded input: " + this);
        }
        if (outSize(inH, padTop, padBottom, kH, dilationH, strideH)
                        * outSize(inW, padLeft, padRight, kW, dilationW, strideW)
                > TensorInfo.MAX_ELEMENTS) {
            throw new IllegalArgumentException("output plane exceeds " + TensorInfo.MAX_ELEMENTS + " values: " + this);
        }
    }

    private static long outSize(int in, int padBefore, int padAfter, int k, int dilation, int stride) {
        return (in + (long) padBefore + padAfter - effective(k, dilation)) / stride + 1;
    }

    private static long effective(int k, int dilation) {
        return (long) dilation * (k - 1) + 1;
    }

    int outH() {
        return (int) outSize(inH, padTop, padBottom, kH, dilationH, strideH);
    }

    int outW() {
        return (int) outSize(inW, padLeft, padRight, kW, dilationW, strideW);
    }

    /** Elements of one input channel plane. */
    int inPlane() {
        return inH * inW;
    }

    /** Output pixels per channel. */
    int outPlane() {
        return outH() * outW();
    }
}

package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.Requantization;

/**
 * The reference kernels: plain loops that state what every faster implementation must compute,
 * bit for bit. Also the fallback when {@code jdk.incubator.vector} is absent.
 */
class ScalarInt8Kernels implements Int8Kernels {

    @Override
    public String name() {
        return "scalar";
    }

    /** Row-major {@code [n][k]}, unchanged: the loops below read it in that order. */
    @Override
    public PackedWeights packWeights(byte[] weights, int n, int k) {
        checkWeights(weights, n, k);
        return new PackedWeights(weights.clone(), null, n, k);
    }

    static void checkWeights(byte[] weights, int n, int k) {
        if (n <= 0 || k <= 0 || weights.length != (long) n * k) {
            throw new IllegalArgumentException(
                    "weights must hold n * k = " + n + " * " + k + " values, got " + weights.length);
        }
    }

    @Override
    public void gemm(byte[] a, int aOffset, int m, PackedWeights w, int from, int to, int[] bias, int[] acc) {
        int n = w.n();
        int k = w.k();
        byte[] wd = w.data();
        for (int i = 0; i < m; i++) {
            int row = aOffset + i * k;
            for (int j = from; j < to; j++) {
                int sum = bias[j];
                for (int kk = 0; kk < k; kk++) {
                    sum += a[row + kk] * wd[j * k + kk];
                }
                acc[i * n + j] = sum;
            }
        }
    }

    @Override
    public void requantize(
            int[] acc,
            int accOffset,
            int accRowStride,
            int rows,
            int cols,
            boolean channelPerRow,
            int[] outputMultiplier,
            int[] outputShift,
            long[] outputBias,
            int outputOffset,
            int quantizedActivationMin,
            int quantizedActivationMax,
            byte[] out,
            int outOffset,
            int outRowStride) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int c = channelPerRow ? i : j;
                long v = (long) Requantization.multiplyByQuantizedMultiplier(
                                acc[accOffset + i * accRowStride + j],
                                outputMultiplier[c],
                                outputShift[c],
                                outputBias[c])
                        + outputOffset;
                out[outOffset + i * outRowStride + j] =
                        (byte) Math.max(quantizedActivationMin, Math.min(quantizedActivationMax, v));
            }
        }
    }

    @Override
    public int pixelStride(int pixels) {
        return pixels;
    }

    /** Row-major {@code [n][k]}, unchanged, as {@link #packWeights}. */
    @Override
    public PackedWeights packConvWeights(byte[] weights, int n, int k) {
        return packWeights(weights, n, k);
    }

    @Override
    public void convGemm(
            byte[] src, int srcOffset, int[] tapOffset, int pixels, PackedWeights w, int[] bias, int[] acc) {
        int n = w.n();
        int k = w.k();
        byte[] wd = w.data();
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < pixels; p++) {
                int sum = bias[j];
                for (int kk = 0; kk < k; kk++) {
                    sum += src[srcOffset + tapOffset[kk] + p] * wd[j * k + kk];
                }
                acc[j * pixels + p] = sum;
            }
        }
    }

    @Override
    public void depthwiseConv(
            byte[] in,
            int inOffset,
            ConvGeometry g,
            int depthMultiplier,
            byte[] weights,
            int[] bias,
            byte padValue,
            int[] acc) {
        int outH = g.outH();
        int outW = g.outW();
        int outChannels = g.inChannels() * depthMultiplier;
        int window = g.kH() * g.kW();
        for (int oc = 0; oc < outChannels; oc++) {
            int plane = inOffset + (oc / depthMultiplier) * g.inPlane();
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int sum = bias[oc];
                    for (int ky = 0; ky < g.kH(); ky++) {
                        int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                        for (int kx = 0; kx < g.kW(); kx++) {
                            int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                            boolean inside = iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW();
                            int x = inside ? in[plane + iy * g.inW() + ix] : padValue;
                            sum += x * weights[oc * window + ky * g.kW() + kx];
                        }
                    }
                    acc[(oc * outH + oy) * outW + ox] = sum;
                }
            }
        }
    }

    @Override
    public void maxPool(byte[] in, int inOffset, ConvGeometry g, byte[] out, int outOffset) {
        pool(in, inOffset, g, null, out, outOffset, true);
    }

    @Override
    public void avgPool(byte[] in, int inOffset, ConvGeometry g, AverageParams p, byte[] out, int outOffset) {
        pool(in, inOffset, g, p, out, outOffset, false);
    }

    private static void pool(
            byte[] in, int inOffset, ConvGeometry g, AverageParams p, byte[] out, int outOffset, boolean max) {
        int outH = g.outH();
        int outW = g.outW();
        int dst = outOffset;
        for (int c = 0; c < g.inChannels(); c++) {
            int plane = inOffset + c * g.inPlane();
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int best = Byte.MIN_VALUE;
                    long sum = 0;
                    int count = 0;
                    for (int ky = 0; ky < g.kH(); ky++) {
                        int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                        for (int kx = 0; kx < g.kW(); kx++) {
                            int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                            if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                int x = in[plane + iy * g.inW() + ix];
                                best = Math.max(best, x);
                                sum += x + 128;
                                count++;
                            }
                        }
                    }
                    out[dst++] = (byte) (max ? best : average(sum, count, p));
                }
            }
        }
    }

    /**
     * The signed output code of the average of {@code count} uint8 values summing to {@code uint8Sum}:
     * requantized by {@code p}, or TFLite's {@code (sum + count / 2) / count} when {@code p} is null.
     */
    static int average(long uint8Sum, int count, AverageParams p) {
        if (p == null) {
            return (int) ((uint8Sum + count / 2) / count) - 128;
        }
        long mean = Requantization.averageByQuantizedMultiplier(
                        uint8Sum - (long) count * p.inputZeroPoint(), count, p.multiplier(), p.shift())
                + (long) p.outputZeroPoint();
        return (int) Math.max(0, Math.min(p.qmax(), mean)) - 128;
    }

    @Override
    public void globalAvgPool(
            byte[] in, int inOffset, int channels, int plane, AverageParams p, byte[] out, int outOffset) {
        for (int c = 0; c < channels; c++) {
            long sum = 0;
            for (int i = inOffset + c * plane, end = i + plane; i < end; i++) {
                sum += in[i] + 128;
            }
            out[outOffset + c] = (byte) average(sum, plane, p);
        }
    }

    @Override
    public void add(
            byte[] in1, int in1Offset, byte[] in2, int in2Offset, int size, AddParams p, byte[] out, int outOffset) {
        for (int i = 0; i < size; i++) {
            int shifted1 = (in1[in1Offset + i] + p.input1Offset()) << p.leftShift();
            int shifted2 = (in2[in2Offset + i] + p.input2Offset()) << p.leftShift();
            int scaled1 = Requantization.multiplyByQuantizedMultiplier(shifted1, p.input1Multiplier(), p.input1Shift());
            int scaled2 = Requantization.multiplyByQuantizedMultiplier(shifted2, p.input2Multiplier(), p.input2Shift());
            long raw = (long) Requantization.multiplyByQuantizedMultiplier(
                            scaled1 + scaled2, p.outputMultiplier(), p.outputShift())
                    + p.outputOffset();
            out[outOffset + i] = (byte) Math.max(p.quantizedActivationMin(), Math.min(p.quantizedActivationMax(), raw));
        }
    }
}

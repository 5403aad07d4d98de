package io.github.qat4j.layers;

/**
 * The per-channel arithmetic of {@link FoldedConvLayer} on flat activation tensors viewed as
 * {@code [outer][channels][inner]} (NCHW: {@code [N][C][H*W]}; NHWC: {@code [N*H*W][C][1]}): a
 * BatchNorm with batch statistics of {@code z = u / k + b}, its backward pass, and the folded bias.
 * Plain loops over Java arrays, one pass each, where ND4J's broadcasts along the channel axis of an
 * NCHW tensor cost more than the convolution. In double, so that a double network's gradient check
 * sees double precision; a float network pays one widening and one narrowing copy.
 */
final class ChannelNorm {
    final int outer;
    final int channels;
    final int inner;

    ChannelNorm(int outer, int channels, int inner) {
        this.outer = outer;
        this.channels = channels;
        this.inner = inner;
    }

    /** Elements per channel: the count the batch statistics average over. */
    long perChannel() {
        return (long) outer * inner;
    }

    /** Batch statistics of {@code z = u / k + b}: {@code mean} and biased {@code var}, one pass in double. */
    void moments(double[] u, double[] k, double[] b, double[] mean, double[] var) {
        double[] sum = new double[channels];
        double[] sumSquares = new double[channels];
        int i = 0;
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                double rk = 1 / k[c];
                double s = 0;
                double ss = 0;
                for (int end = i + inner; i < end; i++) {
                    double z = u[i] * rk;
                    s += z;
                    ss += z * z;
                }
                sum[c] += s;
                sumSquares[c] += ss;
            }
        }
        double n = perChannel();
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / n;
            mean[c] = m + b[c];
            var[c] = Math.max(0, sumSquares[c] / n - m * m);
        }
    }

    /**
     * {@code zHat = (z - mean) / std} into {@code zHat} (may be {@code u}) and
     * {@code y = gamma * zHat + beta} into {@code y}.
     */
    void normalize(
            double[] u,
            double[] k,
            double[] b,
            double[] mean,
            double[] std,
            double[] gamma,
            double[] beta,
            double[] zHat,
            double[] y) {
        int i = 0;
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                double rk = 1 / k[c];
                double shift = (mean[c] - b[c]);
                double rs = 1 / std[c];
                double g = gamma[c];
                double be = beta[c];
                for (int end = i + inner; i < end; i++) {
                    double h = (u[i] * rk - shift) * rs;
                    zHat[i] = h;
                    y[i] = g * h + be;
                }
            }
        }
    }

    /** Per channel {@code sum(a)} into {@code sumA} and, if {@code b} is not null, {@code sum(a * b)} into {@code sumAB}. */
    void sums(double[] a, double[] b, double[] sumA, double[] sumAB) {
        int i = 0;
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                double s = 0;
                double sp = 0;
                for (int end = i + inner; i < end; i++) {
                    s += a[i];
                    if (b != null) {
                        sp += a[i] * b[i];
                    }
                }
                sumA[c] += s;
                if (b != null) {
                    sumAB[c] += sp;
                }
            }
        }
    }

    /**
     * The BatchNorm backward with batch statistics (Ioffe and Szegedy 2015), then through
     * {@code z = u / k + b}: from {@code gradY} and the forward's {@code zHat}, with
     * {@code sumGradY = sum(gradY)} and {@code sumGradYZHat = sum(gradY * zHat)} per channel,
     * writes {@code dL/du = (gamma / std) * (gradY - mean(gradY) - zHat * mean(gradY * zHat)) / k}
     * into {@code gradU} (may be {@code gradY}), and per channel {@code sum(dL/dz)} and
     * {@code sum(dL/dz * zHat)} into the two sums.
     */
    void batchNormBackward(
            double[] gradY,
            double[] zHat,
            double[] gamma,
            double[] std,
            double[] k,
            double[] sumGradY,
            double[] sumGradYZHat,
            double[] gradU,
            double[] sumGradZ,
            double[] sumGradZZHat) {
        double n = perChannel();
        int i = 0;
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                double a = gamma[c] / std[c];
                double meanG = (sumGradY[c] / n);
                double meanGZ = (sumGradYZHat[c] / n);
                double rk = 1 / k[c];
                double s = 0;
                double sz = 0;
                for (int end = i + inner; i < end; i++) {
                    double gz = a * (gradY[i] - meanG - zHat[i] * meanGZ);
                    s += gz;
                    sz += gz * zHat[i];
                    gradU[i] = gz * rk;
                }
                sumGradZ[c] += s;
                sumGradZZHat[c] += sz;
            }
        }
    }

    /** {@code u + bias} per channel, in place. */
    void addBias(double[] u, double[] bias) {
        int i = 0;
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                double b = bias[c];
                for (int end = i + inner; i < end; i++) {
                    u[i] += b;
                }
            }
        }
    }
}

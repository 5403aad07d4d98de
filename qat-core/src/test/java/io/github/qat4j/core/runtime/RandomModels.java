package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.FakeQuant;
import io.github.qat4j.core.quant.Requantization;
import java.util.List;
import java.util.Random;

/** Seeded random models for the runtime tests, and a naive uint-domain evaluator to check them against. */
final class RandomModels {

    private RandomModels() {}

    static byte[] weights(Random rnd, int count, int bits) {
        int max = (1 << (bits - 1)) - 1;
        byte[] w = new byte[count];
        for (int i = 0; i < count; i++) {
            w[i] = (byte) (rnd.nextInt(2 * max + 1) - max);
        }
        return w;
    }

    static float[] floats(Random rnd, int count, float lo, float hi) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = lo + rnd.nextFloat() * (hi - lo);
        }
        return v;
    }

    private static TensorQuantization activation(Random rnd, float scale) {
        int bits = rnd.nextInt(4) == 0 ? 4 + rnd.nextInt(4) : 8;
        return new TensorQuantization(scale, rnd.nextInt(1 << bits), bits);
    }

    /** LeNet as DL4J's example builds it: conv 20x5x5, pool, conv 50x5x5, pool, dense 500, dense 10, softmax. */
    static Int8ModelBuilder lenet(Random rnd, int weightBits) {
        int[] none = {0, 0, 0, 0};
        int[] one = {1, 1};
        return Int8Model.builder(new int[] {1, 28, 28}, new TensorQuantization(1f / 255, 0, 8))
                .conv2d(
                        "conv1",
                        weights(rnd, 20 * 25, weightBits),
                        new int[] {20, 1, 5, 5},
                        weightBits,
                        floats(rnd, 20, 0.005f, 0.02f),
                        floats(rnd, 20, -0.1f, 0.1f),
                        one,
                        none,
                        one,
                        1,
                        new TensorQuantization(0.02f, 0, 8),
                        Activation.RELU)
                .maxPool("pool1", new int[] {2, 2}, new int[] {2, 2}, none)
                .conv2d(
                        "conv2",
                        weights(rnd, 50 * 20 * 25, weightBits),
                        new int[] {50, 20, 5, 5},
                        weightBits,
                        floats(rnd, 50, 0.002f, 0.01f),
                        floats(rnd, 50, -0.1f, 0.1f),
                        one,
                        none,
                        one,
                        1,
                        new TensorQuantization(0.05f, 0, 8),
                        Activation.RELU)
                .maxPool("pool2", new int[] {2, 2}, new int[] {2, 2}, none)
                .flatten("flatten")
                .dense(
                        "dense1",
                        weights(rnd, 500 * 800, weightBits),
                        500,
                        weightBits,
                        floats(rnd, 500, 0.001f, 0.004f),
                        floats(rnd, 500, -0.1f, 0.1f),
                        new TensorQuantization(0.05f, 0, 8),
                        Activation.RELU)
                .denseLogits(
                        "output",
                        weights(rnd, 10 * 500, weightBits),
                        10,
                        weightBits,
                        floats(rnd, 10, 0.002f, 0.01f),
                        floats(rnd, 10, -0.1f, 0.1f))
                .softmax();
    }

    /** A small random graph over every op kind: convs (dilated, strided, padded, depthwise), pools, residual add, dense. */
    static Int8ModelBuilder random(Random rnd) {
        int c = 1 + rnd.nextInt(3);
        int h = 5 + rnd.nextInt(10);
        int w = 5 + rnd.nextInt(10);
        Int8ModelBuilder b = Int8Model.builder(new int[] {c, h, w}, activation(rnd, 0.01f + rnd.nextFloat() * 0.05f));
        int layers = 1 + rnd.nextInt(4);
        for (int i = 0; i < layers; i++) {
            TensorInfo in = b.graphTensor();
            c = in.dim(0);
            h = in.dim(1);
            w = in.dim(2);
            switch (rnd.nextInt(5)) {
                case 0, 1 -> {
                    int k = 1 + rnd.nextInt(Math.min(3, Math.min(h, w)));
                    boolean depthwise = rnd.nextInt(3) == 0;
                    int out = depthwise ? c * (1 + rnd.nextInt(2)) : 1 + rnd.nextInt(6);
                    int bits = 2 + rnd.nextInt(7);
                    int dil = k > 1 && h >= 2 * k && w >= 2 * k && rnd.nextBoolean() ? 2 : 1;
                    int eff = dil * (k - 1) + 1;
                    int[] pad = {rnd.nextInt(eff), rnd.nextInt(eff), rnd.nextInt(eff), rnd.nextInt(eff)};
                    b.conv2d(
                            null,
                            weights(rnd, out * (depthwise ? 1 : c) * k * k, bits),
                            new int[] {out, depthwise ? 1 : c, k, k},
                            bits,
                            floats(rnd, out, 0.01f, 0.05f),
                            rnd.nextBoolean() ? null : floats(rnd, out, -0.2f, 0.2f),
                            new int[] {1 + rnd.nextInt(2), 1 + rnd.nextInt(2)},
                            pad,
                            new int[] {dil, dil},
                            depthwise ? c : 1,
                            activation(rnd, 0.02f + rnd.nextFloat() * 0.1f),
                            Activation.values()[rnd.nextInt(3)]);
                }
                case 2 -> {
                    int k = 1 + rnd.nextInt(Math.min(3, Math.min(h, w)));
                    int[] pad = {rnd.nextInt(k), rnd.nextInt(k), rnd.nextInt(k), rnd.nextInt(k)};
                    int[] kernel = {k, k};
                    int[] stride = {1 + rnd.nextInt(2), 1 + rnd.nextInt(2)};
                    if (rnd.nextBoolean()) {
                        b.maxPool(null, kernel, stride, pad);
                    } else {
                        if (rnd.nextBoolean()) {
                            b.avgPool(null, kernel, stride, pad);
                        } else {
                            b.avgPool(null, kernel, stride, pad, activation(rnd, 0.02f + rnd.nextFloat() * 0.1f));
                        }
                    }
                }
                default -> {
                    int shortcut = b.currentTensor();
                    int bits = 2 + rnd.nextInt(7);
                    b.conv2d(
                            null,
                            weights(rnd, c * c * 9, bits),
                            new int[] {c, c, 3, 3},
                            bits,
                            floats(rnd, c, 0.01f, 0.05f),
                            floats(rnd, c, -0.2f, 0.2f),
                            new int[] {1, 1},
                            new int[] {1, 1, 1, 1},
                            new int[] {1, 1},
                            1,
                            activation(rnd, 0.02f + rnd.nextFloat() * 0.1f),
                            Activation.RELU);
                    b.add(
                            null,
                            shortcut,
                            activation(rnd, 0.02f + rnd.nextFloat() * 0.1f),
                            Activation.values()[rnd.nextInt(3)]);
                }
            }
        }
        int last = rnd.nextInt(3);
        if (last == 0) {
            b.globalAvgPool(null);
        } else if (last == 1) {
            b.globalAvgPool(null, activation(rnd, 0.01f + rnd.nextFloat() * 0.1f));
        } else {
            b.flatten(null);
        }
        int features = b.graphTensor().size();
        int classes = 2 + rnd.nextInt(12);
        int bits = 2 + rnd.nextInt(7);
        if (rnd.nextBoolean()) {
            b.denseLogits(
                    "logits",
                    weights(rnd, classes * features, bits),
                    classes,
                    bits,
                    floats(rnd, classes, 0.01f, 0.05f),
                    floats(rnd, classes, -0.5f, 0.5f));
        } else {
            b.dense(
                    "logits",
                    weights(rnd, classes * features, bits),
                    classes,
                    bits,
                    floats(rnd, 1, 0.01f, 0.05f),
                    null,
                    activation(rnd, 0.05f),
                    Activation.NONE);
        }
        return rnd.nextBoolean() ? b.softmax() : b;
    }

    static float[] input(Random rnd, int size) {
        return floats(rnd, size, -1f, 2f);
    }

    /**
     * Quantizes {@code input} as the model's input tensor and evaluates {@code g} op by op in the uint domain with
     * the textbook formulas; returns every tensor as ints.
     */
    static int[][] evaluate(Graph g, float[] input) {
        List<TensorInfo> t = g.tensors();
        TensorQuantization inputQuantization = g.input().quantization();
        int[][] v = new int[t.size()][];
        v[0] = new int[input.length];
        for (int i = 0; i < input.length; i++) {
            v[0][i] = FakeQuant.quantize(
                    input[i],
                    inputQuantization.scale(),
                    inputQuantization.zeroPoint(),
                    inputQuantization.qmin(),
                    inputQuantization.qmax());
        }
        for (int i = 0; i < g.ops().size(); i++) {
            Op op = g.ops().get(i);
            TensorInfo x = t.get(op.inputs()[0]);
            int[] in = v[op.inputs()[0]];
            int zIn = x.quantization().zeroPoint();
            if (op instanceof Op.Conv2D c) {
                ConvGeometry geo = c.geometry(x.dim(1), x.dim(2));
                int cout = c.outChannels();
                int cinG = c.inChannels() / c.groups();
                int[] acc = new int[cout * geo.outPlane()];
                for (int oc = 0; oc < cout; oc++) {
                    int group = c.groups() == 1 ? 0 : oc / (cout / c.inChannels());
                    for (int oy = 0; oy < geo.outH(); oy++) {
                        for (int ox = 0; ox < geo.outW(); ox++) {
                            int sum = c.bias()[oc];
                            for (int ic = 0; ic < cinG; ic++) {
                                for (int ky = 0; ky < c.kH(); ky++) {
                                    for (int kx = 0; kx < c.kW(); kx++) {
                                        int iy = oy * c.strideH() - c.padTop() + ky * c.dilationH();
                                        int ix = ox * c.strideW() - c.padLeft() + kx * c.dilationW();
                                        if (iy >= 0 && iy < geo.inH() && ix >= 0 && ix < geo.inW()) {
                                            int q = in[((group * cinG + ic) * geo.inH() + iy) * geo.inW() + ix];
                                            sum += (q - zIn)
                                                    * c.weights()[((oc * cinG + ic) * c.kH() + ky) * c.kW() + kx];
                                        }
                                    }
                                }
                            }
                            acc[oc * geo.outPlane() + oy * geo.outW() + ox] = sum;
                        }
                    }
                }
                v[i + 1] = outputStage(acc, c.output(), geo.outPlane());
            } else if (op instanceof Op.Dense d) {
                int[] acc = new int[d.outFeatures()];
                for (int j = 0; j < acc.length; j++) {
                    int sum = d.bias()[j];
                    for (int k = 0; k < d.inFeatures(); k++) {
                        sum += (in[k] - zIn) * d.weights()[j * d.inFeatures() + k];
                    }
                    acc[j] = sum;
                }
                v[i + 1] = outputStage(acc, d.output(), 1);
            } else if (op instanceof Op.Pool p) {
                ConvGeometry geo = p.geometry(x.dim(0), x.dim(1), x.dim(2));
                byte[] signed = new byte[in.length];
                for (int k = 0; k < in.length; k++) {
                    signed[k] = (byte) (in[k] - 128);
                }
                byte[] out =
                        Int8KernelsTest.naivePool(signed, geo, !p.average(), Executor.averageParams(x, p.averaged()));
                v[i + 1] = new int[out.length];
                for (int k = 0; k < out.length; k++) {
                    v[i + 1][k] = out[k] + 128;
                }
            } else if (op instanceof Op.GlobalAvgPool p) {
                int plane = x.dim(1) * x.dim(2);
                v[i + 1] = new int[x.dim(0)];
                for (int ch = 0; ch < x.dim(0); ch++) {
                    long sum = 0;
                    for (int k = 0; k < plane; k++) {
                        sum += in[ch * plane + k];
                    }
                    Op.Averaged a = p.averaged();
                    v[i + 1][ch] = a == null
                            ? (int) ((sum + plane / 2) / plane)
                            : Math.max(
                                    0,
                                    Math.min(
                                            a.quantization().qmax(),
                                            a.quantization().zeroPoint()
                                                    + Requantization.averageByQuantizedMultiplier(
                                                            sum - (long) plane * zIn,
                                                            plane,
                                                            a.multiplier(),
                                                            a.shift())));
                }
            } else if (op instanceof Op.Add a) {
                int[] in2 = v[a.input2()];
                int z2 = t.get(a.input2()).quantization().zeroPoint();
                v[i + 1] = new int[in.length];
                for (int k = 0; k < in.length; k++) {
                    int s1 = Requantization.multiplyByQuantizedMultiplier(
                            (in[k] - zIn) << a.leftShift(), a.input1Multiplier(), a.input1Shift());
                    int s2 = Requantization.multiplyByQuantizedMultiplier(
                            (in2[k] - z2) << a.leftShift(), a.input2Multiplier(), a.input2Shift());
                    long r = (long) Requantization.multiplyByQuantizedMultiplier(
                                    s1 + s2, a.outputMultiplier(), a.outputShift())
                            + a.quantization().zeroPoint();
                    v[i + 1][k] = (int) Math.max(a.quantizedActivationMin(), Math.min(a.quantizedActivationMax(), r));
                }
            } else {
                v[i + 1] = in.clone();
            }
        }
        return v;
    }

    /** Channel of acc[i] is i / plane (NCHW); float-output ops keep their accumulators. */
    private static int[] outputStage(int[] acc, Op.Output output, int plane) {
        if (!(output instanceof Op.Requantized r)) {
            return acc;
        }
        int[] q = new int[acc.length];
        for (int i = 0; i < acc.length; i++) {
            int c = i / plane;
            long v = (long) Requantization.multiplyByQuantizedMultiplier(
                            acc[i], r.outputMultiplier()[c], r.outputShift()[c], r.outputBias()[c])
                    + r.quantization().zeroPoint();
            q[i] = (int) Math.max(r.quantizedActivationMin(), Math.min(r.quantizedActivationMax(), v));
        }
        return q;
    }
}

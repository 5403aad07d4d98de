package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Dynamic dense against a plain scalar reference of qat-core/README.md, the float network and the format. */
class DynamicDenseTest {

    /** One layer of a dynamic MLP as the test holds it: int weights {@code [out][in]}. */
    private record Layer(int in, int out, int bits, byte[] w, float[] scale, float[] bias, Activation activation) {}

    private static List<Layer> randomMlp(Random r, int... sizes) {
        List<Layer> layers = new ArrayList<>();
        Activation[] activations = {Activation.RELU, Activation.RELU6, Activation.NONE};
        for (int l = 0; l + 1 < sizes.length; l++) {
            int bits = l == 1 ? 3 : 8;
            int qmax = (1 << (bits - 1)) - 1;
            int in = sizes[l];
            int out = sizes[l + 1];
            byte[] w = new byte[in * out];
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) (r.nextInt(2 * qmax + 1) - qmax);
            }
            float[] scale = new float[out];
            float[] bias = new float[out];
            for (int c = 0; c < out; c++) {
                scale[c] = (0.2f + r.nextFloat()) / qmax / (float) Math.sqrt(in);
                bias[c] = (float) r.nextGaussian() * 0.1f;
            }
            Activation a = l + 2 == sizes.length ? Activation.NONE : activations[l % activations.length];
            layers.add(new Layer(in, out, bits, w, scale, bias, a));
        }
        return layers;
    }

    private static Int8Model build(List<Layer> layers) {
        Int8ModelBuilder b = Int8Model.dynamicBuilder(new int[] {layers.get(0).in()}, 8);
        for (Layer l : layers) {
            b.dynamicDense(null, l.w(), l.out(), l.bits(), l.scale(), l.bias(), l.activation(), 8);
        }
        return b.build();
    }

    /**
     * The README's semantics written out: per image, {@code lo = min(x, 0)}, {@code hi = max(x, 0)},
     * {@code s = max((hi - lo) / 255, 2^-23)}, {@code z = clamp(-round(lo / s), 0, 255)}, {@code q =
     * clamp(round(x / s) + z, 0, 255)}, {@code y = acc * (s * s_w) + b}, then the activation.
     */
    private static float[] reference(List<Layer> layers, float[] input) {
        float[] x = input.clone();
        for (Layer l : layers) {
            float lo = 0f;
            float hi = 0f;
            for (float v : x) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            float s = Math.max((hi - lo) / 255f, 0x1p-23f);
            int z = (int) Math.max(0, Math.min(255, -Math.rint(lo / s)));
            int[] q = new int[x.length];
            for (int i = 0; i < x.length; i++) {
                q[i] = (int) Math.max(0, Math.min(255, Math.rint(x[i] / s) + z));
            }
            float[] y = new float[l.out()];
            for (int c = 0; c < l.out(); c++) {
                int acc = 0;
                for (int i = 0; i < l.in(); i++) {
                    acc += (q[i] - z) * l.w()[c * l.in() + i];
                }
                float v = acc * (s * l.scale()[c]) + l.bias()[c];
                y[c] = switch (l.activation()) {
                    case NONE -> v;
                    case RELU -> Math.max(v, 0f);
                    case RELU6 -> Math.min(Math.max(v, 0f), 6f);
                };
            }
            x = y;
        }
        return x;
    }

    private static float[][] inputs(Random r, int n, int size) {
        float[][] x = new float[n][size];
        for (int b = 2; b < n; b++) {
            float spread = (float) Math.exp(r.nextGaussian() * 2);
            for (int i = 0; i < size; i++) {
                x[b][i] = (float) r.nextGaussian() * spread + (b % 3 == 0 ? spread : 0f);
            }
        }
        java.util.Arrays.fill(x[1], 3.5f); // a constant image: its range is [0, 3.5]
        return x; // x[0] is all zeros: the scale floor
    }

    @Test
    void everyKernelAndBatchSizeMatchesTheScalarReferenceBitForBit() {
        Random r = new Random(16);
        List<Layer> layers = randomMlp(r, 37, 19, 23, 5);
        Int8Model model = build(layers);
        float[][] x = inputs(r, 70, 37);
        float[][] batch = model.predict(x);
        float[][] scalarBatch = model.withScalarKernels().predict(x);
        for (int b = 0; b < x.length; b++) {
            float[] expected = reference(layers, x[b]);
            assertArrayEquals(expected, model.predict(x[b]), 0f, "image " + b + ", " + model.kernels());
            assertArrayEquals(expected, batch[b], 0f, "batched image " + b);
            assertArrayEquals(expected, scalarBatch[b], 0f, "scalar kernels, image " + b);
        }
    }

    @Test
    void tracksTheFloatNetworkWithoutCalibration() {
        Random r = new Random(7);
        int in = 64;
        int hidden = 32;
        int out = 10;
        float[][] w1 = gaussian(r, hidden, in);
        float[][] w2 = gaussian(r, out, hidden);
        Int8Model model = Int8Model.dynamicBuilder(new int[] {in}, 8)
                .dynamicDense("fc1", int8(w1), hidden, 8, maxAbsScales(w1), null, Activation.RELU, 8)
                .dynamicDense("fc2", int8(w2), out, 8, maxAbsScales(w2), null, Activation.NONE, 8)
                .build();
        for (int b = 0; b < 20; b++) {
            float[] x = new float[in];
            float spread =
                    (float) Math.exp(r.nextGaussian() * 3); // ranges over decades: one static scale cannot fit all
            for (int i = 0; i < in; i++) {
                x[i] = Math.abs((float) r.nextGaussian()) * spread;
            }
            float[] expected = matmul(w2, relu(matmul(w1, x)));
            float[] got = model.predict(x);
            float norm = 0f;
            for (float v : expected) {
                norm = Math.max(norm, Math.abs(v));
            }
            for (int c = 0; c < out; c++) {
                assertEquals(
                        expected[c], got[c], 0.03f * norm, "image " + b + " output " + c + " (spread " + spread + ")");
            }
        }
    }

    @Test
    void savesAsTheCurrentVersionAndLoadsTheSame() throws IOException {
        Random r = new Random(3);
        List<Layer> layers = randomMlp(r, 12, 9, 6, 4);
        Int8Model model = build(layers);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        model.write(bytes);
        byte[] file = bytes.toByteArray();
        assertEquals(ModelFormat.VERSION, ModelFiles.le(file).getInt(8));
        Int8Model loaded = Int8Model.load(new ByteArrayInputStream(file));
        assertNull(loaded.inputQuantization());
        assertEquals(OpInfo.Kind.DYNAMIC_DENSE, loaded.ops().get(0).kind());
        assertEquals(Activation.RELU, loaded.ops().get(0).activation());
        assertEquals(3, loaded.ops().get(1).weights().bits());
        for (float[] x : inputs(r, 8, 12)) {
            assertArrayEquals(reference(layers, x), loaded.predict(x), 0f);
        }
    }

    @Test
    void badUseAndBadFilesAreClearErrors() throws IOException {
        Int8ModelBuilder b = Int8Model.dynamicBuilder(new int[] {4}, 8)
                .dynamicDense("fc", new byte[8], 2, 8, new float[] {1f}, null, Activation.NONE, 8);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> b.dense(
                        "static",
                        new byte[2],
                        1,
                        8,
                        new float[] {1f},
                        null,
                        new TensorQuantization(1f, 0, 8),
                        Activation.NONE));
        assertTrue(e.getMessage().contains("dynamic"), e.getMessage());
        Int8Model model = b.build();
        e = assertThrows(IllegalArgumentException.class, () -> model.predictUint8(new byte[4]));
        assertTrue(e.getMessage().contains("dynamic"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Int8Model.dynamicBuilder(new int[] {4}, 8)
                        .dynamicDense(
                                "fc",
                                new byte[8],
                                2,
                                8,
                                new float[] {1f},
                                new float[] {Float.NaN, 0f},
                                Activation.NONE,
                                8));
        assertTrue(e.getMessage().contains("bias 0"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Int8Model.dynamicBuilder(new int[] {4}, 8)
                        .dynamicDense("fc", new byte[8], 2, 8, new float[] {1f}, null, Activation.NONE, 8)
                        .reshape("last", 2)
                        .build());
        assertTrue(e.getMessage().contains("'last'") && e.getMessage().contains("dynamic dense"), e.getMessage());

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        model.write(bytes);
        byte[] file = bytes.toByteArray();
        byte[] asV2 = file.clone();
        ModelFiles.le(asV2).putInt(8, 2);
        assertThrows(ModelFormatException.class, () -> Int8Model.load(new ByteArrayInputStream(asV2)));
        // INPUT payload: shape (u8 rank 1, i32 4), then the kind byte at 12 + 8 + 5.
        byte[] badKind = file.clone();
        badKind[25] = 7;
        ModelFormatException f = assertThrows(
                ModelFormatException.class, () -> Int8Model.load(new ByteArrayInputStream(ModelFiles.reseal(badKind))));
        assertTrue(f.getMessage().contains("input kind"), f.getMessage());
        assertEquals(25, f.offset());
    }

    private static float[][] gaussian(Random r, int rows, int cols) {
        float[][] w = new float[rows][cols];
        for (float[] row : w) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) r.nextGaussian() / (float) Math.sqrt(cols);
            }
        }
        return w;
    }

    private static float[] maxAbsScales(float[][] w) {
        float[] s = new float[w.length];
        for (int c = 0; c < w.length; c++) {
            for (float v : w[c]) {
                s[c] = Math.max(s[c], Math.abs(v) / 127f);
            }
        }
        return s;
    }

    private static byte[] int8(float[][] w) {
        float[] s = maxAbsScales(w);
        byte[] q = new byte[w.length * w[0].length];
        for (int c = 0; c < w.length; c++) {
            for (int i = 0; i < w[c].length; i++) {
                q[c * w[c].length + i] = (byte) Math.rint(w[c][i] / s[c]);
            }
        }
        return q;
    }

    private static float[] matmul(float[][] w, float[] x) {
        float[] y = new float[w.length];
        for (int c = 0; c < w.length; c++) {
            for (int i = 0; i < x.length; i++) {
                y[c] += w[c][i] * x[i];
            }
        }
        return y;
    }

    private static float[] relu(float[] x) {
        float[] y = x.clone();
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.max(0f, y[i]);
        }
        return y;
    }
}

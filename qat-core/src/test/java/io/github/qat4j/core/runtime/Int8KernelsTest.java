package io.github.qat4j.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.github.qat4j.core.quant.QuantizedMultiplier;
import io.github.qat4j.core.quant.Requantization;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Vector API kernels against the scalar specification, and the scalar conv against 7 loops. */
class Int8KernelsTest {

    private final Int8Kernels scalar = new ScalarInt8Kernels();
    private final Int8Kernels panama = new PanamaInt8Kernels();

    @Test
    void providerPicksVectorKernelsWhenModulePresent() {
        assertInstanceOf(PanamaInt8Kernels.class, Int8KernelsProvider.get());
    }

    @Test
    void gemmMatchesScalarOnRandomShapes() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 300; trial++) {
            int m = 1 + rnd.nextInt(9);
            int n = 1 + rnd.nextInt(13);
            int k = 1 + rnd.nextInt(trial < 200 ? 70 : 900);
            boolean extreme = trial % 5 == 0;
            byte[] a = activations(rnd, m * k + Int8Kernels.ROW_SLACK, extreme);
            byte[] w = weights(rnd, n * k, extreme);
            int[] bias = ints(rnd, n, 1 << 20);
            int aOffset = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5);
            byte[] shifted = new byte[a.length + aOffset];
            System.arraycopy(a, 0, shifted, aOffset, a.length);
            int[] expected = new int[m * n];
            int[] actual = new int[m * n];
            scalar.gemm(shifted, aOffset, m, scalar.packWeights(w, n, k), 0, n, bias, expected);
            panama.gemm(shifted, aOffset, m, panama.packWeights(w, n, k), 0, n, bias, actual);
            assertArrayEquals(expected, actual, "m=" + m + " n=" + n + " k=" + k);
        }
    }

    @Test
    void gemmOfAColumnRangeWritesThoseColumnsOnly() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 100; trial++) {
            int m = 1 + rnd.nextInt(5);
            int n = 1 + rnd.nextInt(70);
            int k = 1 + rnd.nextInt(100);
            byte[] a = activations(rnd, m * k + Int8Kernels.ROW_SLACK, trial % 5 == 0);
            byte[] w = weights(rnd, n * k, trial % 5 == 0);
            int[] bias = ints(rnd, n, 1 << 20);
            int from = rnd.nextInt((n + Int8Kernels.COLUMN_BLOCK - 1) / Int8Kernels.COLUMN_BLOCK)
                    * Int8Kernels.COLUMN_BLOCK;
            int to = from + rnd.nextInt(n - from + 1);
            int[] whole = new int[m * n];
            scalar.gemm(a, 0, m, scalar.packWeights(w, n, k), 0, n, bias, whole);
            for (Int8Kernels kernels : new Int8Kernels[] {scalar, panama}) {
                int[] part = new int[m * n];
                Arrays.fill(part, 12345);
                kernels.gemm(a, 0, m, kernels.packWeights(w, n, k), from, to, bias, part);
                for (int i = 0; i < m * n; i++) {
                    int j = i % n;
                    assertEquals(
                            j >= from && j < to ? whole[i] : 12345,
                            part[i],
                            kernels.name() + " m=" + m + " n=" + n + " k=" + k + " [" + from + ", " + to + ") at " + i);
                }
            }
        }
    }

    @Test
    void gemmReferenceIsTheDotProduct() {
        byte[] a = new byte[2 * 3 + Int8Kernels.ROW_SLACK];
        byte[] src = {-128, 127, 3, 1, -1, 0};
        System.arraycopy(src, 0, a, 0, src.length);
        byte[] w = {127, -127, 2, -127, 127, -127};
        int[] acc = new int[4];
        scalar.gemm(a, 0, 2, scalar.packWeights(w, 2, 3), 0, 2, new int[] {10, -10}, acc);
        assertArrayEquals(
                new int[] {
                    10 + -128 * 127 + 127 * -127 + 3 * 2,
                    -10 + -128 * -127 + 127 * 127 + 3 * -127,
                    10 + 1 * 127 + -1 * -127 + 0 * 2,
                    -10 + 1 * -127 + -1 * 127 + 0 * -127
                },
                acc);
    }

    @Test
    void requantizeMatchesMultiplyByQuantizedMultiplierPerRowAndPerColumn() {
        Random rnd = new Random(2);
        for (int trial = 0; trial < 50; trial++) {
            int rows = 1 + rnd.nextInt(9);
            int cols = 1 + rnd.nextInt(70);
            int channels = Math.max(rows, cols);
            // A block of a wider accumulator matrix into a tile of a wider output plane, on odd trials.
            int accOffset = trial % 2 == 0 ? 0 : rnd.nextInt(20);
            int accRowStride = cols + (trial % 2 == 0 ? 0 : rnd.nextInt(40));
            int outRowStride = cols + (trial % 2 == 0 ? 0 : rnd.nextInt(40));
            int[] acc = ints(rnd, accOffset + rows * accRowStride, trial % 5 == 0 ? Integer.MAX_VALUE / 2 : 1 << 24);
            int[] multiplier = new int[channels];
            int[] shift = new int[channels];
            long[] bias = new long[channels];
            // A positive output offset on saturated sums: the int32 maximum plus it must not wrap.
            int outputOffset = trial % 2 == 0 ? -5 : 7;
            for (int c = 0; c < channels; c++) {
                QuantizedMultiplier q = QuantizedMultiplier.of(Math.pow(2, 2 - rnd.nextInt(24)) * rnd.nextDouble());
                multiplier[c] = q.multiplier();
                shift[c] = q.shift();
                bias[c] = trial % 3 == 0 ? 0 : rnd.nextLong() >> (1 + rnd.nextInt(40));
            }
            for (boolean channelPerRow : new boolean[] {true, false}) {
                for (Int8Kernels kernels : new Int8Kernels[] {scalar, panama}) {
                    byte[] out = new byte[rows * outRowStride + 3];
                    Arrays.fill(out, (byte) 77);
                    kernels.requantize(
                            acc,
                            accOffset,
                            accRowStride,
                            rows,
                            cols,
                            channelPerRow,
                            multiplier,
                            shift,
                            bias,
                            outputOffset,
                            -100,
                            90,
                            out,
                            3,
                            outRowStride);
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < outRowStride; j++) {
                            int c = channelPerRow ? i : j;
                            int v = j < cols
                                    ? (int) Math.max(
                                            -100,
                                            Math.min(
                                                    90,
                                                    (long) Requantization.multiplyByQuantizedMultiplier(
                                                                    acc[accOffset + i * accRowStride + j],
                                                                    multiplier[c],
                                                                    shift[c],
                                                                    bias[c])
                                                            + outputOffset))
                                    : 77;
                            assertEquals(
                                    v,
                                    out[3 + i * outRowStride + j],
                                    kernels.getClass().getSimpleName() + " row " + i + " col " + j + " perRow "
                                            + channelPerRow);
                        }
                    }
                }
            }
        }
    }

    @Test
    void convViaIm2colAndGemmMatchesSevenLoops() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 300; trial++) {
            // Mostly small shapes (every padding and tail case), some of a real network's size.
            ConvGeometry g = trial % 10 == 9 ? largeGeometry(rnd) : randomGeometry(rnd, true);
            int cout = 1 + rnd.nextInt(trial % 10 == 9 ? 40 : 6);
            int k = g.inChannels() * g.kH() * g.kW();
            byte[] in = activations(rnd, g.inChannels() * g.inPlane(), trial % 4 == 0);
            byte[] w = weights(rnd, cout * k, trial % 4 == 0);
            int[] bias = ints(rnd, cout, 1000);
            byte pad = (byte) (rnd.nextInt(256) - 128);
            int[] expected = naiveConv(in, g, cout, w, bias, pad);
            ConvInput input = new ConvInput(g);
            byte[] plane = plane(input, in, pad);
            for (Int8Kernels kernels : new Int8Kernels[] {scalar, panama}) {
                int stride = kernels.pixelStride(g.outPlane());
                byte[] cols = new byte[stride * k];
                Arrays.fill(cols, (byte) 77); // what a previous image left: im2col must overwrite every used byte
                input.im2col(plane, 0, 0, g.outPlane(), cols, stride);
                int[] acc = new int[stride * cout + 5];
                Arrays.fill(acc, 12345);
                int[] taps = new int[k];
                for (int kk = 0; kk < k; kk++) {
                    taps[kk] = kk * stride;
                }
                kernels.convGemm(cols, 0, taps, g.outPlane(), kernels.packConvWeights(w, cout, k), bias, acc);
                for (int oc = 0; oc < cout; oc++) {
                    assertArrayEquals(
                            Arrays.copyOfRange(expected, oc * g.outPlane(), (oc + 1) * g.outPlane()),
                            Arrays.copyOfRange(acc, oc * stride, oc * stride + g.outPlane()),
                            g + " cout=" + cout + " " + kernels.name() + " channel " + oc);
                }
                for (int i = stride * cout; i < acc.length; i++) {
                    assertEquals(12345, acc[i], "convGemm wrote past its output");
                }
            }
        }
    }

    @Test
    void im2colOfATileIsThatSliceOfTheWholeImage() {
        Random rnd = new Random(12);
        for (int trial = 0; trial < 300; trial++) {
            ConvGeometry g = trial % 10 == 9 ? largeGeometry(rnd) : randomGeometry(rnd, true);
            int k = g.inChannels() * g.kH() * g.kW();
            int pixels = g.outPlane();
            byte[] in = activations(rnd, g.inChannels() * g.inPlane(), false);
            byte pad = (byte) (rnd.nextInt(256) - 128);
            ConvInput input = new ConvInput(g);
            byte[] plane = plane(input, in, pad);
            byte[] whole = new byte[pixels * k];
            input.im2col(plane, 0, 0, pixels, whole, pixels);
            int first = rnd.nextInt(pixels);
            int count = 1 + rnd.nextInt(pixels - first);
            int stride = count + rnd.nextInt(5);
            byte[] tile = new byte[stride * k];
            Arrays.fill(tile, (byte) 77);
            input.im2col(plane, 0, first, count, tile, stride);
            for (int kk = 0; kk < k; kk++) {
                for (int p = 0; p < stride; p++) {
                    assertEquals(
                            p < count ? whole[kk * pixels + first + p] : 77,
                            tile[kk * stride + p],
                            g + " tile [" + first + ", +" + count + ") tap " + kk + " pixel " + p);
                }
            }
        }
    }

    @Test
    void convOverWideRowsOfTheInputPlaneMatchesSevenLoops() {
        Random rnd = new Random(13);
        for (int trial = 0; trial < 300; trial++) {
            ConvGeometry g = trial % 10 == 9 ? largeGeometry(rnd) : randomGeometry(rnd, true);
            int cout = 1 + rnd.nextInt(trial % 10 == 9 ? 40 : 6);
            int k = g.inChannels() * g.kH() * g.kW();
            byte[] in = activations(rnd, g.inChannels() * g.inPlane(), trial % 4 == 0);
            byte[] w = weights(rnd, cout * k, trial % 4 == 0);
            int[] bias = ints(rnd, cout, 1000);
            byte pad = (byte) (rnd.nextInt(256) - 128);
            int[] expected = naiveConv(in, g, cout, w, bias, pad);
            ConvInput input = new ConvInput(g);
            byte[] plane = plane(input, in, pad);
            int planeW = input.planeW();
            int wide = (g.outH() - 1) * planeW + g.outW();
            for (Int8Kernels kernels : new Int8Kernels[] {scalar, panama}) {
                int stride = kernels.pixelStride(wide);
                int[] acc = new int[stride * cout];
                kernels.convGemm(plane, 0, input.taps, wide, kernels.packConvWeights(w, cout, k), bias, acc);
                for (int oc = 0; oc < cout; oc++) {
                    for (int oy = 0; oy < g.outH(); oy++) {
                        for (int ox = 0; ox < g.outW(); ox++) {
                            assertEquals(
                                    expected[(oc * g.outH() + oy) * g.outW() + ox],
                                    acc[oc * stride + oy * planeW + ox],
                                    g + " cout=" + cout + " " + kernels.name() + " at " + oc + "," + oy + "," + ox);
                        }
                    }
                }
            }
        }
    }

    /**
     * The plane a convolution's taps read, the image or its {@link ConvInput} copy, followed by the
     * {@link Int8Kernels#ROW_SLACK} that the copy, the kernels and im2col may use.
     */
    private static byte[] plane(ConvInput input, byte[] in, byte pad) {
        byte[] image = Arrays.copyOf(in, in.length + Int8Kernels.ROW_SLACK);
        if (!input.copied()) {
            return image;
        }
        byte[] plane = new byte[input.bytes() + Int8Kernels.ROW_SLACK];
        Arrays.fill(plane, (byte) 77); // what a previous image left: the copy must overwrite every byte
        input.copy(image, 0, pad, plane);
        return plane;
    }

    /** A convolution of ResNet's or LeNet's size: up to 16 channels, 3x3 or 5x5, 8 to 34 pixels a side. */
    private static ConvGeometry largeGeometry(Random rnd) {
        int k = rnd.nextBoolean() ? 3 : 5;
        int size = 8 + rnd.nextInt(27);
        int stride = 1 + rnd.nextInt(2);
        int pad = rnd.nextInt(k / 2 + 1);
        return new ConvGeometry(1 + rnd.nextInt(16), size, size, k, k, stride, stride, pad, pad, pad, pad, 1, 1);
    }

    @Test
    void depthwiseMatchesSevenLoopsPerGroup() {
        Random rnd = new Random(4);
        for (int trial = 0; trial < 200; trial++) {
            ConvGeometry g = randomGeometry(rnd, true);
            int multiplier = 1 + rnd.nextInt(3);
            int cout = g.inChannels() * multiplier;
            int window = g.kH() * g.kW();
            byte[] in = activations(rnd, g.inChannels() * g.inPlane(), trial % 4 == 0);
            byte[] w = weights(rnd, cout * window, trial % 4 == 0);
            int[] bias = ints(rnd, cout, 1000);
            byte pad = (byte) (rnd.nextInt(256) - 128);
            // Depthwise = a grouped conv: expand each output channel's weights to all input channels with zeros.
            byte[] dense = new byte[cout * g.inChannels() * window];
            for (int oc = 0; oc < cout; oc++) {
                System.arraycopy(w, oc * window, dense, (oc * g.inChannels() + oc / multiplier) * window, window);
            }
            int[] expected = naiveConv(in, g, cout, dense, bias, pad);
            for (Int8Kernels kernels : new Int8Kernels[] {scalar, panama}) {
                int[] acc = new int[g.outPlane() * cout];
                kernels.depthwiseConv(in, 0, g, multiplier, w, bias, pad, acc);
                assertArrayEquals(expected, acc, g + " multiplier=" + multiplier);
            }
        }
    }

    @Test
    void addMatchesTheScalarReferenceAndTheDefinition() {
        Random rnd = new Random(6);
        for (int trial = 0; trial < 300; trial++) {
            int size = 1 + rnd.nextInt(trial < 200 ? 40 : 3000);
            byte[] in1 = activations(rnd, size + 3, trial % 4 == 0);
            byte[] in2 = activations(rnd, size + 5, trial % 4 == 1);
            // Shifts up to +2 and multipliers down to 2^-24 cover what QAT exports and saturation beyond it.
            QuantizedMultiplier m1 = multiplier(rnd);
            QuantizedMultiplier m2 = multiplier(rnd);
            QuantizedMultiplier mo = multiplier(rnd);
            int min = -128 + rnd.nextInt(100);
            Int8Kernels.AddParams p = new Int8Kernels.AddParams(
                    rnd.nextInt(21),
                    rnd.nextInt(256) - 127,
                    m1.multiplier(),
                    m1.shift(),
                    rnd.nextInt(256) - 127,
                    m2.multiplier(),
                    m2.shift(),
                    rnd.nextInt(256) - 128,
                    mo.multiplier(),
                    mo.shift(),
                    min,
                    min + rnd.nextInt(128 - min));
            byte[] expected = new byte[size + 2];
            byte[] actual = new byte[size + 2];
            scalar.add(in1, 3, in2, 5, size, p, expected, 2);
            panama.add(in1, 3, in2, 5, size, p, actual, 2);
            assertArrayEquals(expected, actual, "size " + size + " " + p);
            for (int i = 0; i < size; i++) {
                int s1 = Requantization.multiplyByQuantizedMultiplier(
                        (in1[3 + i] + p.input1Offset()) << p.leftShift(), p.input1Multiplier(), p.input1Shift());
                int s2 = Requantization.multiplyByQuantizedMultiplier(
                        (in2[5 + i] + p.input2Offset()) << p.leftShift(), p.input2Multiplier(), p.input2Shift());
                long v = (long) Requantization.multiplyByQuantizedMultiplier(
                                s1 + s2, p.outputMultiplier(), p.outputShift())
                        + p.outputOffset();
                assertEquals(
                        (int) Math.max(p.quantizedActivationMin(), Math.min(p.quantizedActivationMax(), v)),
                        expected[2 + i]);
            }
        }
    }

    private static QuantizedMultiplier multiplier(Random rnd) {
        return QuantizedMultiplier.of(Math.pow(2, 2 - rnd.nextInt(26)) * rnd.nextDouble());
    }

    @Test
    void poolingMatchesScalarAndDefinition() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            // Pooling windows are never dilated (TFLite has no such option), so none lies wholly in padding.
            ConvGeometry g = randomGeometry(rnd, false);
            byte[] in = activations(rnd, g.inChannels() * g.inPlane(), trial % 3 == 0);
            int size = g.inChannels() * g.outPlane();
            byte[] expected = new byte[size];
            byte[] actual = new byte[size];
            scalar.maxPool(in, 0, g, expected, 0);
            panama.maxPool(in, 0, g, actual, 0);
            assertArrayEquals(expected, actual);
            assertArrayEquals(naivePool(in, g, true, null), expected);
            Int8Kernels.AverageParams requantized = new Int8Kernels.AverageParams(
                    rnd.nextInt(256),
                    multiplier(rnd).multiplier(),
                    multiplier(rnd).shift(),
                    rnd.nextInt(256),
                    (1 << (2 + rnd.nextInt(7))) - 1);
            for (Int8Kernels.AverageParams p : new Int8Kernels.AverageParams[] {null, requantized}) {
                scalar.avgPool(in, 0, g, p, expected, 0);
                panama.avgPool(in, 0, g, p, actual, 0);
                assertArrayEquals(expected, actual);
                assertArrayEquals(naivePool(in, g, false, p), expected);
            }
        }
    }

    @Test
    void maxPoolWithoutPaddingMatchesTheDefinition() {
        Random rnd = new Random(8);
        for (int trial = 0; trial < 200; trial++) {
            // Half of them LeNet's 2x2 window at stride 2, on even and odd planes (an odd last row or
            // column lies outside every window).
            boolean twoByTwo = trial % 2 == 0;
            int kh = twoByTwo ? 2 : 1 + rnd.nextInt(4);
            int kw = twoByTwo ? 2 : 1 + rnd.nextInt(4);
            int sh = twoByTwo ? 2 : 1 + rnd.nextInt(3);
            int sw = twoByTwo ? 2 : 1 + rnd.nextInt(3);
            ConvGeometry g = new ConvGeometry(
                    1 + rnd.nextInt(4), kh + rnd.nextInt(20), kw + rnd.nextInt(20), kh, kw, sh, sw, 0, 0, 0, 0, 1, 1);
            byte[] in = activations(rnd, 3 + g.inChannels() * g.inPlane(), trial % 3 == 0);
            byte[] actual = new byte[2 + g.inChannels() * g.outPlane()];
            panama.maxPool(in, 3, g, actual, 2);
            byte[] shifted = Arrays.copyOfRange(in, 3, in.length);
            assertArrayEquals(
                    naivePool(shifted, g, true, null), Arrays.copyOfRange(actual, 2, actual.length), g.toString());
        }
    }

    @Test
    void avgPoolRoundsHalfUpOnUint8() {
        // uint8 {0, 1} -> 0.5 -> 1 (TFLite (sum + count/2) / count); signed {-128, -127} likewise -> -127.
        byte[] in = {-128, -127};
        byte[] out = new byte[1];
        scalar.avgPool(in, 0, new ConvGeometry(1, 1, 2, 1, 2, 1, 1, 0, 0, 0, 0, 1, 1), null, out, 0);
        assertEquals(-127, out[0]);
        scalar.globalAvgPool(new byte[] {127, 126, 126}, 0, 1, 3, null, out, 0);
        assertEquals(126, out[0]);
    }

    @Test
    void requantizedAverageRoundsOnceToItsOwnGrid() {
        // uint8 {10, 13, 13, 13} with z_in 10: mean of q - z_in is 2.25; s_in / s_out = 2 (2^30, shift 2)
        // gives 4.5 -> 4 (ties to even) + z_out 3 = 7; TFLite's same-grid (49 + 2) / 4 gives 12.
        byte[] in = {10 - 128, 13 - 128, 13 - 128, 13 - 128};
        byte[] out = new byte[1];
        Int8Kernels.AverageParams twice = new Int8Kernels.AverageParams(10, 1 << 30, 2, 3, 255);
        scalar.globalAvgPool(in, 0, 1, 4, twice, out, 0);
        assertEquals(7, out[0] + 128);
        scalar.globalAvgPool(in, 0, 1, 4, null, out, 0);
        assertEquals(12, out[0] + 128);
        // clamped to the output's [0, qmax]
        scalar.globalAvgPool(in, 0, 1, 4, new Int8Kernels.AverageParams(10, 1 << 30, 2, 3, 5), out, 0);
        assertEquals(5, out[0] + 128);
    }

    static ConvGeometry randomGeometry(Random rnd, boolean dilated) {
        while (true) {
            int c = 1 + rnd.nextInt(4);
            int h = 1 + rnd.nextInt(11);
            int w = 1 + rnd.nextInt(11);
            int kh = 1 + rnd.nextInt(5);
            int kw = 1 + rnd.nextInt(5);
            int dh = dilated ? 1 + rnd.nextInt(2) : 1;
            int dw = dilated ? 1 + rnd.nextInt(2) : 1;
            int effH = dh * (kh - 1) + 1;
            int effW = dw * (kw - 1) + 1;
            int[] pad = new int[4];
            for (int i = 0; i < 4; i++) {
                pad[i] = rnd.nextInt(i % 2 == 0 ? effH : effW);
            }
            if (h + pad[0] + pad[2] < effH || w + pad[1] + pad[3] < effW) {
                continue;
            }
            return new ConvGeometry(
                    c, h, w, kh, kw, 1 + rnd.nextInt(3), 1 + rnd.nextInt(3), pad[0], pad[1], pad[2], pad[3], dh, dw);
        }
    }

    /**
     * The definition: seven nested loops over output channel, output row/column, input channel, window;
     * the sums in NCHW order.
     */
    static int[] naiveConv(byte[] in, ConvGeometry g, int cout, byte[] w, int[] bias, byte pad) {
        int outH = g.outH();
        int outW = g.outW();
        int[] acc = new int[outH * outW * cout];
        for (int oc = 0; oc < cout; oc++) {
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int sum = bias[oc];
                    for (int ic = 0; ic < g.inChannels(); ic++) {
                        for (int ky = 0; ky < g.kH(); ky++) {
                            for (int kx = 0; kx < g.kW(); kx++) {
                                int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                                int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                                int x = iy < 0 || iy >= g.inH() || ix < 0 || ix >= g.inW()
                                        ? pad
                                        : in[(ic * g.inH() + iy) * g.inW() + ix];
                                sum += x * w[((oc * g.inChannels() + ic) * g.kH() + ky) * g.kW() + kx];
                            }
                        }
                    }
                    acc[(oc * outH + oy) * outW + ox] = sum;
                }
            }
        }
        return acc;
    }

    /** The definition of each pool; a requantized average ({@code p} not null) via the checked {@link Requantization}. */
    static byte[] naivePool(byte[] in, ConvGeometry g, boolean max, Int8Kernels.AverageParams p) {
        byte[] out = new byte[g.inChannels() * g.outPlane()];
        for (int c = 0; c < g.inChannels(); c++) {
            for (int oy = 0; oy < g.outH(); oy++) {
                for (int ox = 0; ox < g.outW(); ox++) {
                    int best = -128;
                    int sum = 0;
                    int count = 0;
                    for (int ky = 0; ky < g.kH(); ky++) {
                        for (int kx = 0; kx < g.kW(); kx++) {
                            int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                            int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                            if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                int q = in[(c * g.inH() + iy) * g.inW() + ix] + 128;
                                best = Math.max(best, q - 128);
                                sum += q;
                                count++;
                            }
                        }
                    }
                    int average = p == null
                            ? Math.floorDiv(2 * sum + count, 2 * count)
                            : Math.max(
                                    0,
                                    Math.min(
                                            p.qmax(),
                                            p.outputZeroPoint()
                                                    + Requantization.averageByQuantizedMultiplier(
                                                            sum - count * p.inputZeroPoint(),
                                                            count,
                                                            p.multiplier(),
                                                            p.shift())));
                    out[(c * g.outH() + oy) * g.outW() + ox] = (byte) ((max ? best + 128 : average) - 128);
                }
            }
        }
        return out;
    }

    static byte[] activations(Random rnd, int size, boolean extreme) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = extreme ? (rnd.nextBoolean() ? Byte.MIN_VALUE : Byte.MAX_VALUE) : (byte) rnd.nextInt(256);
        }
        return b;
    }

    static byte[] weights(Random rnd, int size, boolean extreme) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (extreme ? (rnd.nextBoolean() ? -127 : 127) : rnd.nextInt(255) - 127);
        }
        return b;
    }

    static int[] ints(Random rnd, int size, int bound) {
        int[] v = new int[size];
        for (int i = 0; i < size; i++) {
            v[i] = rnd.nextInt(2 * bound) - bound;
        }
        return v;
    }
}

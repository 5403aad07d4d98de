package io.github.qat4j.core.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FakeQuantTest {

    private static final SplittableRandom RANDOM = new SplittableRandom(42);

    /** The forward specification, written out plainly, with BigDecimal doing the rounding. */
    private static float reference(float x, float s, int z, int qmin, int qmax) {
        float v = x / s;
        long q = new BigDecimal(v).setScale(0, RoundingMode.HALF_EVEN).longValueExact() + z;
        if (q < qmin) {
            q = qmin;
        }
        if (q > qmax) {
            q = qmax;
        }
        return s * (q - z);
    }

    private static float[] randomTensor(int n, double spread) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (RANDOM.nextGaussian() * spread);
        }
        return x;
    }

    @Test
    void tiesRoundToEven() {
        float[] x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f};
        float[] out = new float[x.length];
        FakeQuant.forward(x, out, new float[] {1f}, new int[] {0}, -127, 127, 1, x.length);
        assertArrayEquals(new float[] {0f, 2f, 2f, 0f, -2f, -2f, 4f}, out);

        // The same ties through a non-unit scale and a zero point: x / s = 0.5, 1.5, 2.5, -0.5, -1.5 exactly.
        float s = 0.25f;
        float[] y = {0.125f, 0.375f, 0.625f, -0.125f, -0.375f};
        int[] expectedQ = {10, 12, 12, 10, 8};
        for (int i = 0; i < y.length; i++) {
            assertEquals(expectedQ[i], FakeQuant.quantize(y[i], s, 10, 0, 255), "x = " + y[i]);
        }
    }

    @Test
    void clipsAtBothEnds() {
        assertEquals(0, FakeQuant.quantize(-100f, 0.1f, 0, 0, 255));
        assertEquals(255, FakeQuant.quantize(100f, 0.1f, 0, 0, 255));
        assertEquals(-127, FakeQuant.quantize(-1e30f, 1e-3f, 0, -127, 127));
        assertEquals(127, FakeQuant.quantize(Float.MAX_VALUE, QuantSpec.MIN_SCALE, 0, -127, 127));
        // The zero point is added after rounding and before clamping.
        assertEquals(255, FakeQuant.quantize(Float.MAX_VALUE, 1f, 200, 0, 255));
        float[] out = new float[2];
        FakeQuant.forward(new float[] {-5f, 5f}, out, new float[] {0.01f}, new int[] {100}, 0, 255, 1, 2);
        assertArrayEquals(new float[] {0.01f * -100, 0.01f * 155}, out);
    }

    @Test
    void everyBitWidthAndKindMatchesTheReference() {
        for (int b = 2; b <= 8; b++) {
            for (boolean signed : new boolean[] {true, false}) {
                for (boolean symmetric : new boolean[] {true, false}) {
                    QuantSpec spec = QuantSpec.of(b, signed, symmetric, 0);
                    int channels = 3;
                    int inner = 7;
                    float[] x = randomTensor(2 * channels * inner, 1.5);
                    // Ranges narrower than the data, so both clipping and rounding happen.
                    QuantParams p = spec.paramsFromRange(new float[] {-2f, -0.5f, 0.3f}, new float[] {1f, 3f, 0.9f});
                    float[] out = new float[x.length];
                    FakeQuant.forward(x, out, p.scale(), p.zeroPoint(), spec.qmin(), spec.qmax(), channels, inner);
                    for (int i = 0; i < x.length; i++) {
                        int c = (i / inner) % channels;
                        float expected = reference(x[i], p.scale()[c], p.zeroPoint()[c], spec.qmin(), spec.qmax());
                        assertEquals(expected, out[i], spec + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void vectorizedForwardEqualsTheScalarQuantizerBitForBit() {
        // Ties, clipping, huge and tiny values, both zeros, at 8 and 16 bits, over more than one
        // block of the backward pass's scratch, against quantize() element by element.
        for (QuantSpec spec : new QuantSpec[] {QuantSpec.weights(8), QuantSpec.of(16, false, false, 0)}) {
            int n = 3 * 4096 + 17;
            float s = 0.0625f;
            int z = spec.signed() ? 0 : 1 << 14;
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = switch (i % 6) {
                    case 0 -> (RANDOM.nextInt(-300, 300) + 0.5f) * s;
                    case 1 -> (float) RANDOM.nextGaussian() * 50f;
                    case 2 -> (float) RANDOM.nextGaussian() * 1e6f;
                    case 3 -> -0f;
                    case 4 -> Float.MIN_VALUE * (RANDOM.nextBoolean() ? 1 : -1);
                    default -> (float) RANDOM.nextGaussian() * 1e-3f;
                };
            }
            float[] out = new float[n];
            FakeQuant.forward(x, out, new float[] {s}, new int[] {z}, spec.qmin(), spec.qmax(), 1, n);
            for (int i = 0; i < n; i++) {
                float expected = s * (FakeQuant.quantize(x[i], s, z, spec.qmin(), spec.qmax()) - z);
                assertEquals(
                        Float.floatToIntBits(expected),
                        Float.floatToIntBits(out[i]),
                        spec + " x = " + x[i] + ": expected " + expected + ", got " + out[i]);
            }
            float[] gradIn = new float[n];
            float[] gradScale = new float[1];
            float[] gradOut = randomTensor(n, 1.0);
            FakeQuant.backward(
                    x, gradOut, new float[] {s}, new int[] {z}, spec.qmin(), spec.qmax(), 1, n, gradIn, gradScale, 1f);
            float[] expectedIn = new float[n];
            double[] expectedScale = new double[1];
            referenceBackward(
                    x,
                    gradOut,
                    new float[] {s},
                    new int[] {z},
                    spec.qmin(),
                    spec.qmax(),
                    1,
                    n,
                    expectedIn,
                    expectedScale,
                    1f);
            assertArrayEquals(expectedIn, gradIn, spec.toString());
            assertEquals(expectedScale[0], gradScale[0], 1e-5 * (1 + Math.abs(expectedScale[0])), spec.toString());
        }
    }

    @Test
    void nanStaysNaN() {
        float[] out = new float[2];
        FakeQuant.forward(new float[] {Float.NaN, 1f}, out, new float[] {1f}, new int[] {0}, -127, 127, 1, 2);
        assertTrue(Float.isNaN(out[0]));
        assertEquals(1f, out[1]);
        float[] gradIn = new float[2];
        float[] gradScale = new float[1];
        FakeQuant.backward(
                new float[] {Float.NaN, 1f},
                new float[] {1f, 1f},
                new float[] {1f},
                new int[] {0},
                -127,
                127,
                1,
                2,
                gradIn,
                gradScale,
                1f);
        assertTrue(Float.isNaN(gradIn[0]));
        assertEquals(1f, gradIn[1]);
    }

    @Test
    void perChannelAlongEachAxisOfAThreeDimensionalTensor() {
        int[] dims = {2, 3, 4};
        float[] x = randomTensor(24, 1.0);
        for (int axis = 0; axis < 3; axis++) {
            int channels = dims[axis];
            int inner = 1;
            for (int d = axis + 1; d < 3; d++) {
                inner *= dims[d];
            }
            float[] scale = new float[channels];
            int[] zeroPoint = new int[channels];
            for (int c = 0; c < channels; c++) {
                scale[c] = 0.02f * (c + 1);
                zeroPoint[c] = 100 + 10 * c;
            }
            float[] out = new float[x.length];
            FakeQuant.forward(x, out, scale, zeroPoint, 0, 255, channels, inner);
            for (int i0 = 0; i0 < dims[0]; i0++) {
                for (int i1 = 0; i1 < dims[1]; i1++) {
                    for (int i2 = 0; i2 < dims[2]; i2++) {
                        int flat = (i0 * dims[1] + i1) * dims[2] + i2;
                        int c = new int[] {i0, i1, i2}[axis];
                        assertEquals(
                                reference(x[flat], scale[c], zeroPoint[c], 0, 255),
                                out[flat],
                                "axis " + axis + " at [" + i0 + ", " + i1 + ", " + i2 + "]");
                    }
                }
            }
        }
    }

    @Test
    void forwardCanWorkInPlace() {
        float[] x = randomTensor(16, 1.0);
        float[] expected = new float[16];
        FakeQuant.forward(x, expected, new float[] {0.1f}, new int[] {0}, -127, 127, 1, 16);
        FakeQuant.forward(x, x, new float[] {0.1f}, new int[] {0}, -127, 127, 1, 16);
        assertArrayEquals(expected, x);
    }

    @Test
    void rejectsMalformedViewsAndScales() {
        float[] x = new float[12];
        float[] out = new float[12];
        assertThrows(
                IllegalArgumentException.class,
                () -> FakeQuant.forward(x, out, new float[] {1f, 1f}, new int[] {0, 0}, 0, 255, 2, 5));
        assertThrows(
                IllegalArgumentException.class,
                () -> FakeQuant.forward(x, out, new float[] {1f}, new int[] {0, 0}, 0, 255, 2, 6));
        assertThrows(
                IllegalArgumentException.class,
                () -> FakeQuant.forward(x, new float[11], new float[] {1f}, new int[] {0}, 0, 255, 1, 12));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> FakeQuant.forward(x, out, new float[] {1f, -0.1f}, new int[] {0, 0}, 0, 255, 2, 6));
        assertTrue(e.getMessage().contains("scale[1]"), e.getMessage());
    }

    /** STE and LSQ written out from DESIGN.md, in double, element by element. */
    private static void referenceBackward(
            float[] x,
            float[] gradOut,
            float[] scale,
            int[] zeroPoint,
            int qmin,
            int qmax,
            int channels,
            int inner,
            float[] gradIn,
            double[] gradScale,
            double g) {
        for (int i = 0; i < x.length; i++) {
            int c = (i / inner) % channels;
            double v = x[i] / scale[c];
            int z = zeroPoint[c];
            double dyds;
            if (v + z < qmin) {
                gradIn[i] = 0;
                dyds = qmin - z;
            } else if (v + z > qmax) {
                gradIn[i] = 0;
                dyds = qmax - z;
            } else {
                gradIn[i] = gradOut[i];
                dyds = (FakeQuant.quantize(x[i], scale[c], z, qmin, qmax) - z) - v;
            }
            gradScale[c] += g * gradOut[i] * dyds;
        }
    }

    @Test
    void backwardMatchesTheSteAndLsqFormulas() {
        for (int b : new int[] {2, 4, 8}) {
            for (QuantSpec spec : new QuantSpec[] {QuantSpec.weights(b), QuantSpec.of(b, false, false, 1)}) {
                int channels = 4;
                int inner = 5;
                float[] x = randomTensor(3 * channels * inner, 1.0);
                float[] gradOut = randomTensor(x.length, 1.0);
                QuantParams p =
                        spec.paramsFromRange(new float[] {-1f, -0.2f, -2f, 0f}, new float[] {1f, 0.5f, 0.7f, 1.2f});
                float g = FakeQuant.lsqGradScale(3 * inner, spec.qmax());
                float[] gradIn = new float[x.length];
                float[] gradScale = {99f, 99f, 99f, 99f};
                FakeQuant.backward(
                        x,
                        gradOut,
                        p.scale(),
                        p.zeroPoint(),
                        spec.qmin(),
                        spec.qmax(),
                        channels,
                        inner,
                        gradIn,
                        gradScale,
                        g);
                float[] expectedIn = new float[x.length];
                double[] expectedScale = new double[channels];
                referenceBackward(
                        x,
                        gradOut,
                        p.scale(),
                        p.zeroPoint(),
                        spec.qmin(),
                        spec.qmax(),
                        channels,
                        inner,
                        expectedIn,
                        expectedScale,
                        g);
                assertArrayEquals(expectedIn, gradIn, spec.toString());
                for (int c = 0; c < channels; c++) {
                    assertEquals(
                            expectedScale[c],
                            gradScale[c],
                            1e-5 * (1 + Math.abs(expectedScale[c])),
                            spec + " channel " + c);
                }
            }
        }
    }

    @Test
    void backwardInPlaceAndAfterALargerTensorEqualsAFreshOutOfPlaceCall() {
        QuantSpec spec = QuantSpec.weights(8);
        float[] scale = {0.01f, 0.02f, 0.03f};
        int[] zeroPoint = new int[3];
        float[] x = randomTensor(2 * 3 * 7, 1.5);
        float[] gradOut = randomTensor(x.length, 1.0);
        float[] gradIn = new float[x.length];
        float[] gradScale = new float[3];
        FakeQuant.backward(x, gradOut, scale, zeroPoint, spec.qmin(), spec.qmax(), 3, 7, gradIn, gradScale, 0.1f);
        // A larger call first leaves its products in the per-thread scratch the next call reuses.
        float[] big = randomTensor(3 * 1000, 1.5);
        FakeQuant.backward(
                big,
                big.clone(),
                scale,
                zeroPoint,
                spec.qmin(),
                spec.qmax(),
                3,
                1000,
                new float[big.length],
                new float[3],
                0.1f);
        float[] inPlace = gradOut.clone();
        float[] gradScaleInPlace = new float[3];
        FakeQuant.backward(
                x, inPlace, scale, zeroPoint, spec.qmin(), spec.qmax(), 3, 7, inPlace, gradScaleInPlace, 0.1f);
        assertArrayEquals(gradIn, inPlace);
        assertArrayEquals(gradScale, gradScaleInPlace);
    }

    @Test
    void backwardOverwritesGradScaleAndAcceptsNull() {
        float[] x = {0.3f, -0.7f, 5f};
        float[] gradOut = {1f, 1f, 1f};
        float[] gradIn = new float[3];
        float[] gradScale = {123f};
        FakeQuant.backward(x, gradOut, new float[] {0.5f}, new int[] {0}, -1, 1, 1, 3, gradIn, gradScale, 1f);
        // x/s = 0.6 -> (1 - 0.6); -1.4 -> clipped at qmin = -1; 10 -> clipped at qmax = 1.
        assertEquals(0.4f + -1f + 1f, gradScale[0], 1e-6f);
        assertArrayEquals(new float[] {1f, 0f, 0f}, gradIn);
        FakeQuant.backward(x, gradOut, new float[] {0.5f}, new int[] {0}, -1, 1, 1, 3, gradIn, null, 1f);
        assertArrayEquals(new float[] {1f, 0f, 0f}, gradIn);
    }

    @Test
    void steBoundsAreInclusive() {
        // x/s + z exactly at qmin and qmax still passes the gradient (as torch.clamp's gradient does).
        float[] x = {-127f, 127f, 127.25f};
        float[] gradIn = new float[3];
        FakeQuant.backward(
                x, new float[] {1f, 1f, 1f}, new float[] {1f}, new int[] {0}, -127, 127, 1, 3, gradIn, null, 1f);
        assertArrayEquals(new float[] {1f, 1f, 0f}, gradIn);
    }

    /**
     * PyTorch's {@code _fake_quantize_learnable_per_channel_affine} backward for scale and input
     * (aten FakeQuantizeCore: multiply by {@code 1 / scale}, range tested on the rounded code,
     * in-range {@code dscale = (x_fq - x) / scale}), the gradient factor applied to the channel sums.
     */
    private static void pytorchBackward(
            float[] x,
            float[] dy,
            float[] scale,
            int[] zp,
            int qmin,
            int qmax,
            int channels,
            int inner,
            float[] dx,
            double[] dscale,
            float gradFactor) {
        for (int i = 0; i < x.length; i++) {
            int c = (i / inner) % channels;
            float invScale = 1.0f / scale[c];
            long xq = (long) Math.rint(x[i] * invScale) + zp[c];
            if (xq < qmin) {
                dx[i] = 0;
                dscale[c] += (double) (qmin - zp[c]) * dy[i] * gradFactor;
            } else if (xq > qmax) {
                dx[i] = 0;
                dscale[c] += (double) (qmax - zp[c]) * dy[i] * gradFactor;
            } else {
                dx[i] = dy[i];
                float xFq = (xq - zp[c]) * scale[c];
                dscale[c] += (double) ((xFq - x[i]) / scale[c]) * dy[i] * gradFactor;
            }
        }
    }

    @Test
    void backwardAgreesWithPyTorchLearnableFakeQuantizeAwayFromTheClipBoundary() {
        int channels = 3;
        int inner = 8;
        float[] scale = {0.05f, 0.11f, 0.3f};
        int[] zp = {0, 3, -2};
        int qmin = -127;
        int qmax = 127;
        float[] x = new float[4 * channels * inner];
        for (int i = 0; i < x.length; i++) {
            int c = (i / inner) % channels;
            // Codes on both sides of the range, never within half a step outside it (where PyTorch's
            // rounded-code test and LSQ's unrounded one differ) and never at a tie.
            int code = RANDOM.nextInt(-160, 161);
            if (code == qmax - zp[c] + 1 || code == qmin - zp[c] - 1) {
                code = 0;
            }
            float frac = (float) (RANDOM.nextDouble() * 0.8 - 0.4);
            x[i] = (code + frac) * scale[c];
        }
        float[] dy = randomTensor(x.length, 1.0);
        float g = FakeQuant.lsqGradScale(4 * inner, qmax);
        float[] dx = new float[x.length];
        float[] dscale = new float[channels];
        FakeQuant.backward(x, dy, scale, zp, qmin, qmax, channels, inner, dx, dscale, g);
        float[] torchDx = new float[x.length];
        double[] torchDscale = new double[channels];
        pytorchBackward(x, dy, scale, zp, qmin, qmax, channels, inner, torchDx, torchDscale, g);
        assertArrayEquals(torchDx, dx);
        for (int c = 0; c < channels; c++) {
            assertEquals(torchDscale[c], dscale[c], 1e-4 * (1 + Math.abs(torchDscale[c])), "channel " + c);
        }
    }

    @Test
    void withinHalfAStepOutsideTheRangePyTorchStillPassesTheGradientAndLsqDoesNot() {
        float[] x = {127.3f};
        float[] dx = new float[1];
        FakeQuant.backward(x, new float[] {1f}, new float[] {1f}, new int[] {0}, -127, 127, 1, 1, dx, null, 1f);
        float[] torchDx = new float[1];
        pytorchBackward(
                x, new float[] {1f}, new float[] {1f}, new int[] {0}, -127, 127, 1, 1, torchDx, new double[1], 1f);
        assertEquals(0f, dx[0]);
        assertEquals(1f, torchDx[0]);
    }

    /**
     * Forward-mode dual numbers with stop_gradient, to differentiate LSQ's autograd formulation
     * (DESIGN.md) by hand: value and derivative with respect to one seeded input.
     */
    private record Dual(double v, double d) {
        static Dual constant(double v) {
            return new Dual(v, 0);
        }

        Dual plus(Dual o) {
            return new Dual(v + o.v, d + o.d);
        }

        Dual minus(Dual o) {
            return new Dual(v - o.v, d - o.d);
        }

        Dual times(Dual o) {
            return new Dual(v * o.v, d * o.v + v * o.d);
        }

        Dual div(Dual o) {
            return new Dual(v / o.v, (d * o.v - v * o.d) / (o.v * o.v));
        }

        Dual stopGradient() {
            return constant(v);
        }

        /** torch.clamp: the gradient passes where lo <= v <= hi. */
        Dual clip(double lo, double hi) {
            if (v < lo) {
                return constant(lo);
            }
            if (v > hi) {
                return constant(hi);
            }
            return this;
        }

        /** round_pass(y) = y + stop_gradient(round(y) - y). */
        Dual roundPass() {
            return plus(constant(Math.rint(v)).minus(this).stopGradient());
        }

        /** grad_scale(s, g) = s * g + stop_gradient(s - s * g). */
        Dual gradScale(double g) {
            Dual sg = times(constant(g));
            return sg.plus(minus(sg).stopGradient());
        }
    }

    /** x_hat = (round_pass(clip(x / grad_scale(s, g) + z, qmin, qmax)) - z) * grad_scale(s, g). */
    private static Dual lsq(Dual x, Dual s, double g, int z, int qmin, int qmax) {
        Dual sg = s.gradScale(g);
        Dual zero = Dual.constant(z);
        return x.div(sg).plus(zero).clip(qmin, qmax).roundPass().minus(zero).times(sg);
    }

    @Test
    void backwardEqualsAutogradOfTheLsqRoundPassGradScaleFormulation() {
        for (QuantSpec spec :
                new QuantSpec[] {QuantSpec.weights(4), QuantSpec.weights(8), QuantSpec.of(8, false, false, 0)}) {
            int channels = 2;
            int inner = 6;
            float[] x = randomTensor(5 * channels * inner, 1.0);
            float[] gradOut = randomTensor(x.length, 1.0);
            QuantParams p = spec.paramsFromRange(new float[] {-0.8f, -1.5f}, new float[] {1.1f, 0.4f});
            float[] scale = p.scale();
            int[] zp = p.zeroPoint();
            float g = FakeQuant.lsqGradScale(5 * inner, spec.qmax());
            float[] gradIn = new float[x.length];
            float[] gradScale = new float[channels];
            FakeQuant.backward(x, gradOut, scale, zp, spec.qmin(), spec.qmax(), channels, inner, gradIn, gradScale, g);
            double[] autogradScale = new double[channels];
            float[] forward = new float[x.length];
            FakeQuant.forward(x, forward, scale, zp, spec.qmin(), spec.qmax(), channels, inner);
            for (int i = 0; i < x.length; i++) {
                int c = (i / inner) % channels;
                Dual byX = lsq(new Dual(x[i], 1), Dual.constant(scale[c]), g, zp[c], spec.qmin(), spec.qmax());
                Dual byS = lsq(Dual.constant(x[i]), new Dual(scale[c], 1), g, zp[c], spec.qmin(), spec.qmax());
                assertEquals(forward[i], byX.v(), 1e-6, "the formulation's forward value");
                assertEquals(byX.d() * gradOut[i], gradIn[i], 1e-6, spec + " dL/dx at " + i);
                autogradScale[c] += byS.d() * gradOut[i];
            }
            for (int c = 0; c < channels; c++) {
                assertEquals(
                        autogradScale[c],
                        gradScale[c],
                        1e-5 * (1 + Math.abs(autogradScale[c])),
                        spec + " dL/ds channel " + c);
            }
        }
    }

    @Test
    void lsqGradScaleIsOneOverSqrtNTimesQmax() {
        assertEquals((float) (1 / Math.sqrt(1000.0 * 127)), FakeQuant.lsqGradScale(1000, 127));
        assertEquals(1f / 16, FakeQuant.lsqGradScale(2, 128));
        assertThrows(IllegalArgumentException.class, () -> FakeQuant.lsqGradScale(0, 127));
        assertThrows(IllegalArgumentException.class, () -> FakeQuant.lsqGradScale(10, 0));
    }

    @Test
    void initialScalesPerChannel() {
        // [outer=2][channels=2][inner=2]: channel 0 holds {1, -3, 2, 0}, channel 1 holds {0.5, 0.5, -0.5, 0.5}.
        float[] w = {1f, -3f, 0.5f, 0.5f, 2f, 0f, -0.5f, 0.5f};
        float[] lsq = FakeQuant.lsqInitialScale(w, 2, 2, 127);
        assertEquals((float) (2 * 1.5 / Math.sqrt(127)), lsq[0], 1e-7f);
        assertEquals((float) (2 * 0.5 / Math.sqrt(127)), lsq[1], 1e-7f);
        float[] maxAbs = FakeQuant.maxAbsScale(w, 2, 2, 127);
        assertEquals(3f / 127, maxAbs[0], 1e-9f);
        assertEquals(0.5f / 127, maxAbs[1], 1e-9f);
        float[] zeros = new float[6];
        assertArrayEquals(
                new float[] {QuantSpec.MIN_SCALE, QuantSpec.MIN_SCALE, QuantSpec.MIN_SCALE},
                FakeQuant.lsqInitialScale(zeros, 3, 2, 127));
        assertArrayEquals(new float[] {QuantSpec.MIN_SCALE}, FakeQuant.maxAbsScale(zeros, 1, 6, 7));
        assertThrows(IllegalArgumentException.class, () -> FakeQuant.maxAbsScale(new float[] {Float.NaN}, 1, 1, 127));
        assertThrows(IllegalArgumentException.class, () -> FakeQuant.lsqInitialScale(new float[0], 1, 1, 127));
    }
}

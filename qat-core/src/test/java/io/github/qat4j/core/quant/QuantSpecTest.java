package io.github.qat4j.core.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantSpecTest {

    @Test
    void weightsAreSignedSymmetricNarrowRangePerOutputChannel() {
        QuantSpec w = QuantSpec.weights(8);
        assertEquals(-127, w.qmin());
        assertEquals(127, w.qmax());
        assertTrue(w.signed());
        assertTrue(w.symmetric());
        assertTrue(w.perChannel());
        assertEquals(0, w.perChannelAxis());
        assertEquals(-1, QuantSpec.weights(2).qmin());
        assertEquals(1, QuantSpec.weights(2).qmax());
    }

    @Test
    void activationsAreUnsignedAsymmetricPerTensor() {
        QuantSpec a = QuantSpec.activations(8);
        assertEquals(0, a.qmin());
        assertEquals(255, a.qmax());
        assertFalse(a.signed());
        assertFalse(a.symmetric());
        assertFalse(a.perChannel());
        assertEquals(-1, a.perChannelAxis());
    }

    @Test
    void integerRangesForEveryBitWidth() {
        for (int b = 2; b <= 8; b++) {
            int half = (int) Math.pow(2, b - 1);
            int full = (int) Math.pow(2, b);
            assertEquals(-(half - 1), QuantSpec.of(b, true, true, -1).qmin());
            assertEquals(half - 1, QuantSpec.of(b, true, true, -1).qmax());
            assertEquals(-half, QuantSpec.of(b, true, false, -1).qmin());
            assertEquals(half - 1, QuantSpec.of(b, true, false, -1).qmax());
            for (boolean symmetric : new boolean[] {true, false}) {
                assertEquals(0, QuantSpec.of(b, false, symmetric, 2).qmin());
                assertEquals(full - 1, QuantSpec.of(b, false, symmetric, 2).qmax());
            }
        }
    }

    @Test
    void rejectsBitsOutsideTwoToSixteenNamingTheValue() {
        for (int bits : new int[] {1, 17, 0, -3, 32}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> QuantSpec.of(bits, true, true, -1));
            assertTrue(e.getMessage().contains(String.valueOf(bits)), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.weights(17));
        assertTrue(QuantSpec.weights(8).exportable());
        assertFalse(QuantSpec.weights(9).exportable());
        assertEquals(32767, QuantSpec.weights(16).qmax());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.activations(1));
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.of(8, true, true, -2));
    }

    @Test
    void valueSemantics() {
        assertEquals(QuantSpec.weights(8), QuantSpec.of(8, true, true, 0));
        assertEquals(
                QuantSpec.weights(8).hashCode(), QuantSpec.of(8, true, true, 0).hashCode());
        assertEquals(QuantSpec.activations(4), QuantSpec.of(4, false, false, -1));
        assertNotEquals(QuantSpec.weights(8), QuantSpec.weights(7));
        assertNotEquals(QuantSpec.weights(8), QuantSpec.of(8, true, true, 1));
        assertEquals(
                "QuantSpec[int8 [-127, 127], symmetric, per channel along axis 0]",
                QuantSpec.weights(8).toString());
        assertEquals(
                "QuantSpec[uint8 [0, 255], asymmetric, per tensor]",
                QuantSpec.activations(8).toString());
    }

    @Test
    void knownScalesAndZeroPoints() {
        QuantParams w = QuantSpec.weights(8).paramsFromRange(new float[] {-1f, -0.5f}, new float[] {1f, 0.25f});
        assertArrayEquals(new float[] {1f / 127, 0.5f / 127}, w.scale());
        assertArrayEquals(new int[] {0, 0}, w.zeroPoint());

        // [0, 2.55] uint8 asymmetric: s = 0.01, z = 0.
        QuantParams relu = QuantSpec.activations(8).paramsFromRange(new float[] {0f}, new float[] {2.55f});
        assertEquals(2.55f / 255, relu.scale()[0]);
        assertEquals(0, relu.zeroPoint()[0]);

        // [-1, 3] uint8: s = 4/255, z = 0 - round(-1 / s) = round(63.75) = 64.
        QuantParams a = QuantSpec.activations(8).paramsFromRange(new float[] {-1f}, new float[] {3f});
        assertEquals(4f / 255, a.scale()[0]);
        assertEquals(64, a.zeroPoint()[0]);

        // int8 asymmetric [-128, 127] on [-1, 1]: s = 2/255, z = -128 - round(-127.5) = -128 + 128 = 0 (tie to even).
        QuantParams s8 = QuantSpec.of(8, true, false, -1).paramsFromRange(new float[] {-1f}, new float[] {1f});
        assertEquals(2f / 255, s8.scale()[0]);
        assertEquals(-128 - Rounding.round(-1f / (2f / 255)), s8.zeroPoint()[0]);

        // Unsigned symmetric (PyTorch's quint8 symmetric): s = 1 / (255 / 2), z = 128.
        QuantParams u = QuantSpec.of(8, false, true, -1).paramsFromRange(new float[] {-1f}, new float[] {0.5f});
        assertEquals(1f / 127.5f, u.scale()[0]);
        assertEquals(128, u.zeroPoint()[0]);
    }

    @Test
    void rangeIsWidenedToIncludeZero() {
        QuantParams positive = QuantSpec.activations(8).paramsFromRange(new float[] {1f}, new float[] {2.55f});
        assertEquals(2.55f / 255, positive.scale()[0]);
        assertEquals(0, positive.zeroPoint()[0]);
        QuantParams negative = QuantSpec.activations(8).paramsFromRange(new float[] {-2.55f}, new float[] {-1f});
        assertEquals(2.55f / 255, negative.scale()[0]);
        assertEquals(255, negative.zeroPoint()[0]);
    }

    @Test
    void zeroIsExactlyRepresentableForEveryKindOfSpecAndRange() {
        SplittableRandom r = new SplittableRandom(7);
        for (int b = 2; b <= 8; b++) {
            for (boolean signed : new boolean[] {true, false}) {
                for (boolean symmetric : new boolean[] {true, false}) {
                    QuantSpec spec = QuantSpec.of(b, signed, symmetric, -1);
                    for (int i = 0; i < 200; i++) {
                        float lo = (float) (r.nextDouble() * 20 - 15);
                        float hi = lo + (float) (r.nextDouble() * 20);
                        QuantParams p = spec.paramsFromRange(new float[] {lo}, new float[] {hi});
                        float s = p.scale()[0];
                        int z = p.zeroPoint()[0];
                        assertTrue(z >= spec.qmin() && z <= spec.qmax(), spec + " z=" + z);
                        int q = FakeQuant.quantize(0f, s, z, spec.qmin(), spec.qmax());
                        assertEquals(0f, s * (q - z), spec + " [" + lo + ", " + hi + "]");
                    }
                }
            }
        }
    }

    @Test
    void degenerateRangesGetTheMinimumScale() {
        for (QuantSpec spec : new QuantSpec[] {
            QuantSpec.weights(8),
            QuantSpec.activations(8),
            QuantSpec.of(4, true, false, -1),
            QuantSpec.of(3, false, true, 1)
        }) {
            QuantParams zero = spec.paramsFromRange(new float[] {0f}, new float[] {0f});
            assertEquals(QuantSpec.MIN_SCALE, zero.scale()[0], spec.toString());
            QuantParams tiny = spec.paramsFromRange(new float[] {-1e-30f}, new float[] {1e-30f});
            assertEquals(QuantSpec.MIN_SCALE, tiny.scale()[0], spec.toString());
            assertTrue(tiny.zeroPoint()[0] >= spec.qmin() && tiny.zeroPoint()[0] <= spec.qmax());
        }
        assertEquals(Math.ulp(1f), QuantSpec.MIN_SCALE, "PyTorch's torch.finfo(torch.float32).eps");
    }

    @Test
    void rejectsNonFiniteAndMalformedRanges() {
        QuantSpec spec = QuantSpec.weights(8);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> spec.paramsFromRange(new float[] {-1f, bad}, new float[] {1f, 1f}));
            assertTrue(e.getMessage().contains("not finite") && e.getMessage().contains("channel 1"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> spec.paramsFromRange(new float[] {1f}, new float[] {-1f}));
        assertThrows(
                IllegalArgumentException.class, () -> spec.paramsFromRange(new float[] {0f}, new float[] {1f, 2f}));
        assertThrows(IllegalArgumentException.class, () -> spec.paramsFromRange(new float[0], new float[0]));
        assertThrows(
                IllegalArgumentException.class,
                () -> QuantSpec.activations(8).paramsFromRange(new float[] {0f, 0f}, new float[] {1f, 1f}));
    }

    @Test
    void quantParamsIsAnImmutableValue() {
        float[] scale = {0.5f, 0.25f};
        QuantParams p = new QuantParams(scale, new int[] {1, 2});
        scale[0] = 9f;
        p.scale()[1] = 9f;
        assertArrayEquals(new float[] {0.5f, 0.25f}, p.scale());
        assertEquals(2, p.channels());
        assertEquals(new QuantParams(new float[] {0.5f, 0.25f}, new int[] {1, 2}), p);
        assertEquals(new QuantParams(new float[] {0.5f, 0.25f}, new int[] {1, 2}).hashCode(), p.hashCode());
        assertEquals("QuantParams[scale=[0.5, 0.25], zeroPoint=[1, 2]]", p.toString());
        assertEquals(QuantParams.of(0.5f, 3), new QuantParams(new float[] {0.5f}, new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> QuantParams.of(0f, 0));
        assertThrows(IllegalArgumentException.class, () -> QuantParams.of(Float.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> new QuantParams(new float[] {1f}, new int[0]));
    }
}

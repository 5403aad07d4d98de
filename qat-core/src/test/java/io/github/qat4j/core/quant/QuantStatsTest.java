package io.github.qat4j.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantStatsTest {

    @Test
    void sqnrOfKnownSignals() {
        assertEquals(10 * Math.log10(2), QuantStats.sqnrDb(new float[] {1f, 1f}, new float[] {1f, 0f}), 1e-12);
        assertEquals(20, QuantStats.sqnrDb(new float[] {10f}, new float[] {9f}), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, QuantStats.sqnrDb(new float[] {1f, -2f}, new float[] {1f, -2f}));
        assertThrows(IllegalArgumentException.class, () -> QuantStats.sqnrDb(new float[2], new float[3]));
    }

    @Test
    void sqnrGrowsByTheRatioOfStepSizes() {
        SplittableRandom r = new SplittableRandom(21);
        float[] x = new float[20_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        double previous = 0;
        for (int b = 4; b <= 8; b++) {
            QuantSpec spec = QuantSpec.of(b, true, true, -1);
            QuantParams p = spec.paramsFromRange(new float[] {-1f}, new float[] {1f});
            float[] out = new float[x.length];
            FakeQuant.forward(x, out, p.scale(), p.zeroPoint(), spec.qmin(), spec.qmax(), 1, x.length);
            double sqnr = QuantStats.sqnrDb(x, out);
            if (b > 4) {
                // Uniform noise s^2 / 12 with s = 1 / qmax: each bit adds 20 log10(qmax_b / qmax_(b-1)),
                // 6.02 dB in the limit, more at low bits where the narrow range drops a level.
                double expected = 20
                        * Math.log10((double) spec.qmax()
                                / QuantSpec.of(b - 1, true, true, -1).qmax());
                assertEquals(expected, sqnr - previous, 0.15, "bits " + b);
            }
            previous = sqnr;
        }
    }

    @Test
    void clippedFractionCountsValuesOutsideTheRangePerChannel() {
        // [outer=1][channels=2][inner=3]; channel 0 step 1 z 0 in [-2, 2]; channel 1 step 0.5 z 1 in [-2, 2].
        float[] x = {-3f, 1f, 2f, 0.5f, 0.6f, -1.6f};
        double f = QuantStats.clippedFraction(x, new float[] {1f, 0.5f}, new int[] {0, 1}, -2, 2, 2, 3);
        // -3 clipped; 0.5/0.5 + 1 = 2 kept; 0.6/0.5 + 1 = 2.2 clipped; -1.6/0.5 + 1 = -2.2 clipped.
        assertEquals(3.0 / 6, f, 1e-12);
        assertEquals(0, QuantStats.clippedFraction(new float[0], new float[] {1f}, new int[] {0}, 0, 255, 1, 1));
    }

    @Test
    void clippedValuesAreExactlyThoseWithoutAStraightThroughGradient() {
        SplittableRandom r = new SplittableRandom(22);
        float[] x = new float[999];
        float[] ones = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
            ones[i] = 1f;
        }
        float[] gradIn = new float[x.length];
        float[] scale = {0.01f, 0.02f, 0.03f};
        int[] zp = {0, 10, -10};
        FakeQuant.backward(x, ones, scale, zp, -127, 127, 3, 3, gradIn, null, 1f);
        long zeros = 0;
        for (float g : gradIn) {
            zeros += g == 0f ? 1 : 0;
        }
        assertTrue(zeros > 0);
        assertEquals((double) zeros / x.length, QuantStats.clippedFraction(x, scale, zp, -127, 127, 3, 3), 1e-12);
    }

    @Test
    void summaryGivesMinMedianMax() {
        QuantStats.Summary s = QuantStats.summary(new float[] {3f, -1f, 2f, 10f, 0f});
        assertEquals(new QuantStats.Summary(-1, 2, 10), s);
        assertEquals("min -1.00000, median 2.00000, max 10.0000", s.toString());
        assertThrows(IllegalArgumentException.class, () -> QuantStats.summary(new float[0]));
    }
}

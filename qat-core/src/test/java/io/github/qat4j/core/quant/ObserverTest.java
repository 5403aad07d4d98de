package io.github.qat4j.core.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.junit.jupiter.api.Test;

class ObserverTest {

    private static final QuantSpec UINT8 = QuantSpec.activations(8);

    private static QuantParams range(QuantSpec spec, float min, float max) {
        return spec.paramsFromRange(new float[] {min}, new float[] {max});
    }

    @Test
    void minMaxTracksTheExtremesOverBatches() {
        MinMaxObserver obs = new MinMaxObserver();
        assertFalse(obs.hasObservations());
        assertThrows(IllegalStateException.class, () -> obs.compute(UINT8));
        obs.observe(new float[] {0.5f, -1f, 2f}, 1, 3);
        obs.observe(new float[] {3f, 0f}, 1, 2);
        assertTrue(obs.hasObservations());
        assertArrayEquals(new float[] {-1f}, obs.min());
        assertArrayEquals(new float[] {3f}, obs.max());
        assertEquals(range(UINT8, -1f, 3f), obs.compute(UINT8));
        obs.reset();
        assertFalse(obs.hasObservations());
    }

    @Test
    void minMaxPerChannelAndItsPerTensorUnion() {
        MinMaxObserver obs = new MinMaxObserver();
        // [outer=2][channels=3][inner=2]
        float[] x = {1f, -1f, 5f, 6f, -2f, 0f, 3f, 0.5f, 4f, 7f, 0f, -3f};
        obs.observe(x, 3, 2);
        assertArrayEquals(new float[] {-1f, 4f, -3f}, obs.min());
        assertArrayEquals(new float[] {3f, 7f, 0f}, obs.max());
        QuantSpec w = QuantSpec.weights(8);
        assertEquals(w.paramsFromRange(new float[] {-1f, 4f, -3f}, new float[] {3f, 7f, 0f}), obs.compute(w));
        assertEquals(range(UINT8, -3f, 7f), obs.compute(UINT8));
        assertThrows(IllegalArgumentException.class, () -> obs.observe(x, 2, 3));
    }

    @Test
    void observersRejectNonFiniteValuesAndBadViews() {
        for (Observer obs : new Observer[] {
            new MinMaxObserver(), new EmaMinMaxObserver(), new PercentileObserver(99), new MseObserver()
        }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> obs.observe(new float[] {1f, Float.NaN}, 1, 2));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            assertThrows(
                    IllegalArgumentException.class, () -> obs.observe(new float[] {Float.NEGATIVE_INFINITY}, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> obs.observe(new float[5], 2, 2));
            assertThrows(IllegalArgumentException.class, () -> obs.observe(new float[0], 1, 1));
            assertFalse(obs.hasObservations(), obs.getClass().getSimpleName());
            assertThrows(IllegalStateException.class, () -> obs.compute(UINT8));
        }
    }

    @Test
    void emaFollowsPyTorchsRecurrence() {
        assertEquals(1.1f, EmaMinMaxObserver.ema(1f, 11f, 0.01f), 1e-7f);
        assertEquals(0.01f, new EmaMinMaxObserver().averagingConstant());
        float c = 0.1f;
        EmaMinMaxObserver obs = new EmaMinMaxObserver(c);
        SplittableRandom r = new SplittableRandom(11);
        float runMin = 0;
        float runMax = 0;
        for (int batch = 0; batch < 20; batch++) {
            float[] x = new float[2 * 8];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * (1 + batch));
            }
            obs.observe(x, 2, 8);
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            for (int i = 8; i < 16; i++) {
                lo = Math.min(lo, x[i]);
                hi = Math.max(hi, x[i]);
            }
            // The first batch initialises; later ones move by c towards the batch's extremes.
            runMin = batch == 0 ? lo : runMin + c * (lo - runMin);
            runMax = batch == 0 ? hi : runMax + c * (hi - runMax);
            assertEquals(runMin, obs.min()[1], "batch " + batch);
            assertEquals(runMax, obs.max()[1], "batch " + batch);
        }
        assertThrows(IllegalArgumentException.class, () -> new EmaMinMaxObserver(0f));
        assertThrows(IllegalArgumentException.class, () -> new EmaMinMaxObserver(1.5f));
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    @Test
    void percentileEqualsCommonsMathOnTheFullDataWhileItFitsTheReservoir() {
        SplittableRandom r = new SplittableRandom(12);
        PercentileObserver obs = new PercentileObserver(99.9);
        float[] all = new float[10 * 1000];
        for (int b = 0; b < 10; b++) {
            float[] x = new float[1000];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 2 + 0.5);
                all[b * 1000 + i] = x[i];
            }
            obs.observe(x, 1, x.length);
        }
        double[] d = toDouble(all);
        float lo = (float) new Percentile().evaluate(d, 0.1);
        float hi = (float) new Percentile().evaluate(d, 99.9);
        assertEquals(range(UINT8, lo, hi), obs.compute(UINT8));
        assertEquals(99.9, obs.percentile());
    }

    @Test
    void percentilePerChannel() {
        PercentileObserver obs = new PercentileObserver(90);
        // [outer=50][channels=2][inner=2]: channel 0 counts 0..99, channel 1 is -10 times that.
        float[] x = new float[200];
        for (int o = 0; o < 50; o++) {
            for (int j = 0; j < 2; j++) {
                x[o * 4 + j] = o * 2 + j;
                x[o * 4 + 2 + j] = -10f * (o * 2 + j);
            }
        }
        obs.observe(x, 2, 2);
        double[] ch0 = new double[100];
        double[] ch1 = new double[100];
        for (int k = 0; k < 100; k++) {
            ch0[k] = k;
            ch1[k] = -10.0 * k;
        }
        QuantSpec spec = QuantSpec.of(8, true, false, 1);
        Percentile p = new Percentile();
        float[] min = {(float) p.evaluate(ch0, 10), (float) p.evaluate(ch1, 10)};
        float[] max = {(float) p.evaluate(ch0, 90), (float) p.evaluate(ch1, 90)};
        assertEquals(spec.paramsFromRange(min, max), obs.compute(spec));
    }

    @Test
    void percentileOnABoundedReservoirStaysCloseToTheFullData() {
        SplittableRandom r = new SplittableRandom(13);
        PercentileObserver obs = new PercentileObserver(99, 4096, 1L);
        float[] all = new float[200_000];
        for (int b = 0; b < 50; b++) {
            float[] x = new float[4000];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
                all[b * 4000 + i] = x[i];
            }
            obs.observe(x, 1, x.length);
        }
        double[] d = toDouble(all);
        double hi = new Percentile().evaluate(d, 99);
        double lo = new Percentile().evaluate(d, 1);
        QuantSpec spec = QuantSpec.of(8, true, false, -1);
        QuantParams p = obs.compute(spec);
        QuantParams exact = range(spec, (float) lo, (float) hi);
        // 4096 samples estimate the 99th percentile of a normal (2.33) to within a few percent.
        assertEquals(exact.scale()[0], p.scale()[0], 0.05 * exact.scale()[0]);
        assertEquals(exact.zeroPoint()[0], p.zeroPoint()[0], 3);
        assertThrows(IllegalArgumentException.class, () -> new PercentileObserver(50));
        assertThrows(IllegalArgumentException.class, () -> new PercentileObserver(100.5));
        assertThrows(IllegalArgumentException.class, () -> new PercentileObserver(99, 0, 0L));
    }

    @Test
    void percentileOfOneHundredIsTheMinMaxRange() {
        PercentileObserver obs = new PercentileObserver(100);
        obs.observe(new float[] {-2f, 1f, 0.5f, 4f}, 1, 4);
        assertEquals(range(UINT8, -2f, 4f), obs.compute(UINT8));
        obs.reset();
        assertFalse(obs.hasObservations());
    }

    private static double mse(float[] x, QuantSpec spec, QuantParams p, int channels, int inner) {
        float[] out = new float[x.length];
        FakeQuant.forward(x, out, p.scale(), p.zeroPoint(), spec.qmin(), spec.qmax(), channels, inner);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (x[i] - out[i]) * (double) (x[i] - out[i]);
        }
        return sum / x.length;
    }

    private static double minMaxMse(float[] x, QuantSpec spec, int channels, int inner) {
        MinMaxObserver obs = new MinMaxObserver();
        obs.observe(x, channels, inner);
        return mse(x, spec, obs.compute(spec), channels, inner);
    }

    @Test
    void mseRangeIsNoWorseThanMinMaxWithOutliersAndStrictlyBetterOnHeavyTails() {
        SplittableRandom r = new SplittableRandom(14);
        float[] outliers = new float[4000];
        for (int i = 0; i < outliers.length; i++) {
            outliers[i] = (float) r.nextGaussian();
        }
        outliers[17] = 40f;
        outliers[999] = -25f;
        // Student-t with 2 degrees of freedom: a heavy tail, most values near 0.
        float[] heavy = new float[4000];
        for (int i = 0; i < heavy.length; i++) {
            double z = r.nextGaussian();
            double chi2 = Math.pow(r.nextGaussian(), 2) + Math.pow(r.nextGaussian(), 2);
            heavy[i] = (float) (z / Math.sqrt(chi2 / 2));
        }
        for (QuantSpec spec : new QuantSpec[] {
            QuantSpec.activations(8), QuantSpec.of(8, true, true, -1), QuantSpec.of(4, true, false, -1)
        }) {
            for (float[] x : new float[][] {outliers, heavy}) {
                MseObserver obs = new MseObserver();
                obs.observe(x, 1, x.length);
                double best = mse(x, spec, obs.compute(spec), 1, x.length);
                assertTrue(best <= minMaxMse(x, spec, 1, x.length), spec.toString());
            }
            MseObserver obs = new MseObserver();
            obs.observe(heavy, 1, heavy.length);
            double best = mse(heavy, spec, obs.compute(spec), 1, heavy.length);
            double plain = minMaxMse(heavy, spec, 1, heavy.length);
            assertTrue(best < plain, spec + ": " + best + " vs " + plain);
            // At 8 bits rounding noise is small and clipping gains a few percent; at 4 bits it is the
            // rounding noise of the stretched range that dominates (measured: about a third less error).
            if (spec.bits() == 4) {
                assertTrue(best < 0.8 * plain, spec + ": " + best + " vs " + plain);
            }
        }
    }

    @Test
    void msePerChannelSearchesEachChannelOnItsOwn() {
        SplittableRandom r = new SplittableRandom(15);
        int channels = 3;
        int inner = 5000;
        float[] x = new float[channels * inner];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * (1 + i / inner));
        }
        x[3] = 30f;
        x[inner + 7] = -50f;
        QuantSpec w = QuantSpec.weights(4);
        MseObserver obs = new MseObserver(50, inner, 2L);
        obs.observe(x, channels, inner);
        QuantParams p = obs.compute(w);
        assertEquals(channels, p.channels());
        MinMaxObserver minMax = new MinMaxObserver();
        minMax.observe(x, channels, inner);
        QuantParams q = minMax.compute(w);
        for (int c = 0; c < channels; c++) {
            float[] channel = Arrays.copyOfRange(x, c * inner, (c + 1) * inner);
            double searched = mse(channel, w, new QuantParams(new float[] {p.scale()[c]}, new int[] {0}), 1, inner);
            double plain = mse(channel, w, new QuantParams(new float[] {q.scale()[c]}, new int[] {0}), 1, inner);
            assertTrue(searched <= plain, "channel " + c);
        }
        // The two channels with an outlier clip it away.
        assertTrue(p.scale()[0] < 0.5 * q.scale()[0]);
        assertTrue(p.scale()[1] < 0.5 * q.scale()[1]);
    }

    @Test
    void reservoirKeepsAUniformSample() {
        Reservoir reservoir = new Reservoir(1000, 3L);
        float[] x = new float[100_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        for (int b = 0; b < 10; b++) {
            reservoir.add(Arrays.copyOfRange(x, b * 10_000, (b + 1) * 10_000), 1, 10_000);
        }
        double[] sample = reservoir.channel(0);
        assertEquals(1000, sample.length);
        double mean = Arrays.stream(sample).average().orElseThrow();
        // Uniform over 0..99999: mean 50000, standard error about 29000 / sqrt(1000) = 913.
        assertEquals(50_000, mean, 4_000);
    }
}

package io.github.qat4j.core.quant;

import java.util.SplittableRandom;

/**
 * A uniform sample of at most {@code capacity} values per channel from a stream of batches
 * (Vitter's algorithm R), so that observers needing the data itself, not just its extremes, use
 * bounded memory however many batches they see. Seeded, so calibration is reproducible.
 */
final class Reservoir {

    private final int capacity;
    private final long seed;
    private SplittableRandom random;
    private float[][] samples;
    private long seen;

    Reservoir(int capacity, long seed) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
        this.seed = seed;
        reset();
    }

    /** Adds a batch already validated by {@link Ranges#of}. */
    void add(float[] x, int channels, int inner) {
        if (samples == null) {
            samples = new float[channels][capacity];
        }
        long perChannel = seen;
        int i = 0;
        while (i < x.length) {
            for (int c = 0; c < channels; c++) {
                // Every channel sees the same number of values, so one counter serves them all.
                long n = perChannel;
                for (int end = i + inner; i < end; i++, n++) {
                    if (n < capacity) {
                        samples[c][(int) n] = x[i];
                    } else {
                        long j = random.nextLong(n + 1);
                        if (j < capacity) {
                            samples[c][(int) j] = x[i];
                        }
                    }
                }
            }
            perChannel += inner;
        }
        seen = perChannel;
    }

    /** The sample of one channel. */
    double[] channel(int c) {
        int n = (int) Math.min(seen, capacity);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = samples[c][i];
        }
        return out;
    }

    /** The samples of all channels together. */
    double[] all() {
        int n = (int) Math.min(seen, capacity);
        double[] out = new double[n * samples.length];
        for (int c = 0; c < samples.length; c++) {
            for (int i = 0; i < n; i++) {
                out[c * n + i] = samples[c][i];
            }
        }
        return out;
    }

    void reset() {
        random = new SplittableRandom(seed);
        samples = null;
        seen = 0;
    }
}

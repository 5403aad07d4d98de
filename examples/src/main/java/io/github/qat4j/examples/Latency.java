package io.github.qat4j.examples;

import java.util.Arrays;

/**
 * Latency of one call: the median over repeated runs, after warm-up runs for the JIT to compile the
 * path. Both phases are bounded in time; the median of a few dozen runs is already stable to a few
 * percent.
 */
final class Latency {
    private static final int MIN_RUNS = 10;

    private Latency() {
    }

    /**
     * The pipeline's measure: up to 50 warm-up runs in at most 1 s, then 10 to 200 runs in about 2 s, so
     * a slow model (or a busy machine) does not stall the pipeline.
     */
    static double medianMillis(Runnable inference) {
        return medianMillis(inference, 50, 1_000_000_000L, 2_000_000_000L, 200);
    }

    /** Warm-up for {@code warmUpNanos}, then at least 10 runs and as many as fit in {@code measureNanos}. */
    static double medianMillis(Runnable inference, long warmUpNanos, long measureNanos) {
        return medianMillis(inference, Integer.MAX_VALUE, warmUpNanos, measureNanos, Integer.MAX_VALUE);
    }

    private static double medianMillis(Runnable inference, int maxWarmUpRuns, long warmUpNanos, long measureNanos,
                                       int maxRuns) {
        long warmUpEnd = System.nanoTime() + warmUpNanos;
        for (int i = 0; i < maxWarmUpRuns && System.nanoTime() < warmUpEnd; i++) {
            inference.run();
        }
        double[] millis = new double[64];
        int runs = 0;
        long deadline = System.nanoTime() + measureNanos;
        while (runs < maxRuns && (runs < MIN_RUNS || System.nanoTime() < deadline)) {
            long start = System.nanoTime();
            inference.run();
            if (runs == millis.length) {
                millis = Arrays.copyOf(millis, 2 * runs);
            }
            millis[runs++] = (System.nanoTime() - start) / 1e6;
        }
        double[] measured = Arrays.copyOf(millis, runs);
        Arrays.sort(measured);
        return measured[runs / 2];
    }
}

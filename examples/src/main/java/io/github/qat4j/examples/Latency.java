package io.github.qat4j.examples;

import java.util.Arrays;

/**
 * Single-input latency: the median over repeated runs, after warm-up runs for the JIT to compile the
 * path. Both phases are bounded in time as well as in runs, so a slow model (or a busy machine) does
 * not stall the pipeline; the median of a few dozen runs is already stable to a few percent.
 */
final class Latency {
    private static final int WARM_UP_RUNS = 50;
    private static final long WARM_UP_NANOS = 1_000_000_000L;
    private static final int MIN_RUNS = 10;
    private static final int MAX_RUNS = 200;
    private static final long MEASURE_NANOS = 2_000_000_000L;

    private Latency() {
    }

    static double medianMillis(Runnable inference) {
        long warmUpEnd = System.nanoTime() + WARM_UP_NANOS;
        for (int i = 0; i < WARM_UP_RUNS && System.nanoTime() < warmUpEnd; i++) {
            inference.run();
        }
        double[] millis = new double[MAX_RUNS];
        int runs = 0;
        long deadline = System.nanoTime() + MEASURE_NANOS;
        while (runs < MAX_RUNS && (runs < MIN_RUNS || System.nanoTime() < deadline)) {
            long start = System.nanoTime();
            inference.run();
            millis[runs++] = (System.nanoTime() - start) / 1e6;
        }
        double[] measured = Arrays.copyOf(millis, runs);
        Arrays.sort(measured);
        return measured[runs / 2];
    }
}

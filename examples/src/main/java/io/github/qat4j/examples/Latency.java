package io.github.qat4j.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Latency of one call: the median over repeated runs, after warm-up runs for the JIT to compile the
 * path. Both phases are bounded in time; the median of a few dozen runs is already stable to a few
 * percent.
 */
public final class Latency {
    private static final int MIN_RUNS = 10;

    private Latency() {}

    /**
     * The pipeline's measure: up to 50 warm-up runs in at most 1 s, then 10 to 200 runs in about 2 s, so
     * a slow model (or a busy machine) does not stall the pipeline.
     */
    public static double medianMillis(Runnable inference) {
        return medianMillis(inference, 50, 1_000_000_000L, 2_000_000_000L, 200);
    }

    /** Warm-up for {@code warmUpNanos}, then at least 10 runs and as many as fit in {@code measureNanos}. */
    public static double medianMillis(Runnable inference, long warmUpNanos, long measureNanos) {
        return medianMillis(inference, Integer.MAX_VALUE, warmUpNanos, measureNanos, Integer.MAX_VALUE);
    }

    /**
     * Medians of several calls measured side by side: each is warmed up for {@code warmUpNanos}, then
     * they take turns, {@code rounds} blocks each of about {@code measureNanos / rounds} (at least 3
     * runs), so that a drift in the machine's speed (this guest's drifts by tens of percent) falls on
     * all of them alike and no call is favoured by running first or last.
     */
    public static double[] medianMillisTakingTurns(
            List<Runnable> calls, long warmUpNanos, long measureNanos, int rounds) {
        for (Runnable call : calls) {
            long warmUpEnd = System.nanoTime() + warmUpNanos;
            while (System.nanoTime() < warmUpEnd) {
                call.run();
            }
        }
        List<List<Double>> millis = new ArrayList<>();
        calls.forEach(c -> millis.add(new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < calls.size(); i++) {
                long blockEnd = System.nanoTime() + measureNanos / rounds;
                for (int runs = 0; runs < 3 || System.nanoTime() < blockEnd; runs++) {
                    long start = System.nanoTime();
                    calls.get(i).run();
                    millis.get(i).add((System.nanoTime() - start) / 1e6);
                }
            }
        }
        return millis.stream()
                .mapToDouble(
                        m -> median(m.stream().mapToDouble(Double::doubleValue).toArray()))
                .toArray();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double medianMillis(
            Runnable inference, int maxWarmUpRuns, long warmUpNanos, long measureNanos, int maxRuns) {
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
        return median(Arrays.copyOf(millis, runs));
    }
}

package io.github.qat4j.layers;

import java.util.Optional;

/**
 * The multiple-choice knapsack: pick exactly one option per item so that the summed size stays
 * within a capacity and the summed cost is smallest. Solved exactly by dynamic programming over the
 * capacity (items x capacity steps), after rounding sizes up to a multiple of {@code quantum}, which
 * keeps every answer within the capacity and is exact for {@code quantum = 1}.
 */
final class MultipleChoiceKnapsack {
    /** Largest table row: with more capacity units than this the quantum grows. */
    static final long MAX_UNITS = 1 << 20;

    private MultipleChoiceKnapsack() {
    }

    /** The quantum that keeps a capacity within {@link #MAX_UNITS} units. */
    static long quantumFor(long capacity) {
        return Math.max(1, (capacity + MAX_UNITS - 1) / MAX_UNITS);
    }

    /**
     * @param sizes per item, the size of each option (non-negative)
     * @param costs per item, the cost of each option, as many as its sizes
     * @return per item, the index of its chosen option; empty when no choice fits the capacity
     */
    static Optional<int[]> solve(long[][] sizes, double[][] costs, long capacity, long quantum) {
        if (sizes.length != costs.length) {
            throw new IllegalArgumentException(sizes.length + " items have sizes but " + costs.length + " have costs");
        }
        if (quantum < 1 || capacity / quantum > MAX_UNITS) {
            throw new IllegalArgumentException("quantum " + quantum + " leaves more than " + MAX_UNITS
                    + " units of capacity " + capacity);
        }
        if (capacity < 0) {
            return Optional.empty();
        }
        int units = (int) (capacity / quantum);
        double[] best = new double[units + 1]; // items so far, total units <= u: least cost (0 for no items)
        byte[][] choice = new byte[sizes.length][units + 1];
        int[][] optionUnits = new int[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i].length != costs[i].length || sizes[i].length == 0 || sizes[i].length > Byte.MAX_VALUE) {
                throw new IllegalArgumentException("item " + i + " has " + sizes[i].length + " sizes and "
                        + costs[i].length + " costs; it needs 1 to " + Byte.MAX_VALUE + " options of each");
            }
            optionUnits[i] = new int[sizes[i].length];
            for (int o = 0; o < sizes[i].length; o++) {
                if (sizes[i][o] < 0) {
                    throw new IllegalArgumentException("item " + i + " option " + o + " has negative size " + sizes[i][o]);
                }
                long u = (sizes[i][o] + quantum - 1) / quantum;
                optionUnits[i][o] = (int) Math.min(u, units + 1L); // beyond the capacity: never fits
            }
            double[] next = new double[units + 1];
            for (int u = 0; u <= units; u++) {
                double least = Double.POSITIVE_INFINITY;
                for (int o = 0; o < optionUnits[i].length; o++) {
                    int w = optionUnits[i][o];
                    if (w <= u && best[u - w] + costs[i][o] < least) {
                        least = best[u - w] + costs[i][o];
                        choice[i][u] = (byte) o;
                    }
                }
                next[u] = least;
            }
            best = next;
        }
        if (best[units] == Double.POSITIVE_INFINITY) {
            return Optional.empty();
        }
        int[] picked = new int[sizes.length];
        int u = units;
        for (int i = sizes.length - 1; i >= 0; i--) {
            picked[i] = choice[i][u];
            u -= optionUnits[i][picked[i]];
        }
        return Optional.of(picked);
    }
}

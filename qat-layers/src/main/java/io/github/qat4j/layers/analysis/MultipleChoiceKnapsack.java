package io.github.qat4j.layers.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The multiple-choice knapsack: pick exactly one option per item so that the summed size stays
 * within a capacity and the summed cost is smallest. Solved exactly by dynamic programming over the
 * capacity (items x capacity steps), after rounding sizes up to a multiple of {@code quantum}, which
 * keeps every answer within the capacity and is exact for {@code quantum = 1}. One table answers
 * every capacity up to the largest, so the whole size-cost frontier costs one solve.
 */
final class MultipleChoiceKnapsack {
    /** Largest table row: with more capacity units than this the quantum grows. */
    static final long MAX_UNITS = 1 << 20;

    /** Least cost at each capacity, in quantum units, and the option each item takes to reach it. */
    private final double[] best;

    private final byte[][] choice;
    private final int[][] optionUnits;

    private MultipleChoiceKnapsack(long[][] sizes, double[][] costs, long capacity, long quantum) {
        if (sizes.length != costs.length) {
            throw new IllegalArgumentException(sizes.length + " items have sizes but " + costs.length + " have costs");
        }
        if (quantum < 1 || capacity / quantum > MAX_UNITS) {
            throw new IllegalArgumentException(
                    "quantum " + quantum + " leaves more than " + MAX_UNITS + " units of capacity " + capacity);
        }
        int units = (int) (capacity / quantum);
        double[] least = new double[units + 1]; // items so far, total units <= u: least cost (0 for no items)
        choice = new byte[sizes.length][units + 1];
        optionUnits = new int[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i].length != costs[i].length || sizes[i].length == 0 || sizes[i].length > Byte.MAX_VALUE) {
                throw new IllegalArgumentException("item " + i + " has " + sizes[i].length + " sizes and "
                        + costs[i].length + " costs; it needs 1 to " + Byte.MAX_VALUE + " options of each");
            }
            optionUnits[i] = new int[sizes[i].length];
            for (int o = 0; o < sizes[i].length; o++) {
                if (sizes[i][o] < 0) {
                    throw new IllegalArgumentException(
                            "item " + i + " option " + o + " has negative size " + sizes[i][o]);
                }
                long u = (sizes[i][o] + quantum - 1) / quantum;
                optionUnits[i][o] = (int) Math.min(u, units + 1L); // beyond the capacity: never fits
            }
            double[] next = new double[units + 1];
            for (int u = 0; u <= units; u++) {
                next[u] = Double.POSITIVE_INFINITY;
                for (int o = 0; o < optionUnits[i].length; o++) {
                    int w = optionUnits[i][o];
                    if (w <= u && least[u - w] + costs[i][o] < next[u]) {
                        next[u] = least[u - w] + costs[i][o];
                        choice[i][u] = (byte) o;
                    }
                }
            }
            least = next;
        }
        best = least;
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
        MultipleChoiceKnapsack k = new MultipleChoiceKnapsack(sizes, costs, Math.max(capacity, 0), quantum);
        int units = k.best.length - 1;
        return capacity < 0 || k.best[units] == Double.POSITIVE_INFINITY
                ? Optional.empty()
                : Optional.of(k.picked(units));
    }

    /**
     * The choices on the size-cost frontier up to {@code capacity}: one for each capacity (in quantum
     * steps) at which the least cost falls, from the smallest capacity to the largest, so each costs
     * strictly less than the one before and no choice of at most its size costs less.
     */
    static List<int[]> frontier(long[][] sizes, double[][] costs, long capacity, long quantum) {
        MultipleChoiceKnapsack k = new MultipleChoiceKnapsack(sizes, costs, capacity, quantum);
        List<int[]> frontier = new ArrayList<>();
        for (int u = 0; u < k.best.length; u++) {
            if (k.best[u] < (u == 0 ? Double.POSITIVE_INFINITY : k.best[u - 1])) {
                frontier.add(k.picked(u));
            }
        }
        return frontier;
    }

    /** The options reaching the least cost within {@code units}, read back through the table. */
    private int[] picked(int units) {
        int[] picked = new int[choice.length];
        int u = units;
        for (int i = choice.length - 1; i >= 0; i--) {
            picked[i] = choice[i][u];
            u -= optionUnits[i][picked[i]];
        }
        return picked;
    }
}

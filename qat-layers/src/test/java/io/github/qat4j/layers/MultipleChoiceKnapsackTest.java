package io.github.qat4j.layers;

import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultipleChoiceKnapsackTest {
    @Test
    void matchesBruteForceOnSmallRandomInstances() {
        Random r = new Random(16);
        for (int trial = 0; trial < 2000; trial++) {
            int items = 1 + r.nextInt(5);
            long[][] sizes = new long[items][];
            double[][] costs = new double[items][];
            for (int i = 0; i < items; i++) {
                int options = 1 + r.nextInt(4);
                sizes[i] = new long[options];
                costs[i] = new double[options];
                for (int o = 0; o < options; o++) {
                    sizes[i][o] = r.nextInt(40);
                    costs[i][o] = r.nextGaussian(); // measured loss changes can be negative
                }
            }
            long capacity = r.nextInt(120) - 5;
            double best = bruteForce(sizes, costs, capacity, 0, 0, 0);
            Optional<int[]> picked = MultipleChoiceKnapsack.solve(sizes, costs, capacity, 1);
            assertEquals(Double.isFinite(best), picked.isPresent(), "trial " + trial + ": feasibility");
            if (picked.isPresent()) {
                long size = 0;
                double cost = 0;
                for (int i = 0; i < items; i++) {
                    size += sizes[i][picked.get()[i]];
                    cost += costs[i][picked.get()[i]];
                }
                assertTrue(size <= capacity, "trial " + trial + ": " + size + " > " + capacity);
                assertEquals(best, cost, 1e-9, "trial " + trial);
            }
        }
    }

    @Test
    void aCoarserQuantumStaysWithinTheCapacity() {
        Random r = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            long[][] sizes = new long[3][3];
            double[][] costs = new double[3][3];
            for (int i = 0; i < 3; i++) {
                for (int o = 0; o < 3; o++) {
                    sizes[i][o] = r.nextInt(1000);
                    costs[i][o] = r.nextDouble();
                }
            }
            long capacity = 500 + r.nextInt(2000);
            Optional<int[]> exact = MultipleChoiceKnapsack.solve(sizes, costs, capacity, 1);
            Optional<int[]> coarse = MultipleChoiceKnapsack.solve(sizes, costs, capacity, 37);
            if (coarse.isPresent()) {
                long size = 0;
                for (int i = 0; i < 3; i++) {
                    size += sizes[i][coarse.get()[i]];
                }
                assertTrue(size <= capacity);
                assertTrue(exact.isPresent());
            }
        }
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MultipleChoiceKnapsack.solve(new long[][] {{1, 2}}, new double[][] {{1}}, 10, 1));
        assertTrue(e.getMessage().contains("item 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MultipleChoiceKnapsack.solve(new long[][] {{-1}}, new double[][] {{1}}, 10, 1));
    }

    /** Least cost over every combination within the capacity; infinity when none fits. */
    private static double bruteForce(long[][] sizes, double[][] costs, long capacity, int item, long size, double cost) {
        if (item == sizes.length) {
            return size <= capacity ? cost : Double.POSITIVE_INFINITY;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int o = 0; o < sizes[item].length; o++) {
            best = Math.min(best, bruteForce(sizes, costs, capacity, item + 1, size + sizes[item][o],
                    cost + costs[item][o]));
        }
        return best;
    }
}

package io.github.qat4j.layers.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipleChoiceKnapsackTest {
    @Test
    void matchesBruteForceOnSmallRandomInstances() {
        Random r = new Random(16);
        for (int trial = 0; trial < 2000; trial++) {
            Instance k = Instance.random(r, 5, 40);
            long capacity = r.nextInt(120) - 5;
            double best = k.bruteForce(capacity);
            Optional<int[]> picked = MultipleChoiceKnapsack.solve(k.sizes, k.costs, capacity, 1);
            assertEquals(Double.isFinite(best), picked.isPresent(), "trial " + trial + ": feasibility");
            if (picked.isPresent()) {
                long size = k.size(picked.get());
                assertTrue(size <= capacity, "trial " + trial + ": " + size + " > " + capacity);
                assertEquals(best, k.cost(picked.get()), 1e-9, "trial " + trial);
            }
        }
    }

    @Test
    void theFrontierIsEachCapacityAtWhichTheBruteForceLeastCostFalls() {
        Random r = new Random(17);
        for (int trial = 0; trial < 300; trial++) {
            Instance k = Instance.random(r, 4, 30);
            long capacity = r.nextInt(100);
            List<int[]> frontier = MultipleChoiceKnapsack.frontier(k.sizes, k.costs, capacity, 1);
            int next = 0;
            double previous = Double.POSITIVE_INFINITY;
            for (long c = 0; c <= capacity; c++) {
                double best = k.bruteForce(c);
                if (best < previous) {
                    assertTrue(next < frontier.size(), "trial " + trial + ": too few points");
                    int[] picked = frontier.get(next++);
                    // a smaller size would have reached this cost at a smaller capacity already
                    assertEquals(c, k.size(picked), "trial " + trial);
                    assertEquals(best, k.cost(picked), 1e-9, "trial " + trial);
                    previous = best;
                }
            }
            assertEquals(next, frontier.size(), "trial " + trial + ": too many points");
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
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> MultipleChoiceKnapsack.solve(new long[][] {{1, 2}}, new double[][] {{1}}, 10, 1));
        assertTrue(e.getMessage().contains("item 0"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> MultipleChoiceKnapsack.solve(new long[][] {{-1}}, new double[][] {{1}}, 10, 1));
    }

    /** Items with 1 to 4 options each, sizes below {@code maxSize}, costs of either sign. */
    private record Instance(long[][] sizes, double[][] costs) {
        static Instance random(Random r, int maxItems, int maxSize) {
            int items = 1 + r.nextInt(maxItems);
            long[][] sizes = new long[items][];
            double[][] costs = new double[items][];
            for (int i = 0; i < items; i++) {
                int options = 1 + r.nextInt(4);
                sizes[i] = new long[options];
                costs[i] = new double[options];
                for (int o = 0; o < options; o++) {
                    sizes[i][o] = r.nextInt(maxSize);
                    costs[i][o] = r.nextGaussian(); // measured loss changes can be negative
                }
            }
            return new Instance(sizes, costs);
        }

        long size(int[] picked) {
            long size = 0;
            for (int i = 0; i < picked.length; i++) {
                size += sizes[i][picked[i]];
            }
            return size;
        }

        double cost(int[] picked) {
            double cost = 0;
            for (int i = 0; i < picked.length; i++) {
                cost += costs[i][picked[i]];
            }
            return cost;
        }

        /** Least cost over every combination within the capacity; infinity when none fits. */
        double bruteForce(long capacity) {
            return bruteForce(capacity, 0, 0, 0);
        }

        private double bruteForce(long capacity, int item, long size, double cost) {
            if (item == sizes.length) {
                return size <= capacity ? cost : Double.POSITIVE_INFINITY;
            }
            double best = Double.POSITIVE_INFINITY;
            for (int o = 0; o < sizes[item].length; o++) {
                best = Math.min(best, bruteForce(capacity, item + 1, size + sizes[item][o], cost + costs[item][o]));
            }
            return best;
        }
    }
}

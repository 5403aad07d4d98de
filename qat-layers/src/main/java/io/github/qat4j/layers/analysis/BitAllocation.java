package io.github.qat4j.layers.analysis;

import io.github.qat4j.layers.prepare.QatConfig;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Weight widths per layer chosen from a {@link Sensitivity} under a size budget: the multiple-choice
 * knapsack over layers whose sizes are the bytes the int8 file stores for each layer's weights at each
 * width ({@link Sensitivity.LayerSensitivity#weightBytes}) and whose costs are the measured loss
 * increases, minimising their sum (the additive model of HAWQ-V3, Yao et al. 2021).
 *
 * <pre>{@code
 * BitAllocation a = BitAllocation.forModelBytes(sensitivity, 200_000, uniformModelBytes);
 * MultiLayerNetwork mixed = Qat.prepare(floatNet, a.applyTo(new QatConfig()));
 * }</pre>
 */
public final class BitAllocation {
    private final Map<String, Integer> widths;
    private final long weightBytes;
    private final double predictedLossIncrease;

    private BitAllocation(Map<String, Integer> widths, long weightBytes, double predictedLossIncrease) {
        this.widths = Collections.unmodifiableMap(widths);
        this.weightBytes = weightBytes;
        this.predictedLossIncrease = predictedLossIncrease;
    }

    /** The widths whose weights take at most {@code budget} bytes with the least predicted loss increase. */
    public static BitAllocation forWeightBytes(Sensitivity s, long budget) {
        long[][] sizes = sizes(s);
        Optional<int[]> picked =
                MultipleChoiceKnapsack.solve(sizes, costs(s), budget, MultipleChoiceKnapsack.quantumFor(budget));
        if (picked.isEmpty()) {
            long smallest = Arrays.stream(sizes)
                    .mapToLong(l -> Arrays.stream(l).min().orElse(0))
                    .sum();
            throw new IllegalArgumentException("a weight budget of " + budget + " bytes is below the smallest choice, "
                    + smallest + " bytes (every layer at its narrowest width)");
        }
        return of(s, picked.get());
    }

    /**
     * The knapsack's size-loss frontier: from every layer at its narrowest width to every layer at its
     * widest, each allocation whose predicted loss increase is below that of every smaller one, and the
     * least for its weight bytes.
     */
    public static List<BitAllocation> frontier(Sensitivity s) {
        long[][] sizes = sizes(s);
        long largest = Arrays.stream(sizes)
                .mapToLong(l -> Arrays.stream(l).max().orElse(0))
                .sum();
        return MultipleChoiceKnapsack.frontier(sizes, costs(s), largest, MultipleChoiceKnapsack.quantumFor(largest))
                .stream()
                .map(picked -> of(s, picked))
                .toList();
    }

    /** Every layer at {@code bits}, one of the analysed widths, with its predicted loss increase. */
    public static BitAllocation uniform(Sensitivity s, int bits) {
        int[] picked = new int[s.layers().size()];
        for (int i = 0; i < picked.length; i++) {
            List<Sensitivity.Point> points = s.layers().get(i).points();
            picked[i] = points.stream().map(Sensitivity.Point::bits).toList().indexOf(bits);
            if (picked[i] < 0) {
                throw new IllegalArgumentException(
                        s.layers().get(i).layer() + " was not analysed at " + bits + " bits");
            }
        }
        return of(s, picked);
    }

    /** Per layer, the weight bytes at each analysed width. */
    private static long[][] sizes(Sensitivity s) {
        return s.layers().stream()
                .map(l -> l.points().stream()
                        .mapToLong(p -> l.weightBytes(p.bits()))
                        .toArray())
                .toArray(long[][]::new);
    }

    /** Per layer, the measured loss increase at each analysed width. */
    private static double[][] costs(Sensitivity s) {
        return s.layers().stream()
                .map(l -> l.points().stream()
                        .mapToDouble(p -> p.loss() - s.loss())
                        .toArray())
                .toArray(double[][]::new);
    }

    /** Each layer at the width of its analysed point {@code picked[layer]}. */
    private static BitAllocation of(Sensitivity s, int[] picked) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        long bytes = 0;
        double increase = 0;
        for (int i = 0; i < picked.length; i++) {
            Sensitivity.LayerSensitivity l = s.layers().get(i);
            Sensitivity.Point p = l.points().get(picked[i]);
            widths.put(l.layer(), p.bits());
            bytes += l.weightBytes(p.bits());
            increase += p.loss() - s.loss();
        }
        return new BitAllocation(widths, bytes, increase);
    }

    /**
     * The widths whose whole int8 model takes at most {@code budget} bytes, given the size of the model
     * at the analysed network's widths: everything but the weights (scales, biases, requantization,
     * framing) is the same at every width.
     */
    public static BitAllocation forModelBytes(Sensitivity s, long budget, long configuredModelBytes) {
        long configuredWeights = s.layers().stream()
                .mapToLong(l -> l.weightBytes(l.configuredBits()))
                .sum();
        long rest = configuredModelBytes - configuredWeights;
        if (rest < 0) {
            throw new IllegalArgumentException("a model of " + configuredModelBytes + " bytes cannot hold its "
                    + configuredWeights + " bytes of weights");
        }
        try {
            return forWeightBytes(s, budget - rest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "model size budget " + budget + " bytes: " + rest + " bytes of the model are not weights, and "
                            + e.getMessage(),
                    e);
        }
    }

    /** Layer name -> weight bits, in the network's order. */
    public Map<String, Integer> widths() {
        return widths;
    }

    /** Bytes of the chosen weights in the int8 file. */
    public long weightBytes() {
        return weightBytes;
    }

    /** The summed loss increases of the chosen widths, as measured one layer at a time. */
    public double predictedLossIncrease() {
        return predictedLossIncrease;
    }

    /** Sets each layer's chosen width on {@code config} and returns it. */
    public QatConfig applyTo(QatConfig config) {
        widths.forEach(config::weightBits);
        return config;
    }
}

package io.github.qat4j.layers.analysis;

import io.github.qat4j.core.quant.QuantStats;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.QuantizerConfig;
import io.github.qat4j.layers.Tensors;
import io.github.qat4j.layers.WeightScales;
import io.github.qat4j.layers.prepare.Qat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How much each weight layer of a QAT network suffers at each candidate width: one layer at a time
 * is set to the width (its scales re-initialised from its weights by the configured rule, as
 * {@link Qat#prepare} does), every other quantizer kept as configured, and the network is evaluated
 * on a calibration set. The layer is restored afterwards. Per layer and width it records the loss
 * (mean cross-entropy of the output probabilities, which the networks here end in softmax), the
 * accuracy, and the SQNR of the layer's output against the float network on the first batch.
 *
 * <pre>{@code
 * Qat.calibrate(qat, trainIterator, 20);                   // activation ranges first
 * Sensitivity s = Sensitivity.of(qat, features, labels, 256, Sensitivity.WEIGHT_WIDTHS);
 * QatConfig mixed = BitAllocation.forWeightBytes(s, 190_000).applyTo(new QatConfig());
 * }</pre>
 */
public final class Sensitivity {
    /**
     * The candidate weight widths: every width the int8 format packs. With 8, 6, 4 and 2 alone, a
     * LeNet-5 budget one byte below its uniform 4-bit size could only be met by dropping a whole layer
     * two bits (the dense layer, 93% of the weights, to 2), and fine-tuned below uniform W4; with
     * one-bit steps a byte costs at most one bit of one layer (examples/README.md, mixed precision).
     */
    public static final List<Integer> WEIGHT_WIDTHS = List.of(8, 7, 6, 5, 4, 3, 2);

    /** Probabilities are clipped here before the logarithm, as DL4J's cross-entropy clips them. */
    private static final double MIN_PROBABILITY = 1e-10;

    /** One layer at one width: loss, accuracy, and the layer output's SQNR in dB. */
    public record Point(int bits, double loss, double accuracy, double sqnrDb) {}

    /**
     * One weight layer.
     *
     * @param weightCounts elements of each of its quantized weight tensors (the exporter writes each one)
     * @param configuredBits its width in the analysed network
     */
    public record LayerSensitivity(String layer, List<Long> weightCounts, int configuredBits, List<Point> points) {
        /** Bytes the int8 file stores for this layer's weights at {@code bits}. */
        public long weightBytes(int bits) {
            return weightCounts.stream()
                    .mapToLong(n -> Int8Model.weightBytes(bits, n))
                    .sum();
        }
    }

    private final double loss;
    private final double accuracy;
    private final List<LayerSensitivity> layers;

    private Sensitivity(double loss, double accuracy, List<LayerSensitivity> layers) {
        this.loss = loss;
        this.accuracy = accuracy;
        this.layers = List.copyOf(layers);
    }

    /** Loss of the network as configured, on the calibration set. */
    public double loss() {
        return loss;
    }

    public double accuracy() {
        return accuracy;
    }

    public List<LayerSensitivity> layers() {
        return layers;
    }

    /**
     * @param features the calibration inputs, {@code [n, ...]}
     * @param labels their classes
     * @param batchSize images per forward pass
     * @param widths the candidate weight widths, 2..8
     */
    public static Sensitivity of(
            MultiLayerNetwork qat, INDArray features, int[] labels, int batchSize, List<Integer> widths) {
        return analyse(
                qat.getLayers(),
                x -> qat.output(x, false),
                (x, quantize) -> QuantizationReport.mlnActivations(qat, x, quantize),
                features,
                labels,
                batchSize,
                widths);
    }

    /** {@link #of(MultiLayerNetwork, INDArray, int[], int, List)} for a graph with one input and output. */
    public static Sensitivity of(
            ComputationGraph qat, INDArray features, int[] labels, int batchSize, List<Integer> widths) {
        return analyse(
                qat.getLayers(),
                x -> qat.outputSingle(false, x),
                (x, quantize) -> QuantizationReport.graphActivations(qat, x, quantize),
                features,
                labels,
                batchSize,
                widths);
    }

    /**
     * The loss and accuracy on the calibration set with each layer in {@code widths} at its width (its
     * scales re-initialised as in the analysis), every other quantizer as configured: a configuration
     * measured directly, to check the knapsack's prediction (the sum of one-layer-at-a-time increases)
     * against. The network is restored afterwards.
     */
    public static Measurement measure(
            MultiLayerNetwork qat, INDArray features, int[] labels, int batchSize, Map<String, Integer> widths) {
        return measure(qat.getLayers(), x -> qat.output(x, false), features, labels, batchSize, widths);
    }

    /** {@link #measure(MultiLayerNetwork, INDArray, int[], int, Map)} for a graph with one input and output. */
    public static Measurement measure(
            ComputationGraph qat, INDArray features, int[] labels, int batchSize, Map<String, Integer> widths) {
        return measure(qat.getLayers(), x -> qat.outputSingle(false, x), features, labels, batchSize, widths);
    }

    /** Loss (mean cross-entropy) and accuracy of one configuration on the calibration set. */
    public record Measurement(double loss, double accuracy) {}

    private static Measurement measure(
            Layer[] layers,
            Function<INDArray, INDArray> output,
            INDArray features,
            int[] labels,
            int batchSize,
            Map<String, Integer> widths) {
        List<INDArray> batches = batches(features, labels, batchSize);
        Map<String, Layer> byName = new LinkedHashMap<>();
        weightLayers(layers).forEach(l -> byName.put(l.conf().getLayer().getLayerName(), l));
        if (!byName.keySet().containsAll(widths.keySet())) {
            throw new IllegalArgumentException(
                    "widths for " + widths.keySet() + " but the quantized weight layers are " + byName.keySet());
        }
        return atWidths(widths, byName, () -> {
            double[] e = evaluate(output, batches, labels);
            return new Measurement(e[0], e[1]);
        });
    }

    private interface Activations {
        /** Layer name -> {input, output}, with the quantizers on or off. */
        Map<String, INDArray[]> of(INDArray x, boolean quantize);
    }

    private static Sensitivity analyse(
            Layer[] layers,
            Function<INDArray, INDArray> output,
            Activations activations,
            INDArray features,
            int[] labels,
            int batchSize,
            List<Integer> widths) {
        List<INDArray> batches = batches(features, labels, batchSize);
        widths.forEach(b -> QuantizerConfig.weights(b)); // validates each width
        Map<String, INDArray[]> reference = activations.of(batches.get(0), false);
        double[] base = evaluate(output, batches, labels);
        List<LayerSensitivity> out = new ArrayList<>();
        for (Layer l : weightLayers(layers)) {
            QatWeightLayer conf = (QatWeightLayer) l.conf().getLayer();
            String name = l.conf().getLayer().getLayerName();
            Map<String, INDArray> params = l.paramTable();
            List<Long> counts = conf.quantizedWeights().stream()
                    .map(t -> params.get(t.key()).length())
                    .toList();
            List<Point> points = new ArrayList<>();
            for (int bits : widths) {
                points.add(atWidths(Map.of(name, bits), Map.of(name, l), () -> {
                    double[] e = evaluate(output, batches, labels);
                    INDArray layerOut = activations.of(batches.get(0), true).get(name)[1];
                    double sqnr =
                            QuantStats.sqnrDb(Tensors.toFloats(reference.get(name)[1]), Tensors.toFloats(layerOut));
                    return new Point(bits, e[0], e[1], sqnr);
                }));
            }
            out.add(new LayerSensitivity(name, counts, conf.getWeightQuant().getBits(), points));
        }
        return new Sensitivity(base[0], base[1], out);
    }

    /** The layers whose weights are quantized, in the network's order. */
    private static List<Layer> weightLayers(Layer[] layers) {
        return Arrays.stream(layers)
                .filter(l -> l.conf().getLayer() instanceof QatWeightLayer conf
                        && conf.getWeightQuant().isEnabled())
                .toList();
    }

    /** The calibration inputs in batches of {@code batchSize}, checked against the labels. */
    private static List<INDArray> batches(INDArray features, int[] labels, int batchSize) {
        if (features.size(0) != labels.length || labels.length == 0) {
            throw new IllegalArgumentException("calibration set: " + features.size(0) + " inputs and " + labels.length
                    + " labels; it needs as many of each, at least one");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        List<INDArray> batches = new ArrayList<>();
        for (long from = 0; from < labels.length; from += batchSize) {
            batches.add(features.get(NDArrayIndex.interval(from, Math.min(from + batchSize, labels.length))));
        }
        return batches;
    }

    /**
     * {@code body}'s result with each named layer at its width, its weight scales re-initialised from
     * its weights for that width as {@link Qat#prepare} does; widths and scales are restored afterwards.
     */
    private static <T> T atWidths(Map<String, Integer> widths, Map<String, Layer> layers, Supplier<T> body) {
        List<Runnable> restore = new ArrayList<>();
        try {
            widths.forEach((name, bits) -> {
                QatWeightLayer conf = (QatWeightLayer) layers.get(name).conf().getLayer();
                Map<String, INDArray> params = layers.get(name).paramTable();
                int configured = conf.getWeightQuant().getBits();
                restore.add(() -> conf.getWeightQuant().setBits(configured));
                for (QatWeightLayer.QuantizedWeight t : conf.quantizedWeights()) {
                    INDArray scale = params.get(t.scaleKey());
                    INDArray saved = scale.dup();
                    restore.add(() -> scale.assign(saved));
                }
                conf.getWeightQuant().setBits(bits);
                WeightScales.reset(conf, params);
            });
            return body.get();
        } finally {
            restore.forEach(Runnable::run);
        }
    }

    /** {mean cross-entropy, accuracy} over the batches. */
    private static double[] evaluate(Function<INDArray, INDArray> output, List<INDArray> batches, int[] labels) {
        double loss = 0;
        int correct = 0;
        int i = 0;
        for (INDArray batch : batches) {
            float[][] p = output.apply(batch).toFloatMatrix();
            for (float[] row : p) {
                int label = labels[i++];
                loss -= Math.log(Math.max(row[label], MIN_PROBABILITY));
                int best = 0;
                for (int c = 1; c < row.length; c++) {
                    if (row[c] > row[best]) {
                        best = c;
                    }
                }
                correct += best == label ? 1 : 0;
            }
        }
        return new double[] {loss / labels.length, (double) correct / labels.length};
    }
}

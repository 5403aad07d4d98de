package io.github.qat4j.layers;

import io.github.qat4j.core.quant.QuantStats;
import io.github.qat4j.core.runtime.Int8Model;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

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
    /** The candidate weight widths of issue 16 (HAWQ and its successors search the same set). */
    public static final List<Integer> WEIGHT_WIDTHS = List.of(8, 6, 4, 2);

    /** Probabilities are clipped here before the logarithm, as DL4J's cross-entropy clips them. */
    private static final double MIN_PROBABILITY = 1e-10;

    /** One layer at one width: loss, accuracy, and the layer output's SQNR in dB. */
    public record Point(int bits, double loss, double accuracy, double sqnrDb) {
    }

    /**
     * One weight layer.
     *
     * @param weightCounts elements of each of its quantized weight tensors (the exporter writes each one)
     * @param configuredBits its width in the analysed network
     */
    public record LayerSensitivity(String layer, List<Long> weightCounts, int configuredBits, List<Point> points) {
        /** Bytes the int8 file stores for this layer's weights at {@code bits}. */
        public long weightBytes(int bits) {
            return weightCounts.stream().mapToLong(n -> Int8Model.weightBytes(bits, n)).sum();
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
    public static Sensitivity of(MultiLayerNetwork qat, INDArray features, int[] labels, int batchSize,
                                 List<Integer> widths) {
        return analyse(qat.getLayers(), x -> qat.output(x, false),
                (x, quantize) -> QuantizationReport.mlnActivations(qat, x, quantize), features, labels, batchSize, widths);
    }

    /** {@link #of(MultiLayerNetwork, INDArray, int[], int, List)} for a graph with one input and output. */
    public static Sensitivity of(ComputationGraph qat, INDArray features, int[] labels, int batchSize,
                                 List<Integer> widths) {
        return analyse(qat.getLayers(), x -> qat.outputSingle(false, x),
                (x, quantize) -> QuantizationReport.graphActivations(qat, x, quantize), features, labels, batchSize,
                widths);
    }

    private interface Activations {
        /** Layer name -> {input, output}, with the quantizers on or off. */
        Map<String, INDArray[]> of(INDArray x, boolean quantize);
    }

    private static Sensitivity analyse(Layer[] layers, Function<INDArray, INDArray> output, Activations activations,
                                       INDArray features, int[] labels, int batchSize, List<Integer> widths) {
        if (features.size(0) != labels.length || labels.length == 0) {
            throw new IllegalArgumentException("calibration set: " + features.size(0) + " inputs and "
                    + labels.length + " labels; it needs as many of each, at least one");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        widths.forEach(b -> QuantizerConfig.weights(b)); // validates each width
        List<INDArray> batches = new ArrayList<>();
        for (long from = 0; from < labels.length; from += batchSize) {
            batches.add(features.get(NDArrayIndex.interval(from, Math.min(from + batchSize, labels.length))));
        }
        Map<String, INDArray[]> reference = activations.of(batches.get(0), false);
        double[] base = evaluate(output, batches, labels);
        List<LayerSensitivity> out = new ArrayList<>();
        for (Layer l : layers) {
            if (!(l.conf().getLayer() instanceof QatWeightLayer conf) || !conf.getWeightQuant().isEnabled()) {
                continue;
            }
            String name = l.conf().getLayer().getLayerName();
            QuantizerConfig quant = conf.getWeightQuant();
            int configured = quant.getBits();
            List<Long> counts = new ArrayList<>();
            Map<String, INDArray> params = l.paramTable();
            Map<String, INDArray> savedScales = new LinkedHashMap<>();
            for (QatWeightLayer.QuantizedWeight t : conf.quantizedWeights()) {
                counts.add(params.get(t.key()).length());
                savedScales.put(t.scaleKey(), params.get(t.scaleKey()).dup());
            }
            List<Point> points = new ArrayList<>();
            try {
                for (int bits : widths) {
                    quant.setBits(bits);
                    WeightScales.reset(conf, params);
                    double[] e = evaluate(output, batches, labels);
                    INDArray layerOut = activations.of(batches.get(0), true).get(name)[1];
                    double sqnr = QuantStats.sqnrDb(Tensors.toFloats(reference.get(name)[1]), Tensors.toFloats(layerOut));
                    points.add(new Point(bits, e[0], e[1], sqnr));
                }
            } finally {
                quant.setBits(configured);
                savedScales.forEach((key, scale) -> params.get(key).assign(scale));
            }
            out.add(new LayerSensitivity(name, counts, configured, points));
        }
        return new Sensitivity(base[0], base[1], out);
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

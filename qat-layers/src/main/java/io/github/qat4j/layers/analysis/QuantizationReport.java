package io.github.qat4j.layers.analysis;

import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.core.quant.QuantStats;
import io.github.qat4j.layers.ExportedWeights;
import io.github.qat4j.layers.FakeQuantLayer;
import io.github.qat4j.layers.FoldsBatchNorm;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.QuantizerConfig;
import io.github.qat4j.layers.Tensors;
import io.github.qat4j.layers.WeightScales;
import io.github.qat4j.layers.prepare.Qat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What quantization does to each layer of a QAT network on one batch: bit width, the learned scales
 * (min / median / max), the fraction of values clipped by them, and the signal-to-quantization-noise
 * ratio between the layer's output with every quantizer off (the float network) and on.
 *
 * <pre>{@code
 * QuantizationReport report = QuantizationReport.of(qatNet, testBatchFeatures);
 * System.out.println(report);                 // one line per quantizer
 * }</pre>
 */
public final class QuantizationReport {
    /**
     * One quantizer: the weights of a layer, or an activation quantizer.
     *
     * @param sqnrDb output of the layer, float network vs fake-quantized network, in dB (higher is better)
     * @param collapsedScales learned scales that fell to the floor {@link QuantSpec#MIN_SCALE}: every value
     *     they quantize clips to at most {@code qmax * MIN_SCALE}, so a weight channel's output is its
     *     bias alone, and with the weights' STE gradient zero there it stays that way
     */
    public record Entry(
            String layer,
            String tensor,
            int bits,
            double scaleMin,
            double scaleMedian,
            double scaleMax,
            double clippedFraction,
            double sqnrDb,
            int collapsedScales) {}

    private final List<Entry> entries;

    private QuantizationReport(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    public static QuantizationReport of(MultiLayerNetwork net, INDArray batch) {
        Layer[] layers = net.getLayers();
        Map<String, INDArray[]> quantized = mlnActivations(net, batch, true);
        Map<String, INDArray[]> reference = mlnActivations(net, batch, false);
        return build(layers, quantized, reference);
    }

    public static QuantizationReport of(ComputationGraph graph, INDArray batch) {
        Map<String, INDArray[]> quantized = graphActivations(graph, batch, true);
        Map<String, INDArray[]> reference = graphActivations(graph, batch, false);
        return build(graph.getLayers(), quantized, reference);
    }

    private static QuantizationReport build(
            Layer[] layers, Map<String, INDArray[]> quantized, Map<String, INDArray[]> reference) {
        List<Entry> out = new ArrayList<>();
        for (Layer l : layers) {
            var conf = l.conf().getLayer();
            String name = conf.getLayerName();
            INDArray[] q = quantized.get(name);
            if (q == null) {
                continue;
            }
            double sqnr = QuantStats.sqnrDb(Tensors.toFloats(reference.get(name)[1]), Tensors.toFloats(q[1]));
            if (conf instanceof QatWeightLayer) {
                for (QatWeightLayer.QuantizedWeight t : ((QatWeightLayer) conf).quantizedWeights()) {
                    // A folded layer quantizes W times its BatchNorm factor, not W itself.
                    INDArray weights = conf instanceof FoldsBatchNorm
                            ? ExportedWeights.of(l).weight()
                            : l.getParam(t.key());
                    WeightScales.View v = WeightScales.view(t, weights);
                    float[] scales = Tensors.toFloats(l.getParam(t.scaleKey()));
                    out.add(entry(
                            name,
                            t.key().equals("W") ? "weights" : "weights " + t.key(),
                            v.spec,
                            scales,
                            QuantStats.clippedFraction(
                                    Tensors.toFloats(weights),
                                    scales,
                                    new int[v.channels],
                                    v.spec.qmin(),
                                    v.spec.qmax(),
                                    v.channels,
                                    v.inner),
                            sqnr));
                }
            } else if (conf instanceof FakeQuantLayer) {
                QuantSpec spec = ((FakeQuantLayer) conf).getQuant().spec(-1);
                float[] scale = {l.getParam(FakeQuantLayer.SCALE).getFloat(0)};
                float[] in = Tensors.toFloats(q[0]);
                int[] zeroPoint = {(int) l.getParam(FakeQuantLayer.ZERO_POINT).getDouble(0)};
                out.add(entry(
                        name,
                        "activations",
                        spec,
                        scale,
                        QuantStats.clippedFraction(in, scale, zeroPoint, spec.qmin(), spec.qmax(), 1, in.length),
                        sqnr));
            }
        }
        return new QuantizationReport(out);
    }

    private static Entry entry(
            String layer, String tensor, QuantSpec spec, float[] scales, double clipped, double sqnr) {
        QuantStats.Summary s = QuantStats.summary(scales);
        int collapsed = 0;
        for (float scale : scales) {
            if (scale <= QuantSpec.MIN_SCALE) {
                collapsed++;
            }
        }
        return new Entry(layer, tensor, spec.bits(), s.min(), s.median(), s.max(), clipped, sqnr, collapsed);
    }

    /** Layer name -> {input, output} with every quantizer on or off (restored afterwards). */
    static Map<String, INDArray[]> mlnActivations(MultiLayerNetwork net, INDArray batch, boolean quantize) {
        List<INDArray> acts = withQuantizers(net.getLayers(), quantize, () -> net.feedForward(batch, false));
        Map<String, INDArray[]> m = new LinkedHashMap<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            m.put(net.getLayer(i).conf().getLayer().getLayerName(), new INDArray[] {acts.get(i), acts.get(i + 1)});
        }
        return m;
    }

    static Map<String, INDArray[]> graphActivations(ComputationGraph graph, INDArray batch, boolean quantize) {
        Map<String, INDArray> acts = withQuantizers(graph.getLayers(), quantize, () -> graph.feedForward(batch, false));
        Map<String, INDArray[]> m = new LinkedHashMap<>();
        for (Layer l : graph.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            List<String> inputs = graph.getConfiguration().getVertexInputs().get(name);
            m.put(name, new INDArray[] {acts.get(inputs.get(0)), acts.get(name)});
        }
        return m;
    }

    private static <T> T withQuantizers(Layer[] layers, boolean enabled, Supplier<T> pass) {
        List<QuantizerConfig> quantizers = Qat.quantizers(layers);
        boolean[] saved = new boolean[quantizers.size()];
        for (int i = 0; i < saved.length; i++) {
            saved[i] = quantizers.get(i).isEnabled();
            quantizers.get(i).setEnabled(enabled && saved[i]);
        }
        try {
            return pass.get();
        } finally {
            for (int i = 0; i < saved.length; i++) {
                quantizers.get(i).setEnabled(saved[i]);
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(String.format(
                Locale.ROOT,
                "%-20s %-11s %4s %10s %10s %10s %8s %8s %9s%n",
                "layer",
                "tensor",
                "bits",
                "scale min",
                "median",
                "max",
                "clipped",
                "SQNR dB",
                "collapsed"));
        for (Entry e : entries) {
            b.append(String.format(
                    Locale.ROOT,
                    "%-20s %-11s %4d %10.3g %10.3g %10.3g %7.3f%% %8.1f %9d%n",
                    e.layer(),
                    e.tensor(),
                    e.bits(),
                    e.scaleMin(),
                    e.scaleMedian(),
                    e.scaleMax(),
                    100 * e.clippedFraction(),
                    e.sqnrDb(),
                    e.collapsedScales()));
        }
        return b.toString();
    }
}

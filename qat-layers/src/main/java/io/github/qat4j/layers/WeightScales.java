package io.github.qat4j.layers;

import io.github.qat4j.core.quant.FakeQuant;
import io.github.qat4j.core.quant.QuantSpec;
import io.github.qat4j.layers.QatWeightLayer.QuantizedWeight;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Fake quantization of a layer's weight tensors with their (per output channel) scales: the glue
 * between a DL4J weight array and qat-core's {@link FakeQuant}, shared by every QAT weight layer.
 * The overloads taking a {@link QatWeightLayer} act on its weight {@code W}.
 */
public final class WeightScales {
    private WeightScales() {}

    /** Scales from the weights by the configured rule ({@code max|w|} or LSQ's initialisation). */
    static INDArray initial(QuantizedWeight t, INDArray w) {
        View v = view(t, w);
        float[] x = Tensors.toFloats(w);
        float[] s = t.quant().getScaleInit() == QuantizerConfig.ScaleInit.LSQ
                ? FakeQuant.lsqInitialScale(x, v.channels, v.inner, v.spec.qmax())
                : FakeQuant.maxAbsScale(x, v.channels, v.inner, v.spec.qmax());
        return Tensors.detached(s, new long[] {s.length}, w.dataType());
    }

    /**
     * Sets every weight scale of a layer from the tensor its forward pass quantizes: the weight
     * itself, or the BatchNorm-folded weight of a layer that folds one.
     */
    public static void reset(QatWeightLayer layer, Map<String, INDArray> params) {
        for (QuantizedWeight t : layer.quantizedWeights()) {
            INDArray w = layer instanceof FoldsBatchNorm
                    ? BatchNormFold.weight(t, params, ((FoldsBatchNorm) layer).getBatchNorm())
                    : params.get(t.key());
            params.get(t.scaleKey()).assign(initial(t, w));
        }
    }

    /**
     * The weights the forward pass uses. In the observe stage of training the scales are first reset
     * from the current weights, so they follow the weights until learning starts.
     */
    static INDArray forward(
            QuantizedWeight t, INDArray w, INDArray scale, long iteration, boolean training, Tensors.Copies copies) {
        QuantizerConfig q = t.quant();
        if (!q.isEnabled()) {
            return w;
        }
        if (training && q.stage(iteration) == QuantizerConfig.Stage.OBSERVE) {
            scale.assign(initial(t, w));
        }
        // An SGD step can push a learned scale to zero or below; PyTorch's LSQ clamps the same way.
        Transforms.max(scale, QuantSpec.MIN_SCALE, false);
        View v = view(t, w);
        int[] order = channelsFirst(t, w);
        INDArray wc = w.permute(order);
        float[] x = copies.floats(t.key(), wc);
        FakeQuant.forward(
                x,
                x,
                scale.toFloatVector(),
                new int[v.channels],
                v.spec.qmin(),
                v.spec.qmax(),
                v.channels,
                x.length / v.channels);
        return Tensors.detached(x, wc).permute(inverse(order));
    }

    /**
     * Turns {@code gradW}, which on entry holds dL/d(fake-quantized W), into the straight-through
     * gradient of W, and writes the LSQ gradient of the scales into {@code gradScale} (zero outside
     * the learn stage).
     */
    static void backward(
            QuantizedWeight t,
            INDArray w,
            INDArray scale,
            INDArray gradW,
            INDArray gradScale,
            long iteration,
            Tensors.Copies copies) {
        QuantizerConfig q = t.quant();
        if (!q.isEnabled()) {
            gradScale.assign(0);
            return;
        }
        View v = view(t, w);
        int[] order = channelsFirst(t, w);
        float[] x = copies.floats(t.key(), w.permute(order));
        INDArray gradWc = gradW.permute(order);
        float[] g = copies.floats(t.key() + " gradient", gradWc);
        float[] gs = new float[v.channels];
        FakeQuant.backward(
                x,
                g,
                scale.toFloatVector(),
                new int[v.channels],
                v.spec.qmin(),
                v.spec.qmax(),
                v.channels,
                x.length / v.channels,
                g,
                gs,
                FakeQuant.lsqGradScale(x.length / v.channels, v.spec.qmax()));
        gradW.assign(Tensors.detached(g, gradWc).permute(inverse(order)));
        if (q.stage(iteration) == QuantizerConfig.Stage.LEARN) {
            gradScale.assign(Tensors.detached(gs, gradScale));
        } else {
            gradScale.assign(0);
        }
    }

    /**
     * The axis order that puts the channel axes of {@code w} first, so that {@link FakeQuant} sees one
     * block of {@code length / channels} elements per scale. As stored, a dense layer's {@code [nIn, nOut]}
     * weights have blocks of one element, and loops that short stay scalar (they also teach the JIT
     * that FakeQuant's loops are short, and it then leaves the long ones scalar too).
     */
    private static int[] channelsFirst(QuantizedWeight t, INDArray w) {
        boolean perChannel = t.quant().isPerChannel();
        int[] order = new int[w.rank()];
        int n = 0;
        for (int a = perChannel ? t.firstChannelAxis() : 0; perChannel && a <= t.lastChannelAxis(); a++) {
            order[n++] = a;
        }
        for (int a = 0; a < order.length; a++) {
            if (!perChannel || a < t.firstChannelAxis() || a > t.lastChannelAxis()) {
                order[n++] = a;
            }
        }
        return order;
    }

    private static int[] inverse(int[] order) {
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            inverse[order[i]] = i;
        }
        return inverse;
    }

    public static View view(QatWeightLayer layer, INDArray w) {
        return view(layer.quantizedWeights().get(0), w);
    }

    /** The [outer][channels][inner] view of a weight tensor that groups its elements by scale. */
    public static View view(QuantizedWeight t, INDArray w) {
        QuantizerConfig q = t.quant();
        if (!q.isPerChannel()) {
            return new View(q.spec(-1), 1, Math.toIntExact(w.length()));
        }
        long[] shape = w.shape();
        return new View(
                q.spec(t.firstChannelAxis()),
                Tensors.product(shape, t.firstChannelAxis(), t.lastChannelAxis()),
                Tensors.product(shape, t.lastChannelAxis() + 1, shape.length - 1));
    }

    public static final class View {
        public final QuantSpec spec;
        public final int channels;
        public final int inner;

        View(QuantSpec spec, int channels, int inner) {
            this.spec = spec;
            this.channels = channels;
            this.inner = inner;
        }
    }
}

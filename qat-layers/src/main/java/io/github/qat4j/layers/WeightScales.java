package io.github.qat4j.layers;

import io.github.qat4j.core.quant.FakeQuant;
import io.github.qat4j.core.quant.QuantSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Fake quantization of a layer's weight tensor with its (per output channel) scales: the glue between
 * a DL4J weight array and qat-core's {@link FakeQuant}, shared by every QAT weight layer.
 */
final class WeightScales {
    private WeightScales() {
    }

    /** Scales from the weights by the configured rule ({@code max|w|} or LSQ's initialisation). */
    static INDArray initial(QatWeightLayer layer, INDArray w) {
        View v = view(layer, w);
        float[] x = Tensors.toFloats(w);
        float[] s = layer.getWeightQuant().getScaleInit() == QuantizerConfig.ScaleInit.LSQ
                ? FakeQuant.lsqInitialScale(x, v.channels, v.inner, v.spec.qmax())
                : FakeQuant.maxAbsScale(x, v.channels, v.inner, v.spec.qmax());
        return Tensors.detached(s, new long[] {s.length}, w.dataType());
    }

    /**
     * The weights the forward pass uses. In the observe stage of training the scales are first reset
     * from the current weights, so they follow the weights until learning starts.
     */
    static INDArray forward(QatWeightLayer layer, INDArray w, INDArray scale, long iteration, boolean training) {
        QuantizerConfig q = layer.getWeightQuant();
        if (!q.isEnabled()) {
            return w;
        }
        if (training && q.stage(iteration) == QuantizerConfig.Stage.OBSERVE) {
            scale.assign(initial(layer, w));
        }
        // An SGD step can push a learned scale to zero or below; PyTorch's LSQ clamps the same way.
        Transforms.max(scale, QuantSpec.MIN_SCALE, false);
        View v = view(layer, w);
        float[] x = Tensors.toFloats(w);
        FakeQuant.forward(x, x, scale.toFloatVector(), new int[v.channels], v.spec.qmin(), v.spec.qmax(),
                v.channels, v.inner);
        return Tensors.detached(x, w);
    }

    /**
     * Turns {@code gradW}, which on entry holds dL/d(fake-quantized W), into the straight-through
     * gradient of W, and writes the LSQ gradient of the scales into {@code gradScale} (zero outside
     * the learn stage).
     */
    static void backward(QatWeightLayer layer, INDArray w, INDArray scale, INDArray gradW, INDArray gradScale,
                         long iteration) {
        QuantizerConfig q = layer.getWeightQuant();
        if (!q.isEnabled()) {
            gradScale.assign(0);
            return;
        }
        View v = view(layer, w);
        float[] x = Tensors.toFloats(w);
        float[] g = Tensors.toFloats(gradW);
        float[] gs = new float[v.channels];
        FakeQuant.backward(x, g, scale.toFloatVector(), new int[v.channels], v.spec.qmin(), v.spec.qmax(),
                v.channels, v.inner, g, gs, FakeQuant.lsqGradScale(x.length / v.channels, v.spec.qmax()));
        gradW.assign(Tensors.detached(g, gradW));
        if (q.stage(iteration) == QuantizerConfig.Stage.LEARN) {
            gradScale.assign(Tensors.detached(gs, gradScale));
        } else {
            gradScale.assign(0);
        }
    }

    /** The [outer][channels][inner] view of W that groups elements by output channel. */
    static View view(QatWeightLayer layer, INDArray w) {
        QuantizerConfig q = layer.getWeightQuant();
        long[] shape = w.shape();
        if (!q.isPerChannel()) {
            return new View(q.spec(-1), 1, Math.toIntExact(w.length()));
        }
        int[] axes = layer.weightChannelAxes();
        return new View(q.spec(axes[0]), Tensors.product(shape, axes[0], axes[1]),
                Tensors.product(shape, axes[1] + 1, shape.length - 1));
    }

    static final class View {
        final QuantSpec spec;
        final int channels;
        final int inner;

        View(QuantSpec spec, int channels, int inner) {
            this.spec = spec;
            this.channels = channels;
            this.inner = inner;
        }
    }
}

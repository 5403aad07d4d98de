package io.github.qat4j.layers;

import io.github.qat4j.layers.QatWeightLayer.QuantizedWeight;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the implementation of every QAT weight layer adds to DL4J's: each of its
 * {@link QatWeightLayer#quantizedWeights()} fake-quantized on the way in, and on the way out the
 * straight-through gradient of the weight and the LSQ gradient of its scales ({@link WeightScales}).
 * One per layer instance, which holds the layer's tensor copies; the layer delegates its
 * {@code getParamWithNoise} and {@code backpropGradient} here.
 */
final class FakeQuantWeights {
    private final Tensors.Copies copies = new Tensors.Copies();

    /** {@code p}, the parameter {@code key} as DL4J uses it, fake-quantized if it is a quantized weight. */
    INDArray forward(Layer layer, String key, INDArray p, boolean training) {
        for (QuantizedWeight t : quantizedWeights(layer)) {
            if (t.key().equals(key)) {
                return WeightScales.forward(
                        t, p, layer.getParam(t.scaleKey()), layer.getIterationCount(), training, copies);
            }
        }
        return p;
    }

    /**
     * Turns DL4J's backward pass, whose weight gradients are those of the fake-quantized weights, into
     * the gradients of the weights and of their scales.
     */
    Pair<Gradient, INDArray> backward(
            Layer layer, Map<String, INDArray> gradientViews, Pair<Gradient, INDArray> result) {
        for (QuantizedWeight t : quantizedWeights(layer)) {
            INDArray gradScale = gradientViews.get(t.scaleKey());
            WeightScales.backward(
                    t,
                    layer.getParam(t.key()),
                    layer.getParam(t.scaleKey()),
                    gradientViews.get(t.key()),
                    gradScale,
                    layer.getIterationCount(),
                    copies);
            result.getFirst().gradientForVariable().put(t.scaleKey(), gradScale);
        }
        return result;
    }

    private static Iterable<QuantizedWeight> quantizedWeights(Layer layer) {
        return ((QatWeightLayer) layer.conf().getLayer()).quantizedWeights();
    }
}

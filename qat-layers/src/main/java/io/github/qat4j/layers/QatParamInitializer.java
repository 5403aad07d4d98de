package io.github.qat4j.layers;

import io.github.qat4j.layers.QatWeightLayer.QuantizedWeight;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The parameters of a float layer followed by the scales of each of its quantized weights and, for a
 * layer that folds a BatchNorm, the BatchNorm's {@link BatchNormFold#KEYS}: DL4J's own initializer lays
 * out {@code W} and {@code b} exactly as in the float layer, so float checkpoints map one to one. The
 * scales are initialised from the initialised weights (folded with the initial BatchNorm, the identity
 * up to eps: gamma 1, beta 0, mean 0, variance 1).
 */
final class QatParamInitializer implements ParamInitializer {
    private final ParamInitializer base;

    QatParamInitializer(ParamInitializer base) {
        this.base = base;
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        long n = base.numParams(layer);
        for (QuantizedWeight t : ((QatWeightLayer) layer).quantizedWeights()) {
            n += t.scaleCount();
        }
        return n + batchNormKeys(layer).size() * ((QatWeightLayer) layer).weightChannels();
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        List<String> keys = new ArrayList<>(base.paramKeys(layer));
        for (QuantizedWeight t : ((QatWeightLayer) layer).quantizedWeights()) {
            keys.add(t.scaleKey());
        }
        keys.addAll(batchNormKeys(layer));
        return keys;
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return base.weightKeys(layer);
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return base.biasKeys(layer);
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return base.isWeightParam(layer, key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return base.isBiasParam(layer, key);
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        INDArray flat = paramsView.reshape(paramsView.length());
        long baseCount = base.numParams(conf);
        Map<String, INDArray> params =
                new LinkedHashMap<>(base.init(conf, flat.get(NDArrayIndex.interval(0, baseCount)), initializeParams));
        Map<String, INDArray> extra = extra(conf, flat, baseCount);
        extra.keySet().forEach(conf::addVariable);
        params.putAll(extra);
        if (initializeParams) {
            for (String key : batchNormKeys(conf.getLayer())) {
                params.get(key).assign(BatchNormFold.GAMMA.equals(key) || BatchNormFold.VAR.equals(key) ? 1 : 0);
            }
            WeightScales.reset((QatWeightLayer) conf.getLayer(), params);
        }
        return params;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        INDArray flat = gradientView.reshape(gradientView.length());
        long baseCount = base.numParams(conf);
        Map<String, INDArray> grads = new LinkedHashMap<>(
                base.getGradientsFromFlattened(conf, flat.get(NDArrayIndex.interval(0, baseCount))));
        grads.putAll(extra(conf, flat, baseCount));
        return grads;
    }

    /** Views of the parameters after the float layer's, in {@link #paramKeys} order. */
    private static Map<String, INDArray> extra(NeuralNetConfiguration conf, INDArray flat, long from) {
        QatWeightLayer layer = (QatWeightLayer) conf.getLayer();
        Map<String, INDArray> views = new LinkedHashMap<>();
        long at = from;
        for (QuantizedWeight t : layer.quantizedWeights()) {
            views.put(t.scaleKey(), flat.get(NDArrayIndex.interval(at, at + t.scaleCount())));
            at += t.scaleCount();
        }
        for (String key : batchNormKeys(layer)) {
            views.put(key, flat.get(NDArrayIndex.interval(at, at + layer.weightChannels())));
            at += layer.weightChannels();
        }
        return views;
    }

    private static List<String> batchNormKeys(Object layer) {
        return layer instanceof FoldsBatchNorm ? BatchNormFold.KEYS : List.of();
    }
}

package io.github.qat4j.layers;

import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a float layer followed by its weight scales: DL4J's own initializer lays out
 * {@code W} and {@code b} exactly as in the float layer, so float checkpoints map one to one, and the
 * scales ({@link QatWeightLayer#SCALE_KEY}) come last, initialised from the initialised weights.
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
        return base.numParams(layer) + ((QatWeightLayer) layer).weightScaleCount();
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        List<String> keys = new ArrayList<>(base.paramKeys(layer));
        keys.add(QatWeightLayer.SCALE_KEY);
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
        Map<String, INDArray> params = new LinkedHashMap<>(
                base.init(conf, flat.get(NDArrayIndex.interval(0, baseCount)), initializeParams));
        INDArray scale = flat.get(NDArrayIndex.interval(baseCount, flat.length()));
        if (initializeParams) {
            QatWeightLayer layer = (QatWeightLayer) conf.getLayer();
            scale.assign(WeightScales.initial(layer, params.get("W")));
        }
        params.put(QatWeightLayer.SCALE_KEY, scale);
        conf.addVariable(QatWeightLayer.SCALE_KEY);
        return params;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        INDArray flat = gradientView.reshape(gradientView.length());
        long baseCount = base.numParams(conf);
        Map<String, INDArray> grads = new LinkedHashMap<>(
                base.getGradientsFromFlattened(conf, flat.get(NDArrayIndex.interval(0, baseCount))));
        grads.put(QatWeightLayer.SCALE_KEY, flat.get(NDArrayIndex.interval(baseCount, flat.length())));
        return grads;
    }
}

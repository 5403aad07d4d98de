package io.github.qat4j.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What every QAT layer configuration does the same way when DL4J instantiates it. */
public final class QatLayers {
    private QatLayers() {}

    static <L extends BaseLayer<?>> L wire(
            L layer,
            NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners,
            int index,
            INDArray paramsView,
            boolean initializeParams) {
        layer.setListeners(listeners);
        layer.setIndex(index);
        layer.setParamsViewArray(paramsView);
        layer.setParamTable(conf.getLayer().initializer().init(conf, paramsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    public static String name(TrainingConfig layer) {
        return layer.getLayerName() == null ? "(unnamed)" : "\"" + layer.getLayerName() + "\"";
    }
}

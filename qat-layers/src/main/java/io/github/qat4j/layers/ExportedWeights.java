package io.github.qat4j.layers;

import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weights, bias and weight scales of a trained QAT layer exactly as its forward pass quantizes
 * them (with any BatchNorm already folded in): what an exporter writes out.
 *
 * @param weight the float weights that are fake-quantized, in DL4J's layout for the layer
 * @param bias   the float bias added after the convolution or matrix product (zeros if the layer has none)
 * @param scale  the weight scales, one per output channel or one for the tensor
 */
record ExportedWeights(INDArray weight, INDArray bias, INDArray scale) {
    static ExportedWeights of(Layer layer) {
        QatWeightLayer conf = (QatWeightLayer) layer.conf().getLayer();
        INDArray w = layer.getParam("W");
        INDArray b = layer.getParam("b");
        long channels = conf.weightChannels();
        INDArray bias = b == null ? Nd4j.zeros(w.dataType(), channels) : b.dup().reshape(channels);
        return new ExportedWeights(w.dup(), bias, layer.getParam(QatWeightLayer.SCALE_KEY).dup());
    }
}

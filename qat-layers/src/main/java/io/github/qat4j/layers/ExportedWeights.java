package io.github.qat4j.layers;

import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weights, bias and weight scales of a trained QAT layer exactly as its forward pass quantizes
 * them (with any BatchNorm already folded in, by the same {@link BatchNormFold} the forward pass
 * uses): what an exporter writes out.
 *
 * @param weight the float weights that are fake-quantized, in DL4J's layout for the layer
 * @param bias   the float bias added after the convolution or matrix product (zeros if the layer has none)
 * @param scale  the weight scales, one per output channel or one for the tensor
 */
public record ExportedWeights(INDArray weight, INDArray bias, INDArray scale) {
    /**
     * @throws IllegalArgumentException for a layer with more than one quantized weight tensor (a
     *     separable convolution), which exports as two layers
     */
    public static ExportedWeights of(Layer layer) {
        QatWeightLayer conf = (QatWeightLayer) layer.conf().getLayer();
        if (conf.quantizedWeights().size() != 1) {
            throw new IllegalArgumentException(QatLayers.name(layer.conf().getLayer()) + " has "
                    + conf.quantizedWeights().size() + " quantized weight tensors; export it as a depthwise and a "
                    + "pointwise convolution");
        }
        Map<String, INDArray> params = layer.paramTable();
        INDArray scale = layer.getParam(QatWeightLayer.SCALE_KEY).dup();
        if (conf instanceof FoldsBatchNorm) {
            BatchNormConfig bn = ((FoldsBatchNorm) conf).getBatchNorm();
            INDArray k = BatchNormFold.factor(params, bn);
            return new ExportedWeights(
                    BatchNormFold.weight(conf.quantizedWeights().get(0), params.get("W"), k),
                    BatchNormFold.bias(params, k),
                    scale);
        }
        INDArray w = layer.getParam("W");
        INDArray b = layer.getParam("b");
        long channels = conf.weightChannels();
        INDArray bias = b == null ? Nd4j.zeros(w.dataType(), channels) : b.dup().reshape(channels);
        return new ExportedWeights(w.dup(), bias, scale);
    }
}

package io.github.qat4j.layers;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.SeparableConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * QAT version of DL4J's {@link SeparableConvolution2D}: a depthwise convolution with W
 * [depthMultiplier, nIn, kH, kW] then a pointwise one with pW [nOut, nIn * depthMultiplier, 1, 1],
 * each fake-quantized per output channel with its own learned scales ({@link #SCALE_KEY} for W, in
 * W's (multiplier, input channel) order, and {@link #POINTWISE_SCALE_KEY} for pW).
 * Build one from a float configuration with {@code Qat.quantize}.
 */
public class QatSeparableConvolution2D extends SeparableConvolution2D implements QatWeightLayer {
    /** Parameter key of the pointwise weight scales. */
    public static final String POINTWISE_SCALE_KEY = "pWs";

    private QuantizerConfig weightQuant = QuantizerConfig.weights(8);

    /** For JSON deserialization; use {@code Qat.quantize}. */
    public QatSeparableConvolution2D() {}

    @Override
    public Layer instantiate(
            NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners,
            int index,
            INDArray paramsView,
            boolean initializeParams,
            DataType dataType) {
        return QatLayers.wire(new Impl(conf, dataType), conf, listeners, index, paramsView, initializeParams);
    }

    @Override
    public QatParamInitializer initializer() {
        return new QatParamInitializer(SeparableConvolutionParamInitializer.getInstance());
    }

    @Override
    public IUpdater getUpdaterByParam(String param) {
        return isScale(param) ? weightQuant.getScaleUpdater() : super.getUpdaterByParam(param);
    }

    @Override
    public int[] weightChannelAxes() {
        return new int[] {0, 1};
    }

    @Override
    public long weightChannels() {
        return getNIn() * getDepthMultiplier();
    }

    @Override
    public List<QuantizedWeight> quantizedWeights() {
        return List.of(
                QatWeightLayer.super.quantizedWeights().get(0),
                new QuantizedWeight(
                        SeparableConvolutionParamInitializer.POINT_WISE_WEIGHT_KEY,
                        POINTWISE_SCALE_KEY,
                        weightQuant,
                        0,
                        0,
                        getNOut()));
    }

    @Override
    public QuantizerConfig getWeightQuant() {
        return weightQuant;
    }

    @Override
    public void setWeightQuant(QuantizerConfig weightQuant) {
        this.weightQuant = Objects.requireNonNull(weightQuant, "weightQuant");
    }

    @Override
    public QatSeparableConvolution2D clone() {
        QatSeparableConvolution2D c = (QatSeparableConvolution2D) super.clone();
        c.weightQuant = weightQuant.clone();
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QatSeparableConvolution2D
                && super.equals(o)
                && weightQuant.equals(((QatSeparableConvolution2D) o).weightQuant);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), weightQuant);
    }

    /** DL4J's implementation, with W and pW fake-quantized on the way in and the STE/LSQ gradients on the way out. */
    static final class Impl extends org.deeplearning4j.nn.layers.convolution.SeparableConvolution2DLayer {
        private final FakeQuantWeights weights = new FakeQuantWeights();

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        protected INDArray getParamWithNoise(String param, boolean training, LayerWorkspaceMgr workspaceMgr) {
            return weights.forward(this, param, super.getParamWithNoise(param, training, workspaceMgr), training);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            return weights.backward(this, gradientViews, super.backpropGradient(epsilon, workspaceMgr));
        }
    }
}

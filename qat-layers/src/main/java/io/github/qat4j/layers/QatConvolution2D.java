package io.github.qat4j.layers;

import java.util.Collection;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * QAT version of DL4J's {@link ConvolutionLayer}: a 2D convolution: W is [nOut, nIn, kH, kW], one scale per output channel.
 * Build one from a float configuration with {@code Qat.quantize}.
 */
public class QatConvolution2D extends ConvolutionLayer implements QatWeightLayer {
    private QuantizerConfig weightQuant = QuantizerConfig.weights(8);

    /** For JSON deserialization; use {@code Qat.quantize}. */
    public QatConvolution2D() {}

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
        return new QatParamInitializer(ConvolutionParamInitializer.getInstance());
    }

    @Override
    public IUpdater getUpdaterByParam(String param) {
        return isScale(param) ? weightQuant.getScaleUpdater() : super.getUpdaterByParam(param);
    }

    @Override
    public int[] weightChannelAxes() {
        return new int[] {0, 0};
    }

    @Override
    public long weightChannels() {
        return getNOut();
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
    public QatConvolution2D clone() {
        QatConvolution2D c = (QatConvolution2D) super.clone();
        c.weightQuant = weightQuant.clone();
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QatConvolution2D
                && super.equals(o)
                && weightQuant.equals(((QatConvolution2D) o).weightQuant);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), weightQuant);
    }

    /** DL4J's implementation, with W fake-quantized on the way in and the STE/LSQ gradients on the way out. */
    static final class Impl extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
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

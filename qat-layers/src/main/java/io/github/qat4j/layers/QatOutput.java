package io.github.qat4j.layers;

import java.util.Collection;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * QAT version of DL4J's {@link OutputLayer}: the output layer: W is [nIn, nOut], one scale per output column; the logits stay in float (the int8 runtime dequantizes the int32 accumulators), so the loss sees no output rounding.
 * Build one from a float configuration with {@code Qat.quantize}.
 */
public class QatOutput extends OutputLayer implements QatWeightLayer {
    private QuantizerConfig weightQuant = QuantizerConfig.weights(8);

    /** For JSON deserialization; use {@code Qat.quantize}. */
    public QatOutput() {}

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
        return new QatParamInitializer(DefaultParamInitializer.getInstance());
    }

    @Override
    public IUpdater getUpdaterByParam(String param) {
        return isScale(param) ? weightQuant.getScaleUpdater() : super.getUpdaterByParam(param);
    }

    @Override
    public int[] weightChannelAxes() {
        return new int[] {1, 1};
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
    public QatOutput clone() {
        QatOutput c = (QatOutput) super.clone();
        c.weightQuant = weightQuant.clone();
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QatOutput && super.equals(o) && weightQuant.equals(((QatOutput) o).weightQuant);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), weightQuant);
    }

    /** DL4J's implementation, with W fake-quantized on the way in and the STE/LSQ gradients on the way out. */
    static final class Impl extends org.deeplearning4j.nn.layers.OutputLayer {
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

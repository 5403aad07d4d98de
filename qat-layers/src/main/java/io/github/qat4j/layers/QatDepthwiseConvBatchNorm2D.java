package io.github.qat4j.layers;

import java.util.Collection;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * A depthwise 2D convolution and the BatchNorm after it as one QAT layer, as {@link QatConvBatchNorm2D}
 * is for a full convolution (the usual MobileNet block); {@code Qat.prepare} builds it from a
 * {@code DepthwiseConvolution2D} followed by a {@code BatchNormalization}.
 */
public class QatDepthwiseConvBatchNorm2D extends QatDepthwiseConvolution2D implements FoldsBatchNorm {
    private BatchNormConfig batchNorm = new BatchNormConfig();

    /** For JSON deserialization; use {@code Qat.prepare}. */
    public QatDepthwiseConvBatchNorm2D() {}

    @Override
    public Layer instantiate(
            NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners,
            int index,
            INDArray paramsView,
            boolean initializeParams,
            DataType dataType) {
        return QatLayers.wire(
                new FoldedConvLayer(conf, dataType), conf, listeners, index, paramsView, initializeParams);
    }

    /** Running statistics change by their update rule alone (DL4J's BatchNormalization does the same). */
    @Override
    public IUpdater getUpdaterByParam(String param) {
        return BatchNormFold.MEAN.equals(param) || BatchNormFold.VAR.equals(param)
                ? new NoOp()
                : super.getUpdaterByParam(param);
    }

    @Override
    public BatchNormConfig getBatchNorm() {
        return batchNorm;
    }

    @Override
    public void setBatchNorm(BatchNormConfig batchNorm) {
        this.batchNorm = Objects.requireNonNull(batchNorm, "batchNorm");
    }

    @Override
    public QatDepthwiseConvBatchNorm2D clone() {
        QatDepthwiseConvBatchNorm2D c = (QatDepthwiseConvBatchNorm2D) super.clone();
        c.batchNorm = batchNorm.clone();
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QatDepthwiseConvBatchNorm2D
                && super.equals(o)
                && batchNorm.equals(((QatDepthwiseConvBatchNorm2D) o).batchNorm);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), batchNorm);
    }
}

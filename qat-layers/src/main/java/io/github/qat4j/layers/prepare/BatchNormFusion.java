package io.github.qat4j.layers.prepare;

import io.github.qat4j.layers.BatchNormConfig;
import io.github.qat4j.layers.FoldsBatchNorm;
import io.github.qat4j.layers.QatConvBatchNorm2D;
import io.github.qat4j.layers.QatDepthwiseConvBatchNorm2D;
import io.github.qat4j.layers.QatLayers;
import io.github.qat4j.layers.QatWeightLayer;
import io.github.qat4j.layers.WeightScales;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Which convolution + BatchNormalization pairs {@link Qat#prepare} turns into one
 * {@link FoldsBatchNorm} layer, how it builds that layer, and how the float parameters move into it.
 * The network topology (what reads what) is {@link Qat}'s; this class sees one pair at a time.
 */
final class BatchNormFusion {
    private static final Map<Class<?>, Class<? extends org.deeplearning4j.nn.conf.layers.Layer>> FOLDED_VERSIONS =
            Map.of(
                    ConvolutionLayer.class,
                    QatConvBatchNorm2D.class,
                    DepthwiseConvolution2D.class,
                    QatDepthwiseConvBatchNorm2D.class);

    private BatchNormFusion() {}

    /**
     * Why {@code bn} cannot be folded into {@code producer}, the layer whose output it reads, or null
     * when it can (the caller has checked that nothing else reads that output).
     */
    static String whyNot(org.deeplearning4j.nn.conf.layers.Layer producer, BatchNormalization bn, QatConfig config) {
        if (config.isSkipped(bn.getLayerName())) {
            return "it is skipped";
        }
        if (producer == null || !FOLDED_VERSIONS.containsKey(producer.getClass())) {
            return "it does not directly follow a ConvolutionLayer or DepthwiseConvolution2D"
                    + (producer == null ? "" : " (it follows " + describe(producer) + ")");
        }
        ConvolutionLayer conv = (ConvolutionLayer) producer;
        if (config.isSkipped(conv.getLayerName())) {
            return "the convolution before it, " + describe(conv) + ", is skipped";
        }
        if (!(conv.getActivationFn() instanceof ActivationIdentity)) {
            return "the convolution before it, " + describe(conv) + ", has activation " + conv.getActivationFn()
                    + " and a BatchNorm folds only into a linear convolution: give the convolution the identity "
                    + "and put the activation after the BatchNorm";
        }
        if (bn.isLockGammaBeta()) {
            return "its gamma and beta are locked constants (lockGammaBeta), not parameters";
        }
        if (bn.getCnn2DFormat() != conv.getCnn2dDataFormat()) {
            return "its data format " + bn.getCnn2DFormat() + " differs from the convolution's "
                    + conv.getCnn2dDataFormat();
        }
        return null;
    }

    /** The error for a BatchNorm that stays unfolded, unless the config keeps such layers in float. */
    static void requireFolded(String where, BatchNormalization bn, String why, QatConfig config) {
        if (config.keepsUnsupportedInFloat() || config.isSkipped(bn.getLayerName())) {
            return;
        }
        throw new IllegalArgumentException(where + " (" + QatLayers.name(bn) + ", BatchNormalization) cannot be "
                + "folded: " + why + ". A BatchNorm is folded into the ConvolutionLayer or DepthwiseConvolution2D "
                + "with identity activation directly before it, when nothing else reads that convolution's output. "
                + "Keep it in float with QatConfig.keepUnsupportedInFloat(true), or skip it with QatConfig.skip(name)");
    }

    /**
     * Whether a layer reading the BatchNorm's output becomes the fused layer's activation, so that
     * the output quantizer sits after it (PyTorch's ConvBnReLU2d): an ActivationLayer without dropout.
     */
    static boolean absorbs(org.deeplearning4j.nn.conf.layers.Layer next, QatConfig config) {
        return next instanceof ActivationLayer && next.getIDropout() == null && !config.isSkipped(next.getLayerName());
    }

    /**
     * The QAT layer computing {@code activation(BN(conv(x)))}: the convolution's configuration with
     * the BatchNorm's hyper-parameters, and the activation of {@code activation} (null: identity; DL4J's
     * BatchNormalization applies no activation of its own).
     */
    static BaseLayer fuse(
            ConvolutionLayer conv, BatchNormalization bn, ActivationLayer activation, String where, QatConfig config) {
        BaseLayer fused = Qat.toQat(conv, FOLDED_VERSIONS.get(conv.getClass()), where, config);
        ((FoldsBatchNorm) fused)
                .setBatchNorm(new BatchNormConfig(bn.getEps(), bn.getDecay(), config.batchNormFreezeEpoch()));
        if (activation != null) {
            fused.setActivationFn(activation.getActivationFn());
        }
        return fused;
    }

    /**
     * Copies W and b of the convolution and gamma, beta and the running statistics of the BatchNorm
     * (its variance from log10(std) when it stores that) into the fused layer.
     */
    static void copyParams(Layer conv, Layer bn, Layer fused) {
        Map<String, INDArray> p = bn.paramTable();
        // var = (10^log10(std))^2 = exp(2 ln(10) log10(std))
        INDArray var = p.containsKey(BatchNormalizationParamInitializer.GLOBAL_VAR)
                ? p.get(BatchNormalizationParamInitializer.GLOBAL_VAR)
                : Transforms.exp(
                        p.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).mul(2 * Math.log(10)), false);
        Qat.assign(conv.paramTable(), fused);
        // The folded layer keeps the BatchNorm's parameter names.
        Qat.assign(
                Map.of(
                        BatchNormalizationParamInitializer.GAMMA,
                        p.get(BatchNormalizationParamInitializer.GAMMA),
                        BatchNormalizationParamInitializer.BETA,
                        p.get(BatchNormalizationParamInitializer.BETA),
                        BatchNormalizationParamInitializer.GLOBAL_MEAN,
                        p.get(BatchNormalizationParamInitializer.GLOBAL_MEAN),
                        BatchNormalizationParamInitializer.GLOBAL_VAR,
                        var),
                fused);
        WeightScales.reset((QatWeightLayer) fused.conf().getLayer(), fused.paramTable());
    }

    private static String describe(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return QatLayers.name(layer) + " (" + layer.getClass().getSimpleName() + ")";
    }
}

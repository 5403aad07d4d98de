package io.github.qat4j.layers;

import io.github.qat4j.layers.QatWeightLayer.QuantizedWeight;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The BatchNorm fold, in one place for the forward pass, the backward pass and the exporter
 * (Jacob et al. 2018, "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
 * Inference", section 3.2; PyTorch's {@code torch/ao/nn/intrinsic/qat/modules/conv_fused.py}). With the
 * running statistics and per output channel {@code c}:
 * <pre>
 *   k_c      = gamma_c / sqrt(runningVar_c + eps)
 *   W_fold   = W * k_c                                  (the tensor that is fake-quantized)
 *   b_fold_c = beta_c + (b_c - runningMean_c) * k_c     (b = 0 for a convolution without bias)
 * </pre>
 * so that {@code BN(conv(x, W) + b) = conv(x, W_fold) + b_fold} at inference.
 */
final class BatchNormFold {
    /** DL4J's BatchNormalization parameter names, so that a BatchNorm's parameters copy by name. */
    static final String GAMMA = BatchNormalizationParamInitializer.GAMMA;

    static final String BETA = BatchNormalizationParamInitializer.BETA;
    static final String MEAN = BatchNormalizationParamInitializer.GLOBAL_MEAN;
    static final String VAR = BatchNormalizationParamInitializer.GLOBAL_VAR;
    static final List<String> KEYS = List.of(GAMMA, BETA, MEAN, VAR);

    private static final String BIAS = "b";

    private BatchNormFold() {}

    /** {@code k = gamma / sqrt(runningVar + eps)}, one per output channel, rank 1. */
    static INDArray factor(Map<String, INDArray> params, BatchNormConfig bn) {
        INDArray gamma = vector(params.get(GAMMA));
        return gamma.div(Transforms.sqrt(vector(params.get(VAR)).add(bn.getEps()), false));
    }

    /** {@code W_fold} of the layer's parameters. */
    static INDArray weight(QuantizedWeight t, Map<String, INDArray> params, BatchNormConfig bn) {
        return weight(t, params.get(t.key()), factor(params, bn));
    }

    /** {@code W_fold = W * k}, each output channel of {@code w} times its factor; a new array. */
    static INDArray weight(QuantizedWeight t, INDArray w, INDArray k) {
        return perOutputChannel(t, w, k);
    }

    /** {@code b_fold = beta + (b - runningMean) * k}, rank 1. */
    static INDArray bias(Map<String, INDArray> params, INDArray k) {
        INDArray shifted = vector(params.get(MEAN)).neg();
        if (params.containsKey(BIAS)) {
            shifted.addi(vector(params.get(BIAS)));
        }
        return shifted.muli(k).addi(vector(params.get(BETA)));
    }

    /**
     * The chain rule through {@code W_fold = W * k}: writes {@code dL/dW = dL/dW_fold * k} into the
     * gradient of W and returns this path's {@code dL/dk}, {@code sum(dL/dW_fold * W)} per channel.
     */
    static INDArray weightBackward(
            QuantizedWeight t, INDArray w, INDArray k, INDArray gradFold, Map<String, INDArray> gradients) {
        gradients.get(t.key()).assign(perOutputChannel(t, gradFold, k));
        return gradFold.mul(w).reshape('c', byOutputChannel(t, w.shape())).sum(0, 2);
    }

    /**
     * The chain rule through {@code b_fold}, given {@code g = dL/db_fold}: writes {@code dL/dbeta = g}
     * and {@code dL/db = g * k} into the gradients and returns this path's
     * {@code dL/dk = g * (b - runningMean)}.
     */
    static INDArray biasBackward(
            Map<String, INDArray> params, INDArray k, INDArray g, Map<String, INDArray> gradients) {
        gradients.get(BETA).assign(g.reshape(gradients.get(BETA).shape()));
        INDArray shifted = vector(params.get(MEAN)).neg();
        if (params.containsKey(BIAS)) {
            gradients.get(BIAS).assign(g.mul(k).reshape(gradients.get(BIAS).shape()));
            shifted.addi(vector(params.get(BIAS)));
        }
        return shifted.muli(g);
    }

    /** The chain rule through {@code k = gamma / sqrt(runningVar + eps)}: {@code dL/dgamma} from {@code dL/dk}. */
    static INDArray gammaGradient(Map<String, INDArray> params, INDArray gradK, BatchNormConfig bn) {
        return gradK.div(Transforms.sqrt(vector(params.get(VAR)).add(bn.getEps()), false));
    }

    /** A parameter as a rank-1 vector (DL4J keeps some as [1, n]). */
    static INDArray vector(INDArray p) {
        return p.reshape(p.length());
    }

    private static INDArray perOutputChannel(QuantizedWeight t, INDArray w, INDArray k) {
        INDArray w3 = w.dup('c').reshape('c', byOutputChannel(t, w.shape()));
        Nd4j.getExecutioner().exec(new BroadcastMulOp(w3, k, w3, 1));
        return w3.reshape('c', w.shape());
    }

    /** [outer, channels, inner]: the shape of {@code w} grouped by output channel. */
    private static long[] byOutputChannel(QuantizedWeight t, long[] shape) {
        return new long[] {
            Tensors.product(shape, 0, t.firstChannelAxis() - 1),
            Tensors.product(shape, t.firstChannelAxis(), t.lastChannelAxis()),
            Tensors.product(shape, t.lastChannelAxis() + 1, shape.length - 1)
        };
    }
}

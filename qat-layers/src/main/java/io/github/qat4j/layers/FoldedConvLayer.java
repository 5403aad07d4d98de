package io.github.qat4j.layers;

import io.github.qat4j.layers.QatWeightLayer.QuantizedWeight;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.BaseBroadcastOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import static io.github.qat4j.layers.BatchNormFold.BETA;
import static io.github.qat4j.layers.BatchNormFold.GAMMA;
import static io.github.qat4j.layers.BatchNormFold.MEAN;
import static io.github.qat4j.layers.BatchNormFold.VAR;
import static io.github.qat4j.layers.BatchNormFold.vector;

/**
 * The implementation of a convolution with a folded BatchNorm ({@link QatConvBatchNorm2D},
 * {@link QatDepthwiseConvBatchNorm2D}), in two modes (see {@link BatchNormFold} for {@code k},
 * {@code W_fold}, {@code b_fold}):
 * <ul>
 *   <li><b>folded</b>, at inference and in training once the statistics are frozen:
 *       {@code y = act(conv(x, fq(W_fold)) + b_fold)}, what the exported int8 model computes;</li>
 *   <li><b>batch statistics</b>, in training before the freeze, PyTorch's {@code _forward_approximate}:
 *       {@code z = conv(x, fq(W_fold)) / k + b}, then BatchNorm of {@code z} with its batch mean and
 *       (biased) variance, then the activation; the running statistics follow the batch ones. Dividing
 *       by {@code k} undoes the running-statistics scaling that the quantizer saw, so the batch
 *       normalisation is exact while the weights are quantized on the grid they will be exported on.</li>
 * </ul>
 * The backward pass is written out by hand: the straight-through estimator on {@code W_fold}, then the
 * chain rule to {@code W}, {@code b}, {@code gamma}, {@code beta}. The running statistics are updated as
 * DL4J's BatchNormalization does, through their gradient slot and a NoOp updater
 * ({@code mean <- mean - (1 - decay) * (mean - batchMean)}), so gradient sharing and parameter
 * averaging carry them.
 */
final class FoldedConvLayer extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
    FoldedConvLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** What the forward pass computed; the batch-statistics fields are null in the folded mode. */
    private record Pass(INDArray x, INDArray w, INDArray k, INDArray wFold, INDArray wq, INDArray u,
                        INDArray batchMean, INDArray batchVar, INDArray batchStd, INDArray zHat,
                        INDArray preActivation) {
        boolean batchStatistics() {
            return zHat != null;
        }
    }

    @FunctionalInterface
    private interface Broadcast {
        BaseBroadcastOp op(INDArray x, INDArray y, INDArray z, int... dimensions);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray y = forward(training, workspaceMgr).preActivation();
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, layerConf().getActivationFn().getActivation(y, training));
    }

    private Pass forward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        validateInputRank();
        validateInputDepth(layerConf().getNIn());
        FoldsBatchNorm fold = (FoldsBatchNorm) conf.getLayer();
        BatchNormConfig bn = fold.getBatchNorm();
        QuantizedWeight t = fold.quantizedWeights().get(0);
        INDArray x = input.castTo(dataType);
        INDArray w = getParamWithNoise(t.key(), training, workspaceMgr);
        INDArray k = BatchNormFold.factor(params, bn);
        INDArray wFold = BatchNormFold.weight(t, w, k);
        INDArray wq = WeightScales.forward(t, wFold, getParam(t.scaleKey()), getIterationCount(), training);
        INDArray u = ConvOps.forward(layerConf(), x, wq);
        if (!training || bn.isFrozen(getEpochCount())) {
            INDArray y = channelwise(BroadcastAddOp::new, u, BatchNormFold.bias(params, k), true);
            return new Pass(x, w, k, wFold, wq, u, null, null, null, null, y);
        }
        INDArray z = channelwise(BroadcastDivOp::new, u, k, false);
        if (params.containsKey(BIAS)) {
            channelwise(BroadcastAddOp::new, z, vector(getParam(BIAS)), true);
        }
        int[] dims = reductionDims();
        INDArray mean = z.mean(dims);
        INDArray var = z.var(false, dims);
        INDArray std = Transforms.sqrt(var.add(bn.getEps()), false);
        INDArray zHat = channelwise(BroadcastDivOp::new, channelwise(BroadcastSubOp::new, z, mean, true), std, true);
        INDArray y = channelwise(BroadcastMulOp::new, zHat, vector(getParam(GAMMA)), false);
        channelwise(BroadcastAddOp::new, y, vector(getParam(BETA)), true);
        return new Pass(x, w, k, wFold, wq, u, mean, var, std, zHat, y);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        FoldsBatchNorm fold = (FoldsBatchNorm) conf.getLayer();
        BatchNormConfig bn = fold.getBatchNorm();
        QuantizedWeight t = fold.quantizedWeights().get(0);
        Pass p = forward(true, workspaceMgr);
        INDArray gradY = layerConf().getActivationFn().backprop(p.preActivation(), epsilon.castTo(dataType)).getFirst();
        int[] dims = reductionDims();
        INDArray gradU;
        INDArray gradK;
        INDArray gradGamma;
        if (p.batchStatistics()) {
            INDArray gamma = vector(getParam(GAMMA));
            gradientViews.get(BETA).assign(gradY.sum(dims).reshape(gradientViews.get(BETA).shape()));
            gradGamma = gradY.mul(p.zHat()).sum(dims);
            // Ioffe & Szegedy 2015, with batch statistics: dz = (dzHat - mean(dzHat) - zHat * mean(dzHat * zHat)) / std.
            INDArray gradZHat = channelwise(BroadcastMulOp::new, gradY, gamma, false);
            INDArray meanGradZHat = gradZHat.mean(dims);
            INDArray meanGradZHatZHat = gradZHat.mul(p.zHat()).mean(dims);
            INDArray gradZ = channelwise(BroadcastSubOp::new, gradZHat, meanGradZHat, true)
                    .subi(channelwise(BroadcastMulOp::new, p.zHat(), meanGradZHatZHat, false));
            channelwise(BroadcastDivOp::new, gradZ, p.batchStd(), true);
            if (params.containsKey(BIAS)) {
                gradientViews.get(BIAS).assign(gradZ.sum(dims).reshape(gradientViews.get(BIAS).shape()));
            }
            // z = u / k + b: dL/du = dL/dz / k and dL/dk = -sum(dL/dz * u) / k^2.
            gradU = channelwise(BroadcastDivOp::new, gradZ, p.k(), false);
            gradK = gradZ.mul(p.u()).sum(dims).divi(p.k()).divi(p.k()).negi();
            double momentum = 1 - bn.getDecay();
            gradientViews.get(MEAN).assign(vector(getParam(MEAN)).sub(p.batchMean()).muli(momentum)
                    .reshape(gradientViews.get(MEAN).shape()));
            gradientViews.get(VAR).assign(vector(getParam(VAR)).sub(p.batchVar()).muli(momentum)
                    .reshape(gradientViews.get(VAR).shape()));
        } else {
            gradU = gradY;
            gradK = BatchNormFold.biasBackward(params, p.k(), gradY.sum(dims), gradientViews);
            gradGamma = null;
            gradientViews.get(MEAN).assign(0);
            gradientViews.get(VAR).assign(0);
        }
        INDArray[] conv = ConvOps.backward(layerConf(), p.x(), p.wq(), gradU);
        INDArray gradFold = conv[1];
        WeightScales.backward(t, p.wFold(), getParam(t.scaleKey()), gradFold, gradientViews.get(t.scaleKey()),
                getIterationCount());
        gradK.addi(BatchNormFold.weightBackward(t, p.w(), p.k(), gradFold, gradientViews));
        INDArray gradGammaThroughK = BatchNormFold.gammaGradient(params, gradK, bn);
        gradientViews.get(GAMMA).assign((gradGamma == null ? gradGammaThroughK : gradGamma.addi(gradGammaThroughK))
                .reshape(gradientViews.get(GAMMA).shape()));

        Gradient gradient = new DefaultGradient();
        for (String key : conf.getLayer().initializer().paramKeys(conf.getLayer())) {
            gradient.setGradientFor(key, gradientViews.get(key), 'c');
        }
        weightNoiseParams.clear();
        INDArray epsilonOut = backpropDropOutIfPresent(conv[0]);
        return new Pair<>(gradient, workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, epsilonOut));
    }

    /** The running statistics' gradient slot holds their update, which must not be averaged over the batch. */
    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return !MEAN.equals(paramName) && !VAR.equals(paramName);
    }

    private int channelAxis() {
        return layerConf().getCnn2dDataFormat() == CNN2DFormat.NCHW ? 1 : 3;
    }

    private int[] reductionDims() {
        return layerConf().getCnn2dDataFormat() == CNN2DFormat.NCHW ? new int[] {0, 2, 3} : new int[] {0, 1, 2};
    }

    /** {@code x op v} with the per-channel vector {@code v} broadcast along the channel axis. */
    private INDArray channelwise(Broadcast op, INDArray x, INDArray v, boolean inPlace) {
        INDArray out = inPlace ? x : x.ulike();
        Nd4j.getExecutioner().exec(op.op(x, v, out, channelAxis()));
        return out;
    }

    private static final String BIAS = "b";
}

package io.github.qat4j.layers;

import static io.github.qat4j.layers.BatchNormFold.BETA;
import static io.github.qat4j.layers.BatchNormFold.GAMMA;
import static io.github.qat4j.layers.BatchNormFold.MEAN;
import static io.github.qat4j.layers.BatchNormFold.VAR;
import static io.github.qat4j.layers.BatchNormFold.vector;

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
import org.nd4j.linalg.factory.Nd4j;

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

    /**
     * What a training forward pass leaves for the backward pass, as Java arrays (ND4J arrays made in
     * the forward pass may live in a workspace that DL4J has recycled by then): the input it saw,
     * the output shape, the pre-activation {@code y}, and in the batch-statistics mode {@code zHat} and the statistics.
     */
    private record Pass(
            INDArray input,
            long[] shape,
            double[] preActivation,
            double[] zHat,
            double[] batchMean,
            double[] batchVar,
            double[] batchStd) {
        boolean batchStatistics() {
            return zHat != null;
        }
    }

    /** The weights of one pass: {@code W}, the factor {@code k}, {@code W_fold} and its fake-quantized {@code wq}. */
    private record Weights(INDArray w, INDArray k, INDArray wFold, INDArray wq) {}

    private Pass training;
    private final Tensors.Copies copies = new Tensors.Copies();

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        Pass p = forward(training, weights(training, workspaceMgr));
        this.training = training ? p : null;
        INDArray y = Tensors.inWorkspace(p.preActivation(), p.shape(), dataType, workspaceMgr, ArrayType.ACTIVATIONS);
        return workspaceMgr.leverageTo(
                ArrayType.ACTIVATIONS, layerConf().getActivationFn().getActivation(y, training));
    }

    private Weights weights(boolean training, LayerWorkspaceMgr workspaceMgr) {
        FoldsBatchNorm fold = (FoldsBatchNorm) conf.getLayer();
        QuantizedWeight t = fold.quantizedWeights().get(0);
        INDArray w = getParamWithNoise(t.key(), training, workspaceMgr);
        INDArray k = BatchNormFold.factor(params, fold.getBatchNorm());
        INDArray wFold = BatchNormFold.weight(t, w, k);
        INDArray wq = WeightScales.forward(t, wFold, getParam(t.scaleKey()), getIterationCount(), training, copies);
        return new Weights(w, k, wFold, wq);
    }

    private Pass forward(boolean training, Weights weights) {
        validateInputRank();
        validateInputDepth(layerConf().getNIn());
        BatchNormConfig bn = ((FoldsBatchNorm) conf.getLayer()).getBatchNorm();
        INDArray u = ConvOps.forward(layerConf(), input.castTo(dataType), weights.wq());
        double[] y = copies.doubles("preActivation", u);
        ChannelNorm view = view(u.shape());
        double[] k = weights.k().toDoubleVector();
        if (!training || bn.isFrozen(getEpochCount())) {
            view.addBias(y, BatchNormFold.bias(params, weights.k()).toDoubleVector());
            return new Pass(input, u.shape(), y, null, null, null, null);
        }
        double[] b = params.containsKey(BIAS) ? vector(getParam(BIAS)).toDoubleVector() : new double[view.channels];
        double[] mean = new double[view.channels];
        double[] var = new double[view.channels];
        view.moments(y, k, b, mean, var);
        double[] std = new double[view.channels];
        for (int c = 0; c < std.length; c++) {
            std[c] = Math.sqrt(var[c] + bn.getEps());
        }
        double[] zHat = copies.doubles("zHat", y.length);
        view.normalize(
                y,
                k,
                b,
                mean,
                std,
                vector(getParam(GAMMA)).toDoubleVector(),
                vector(getParam(BETA)).toDoubleVector(),
                zHat,
                y);
        return new Pass(input, u.shape(), y, zHat, mean, var, std);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        FoldsBatchNorm fold = (FoldsBatchNorm) conf.getLayer();
        BatchNormConfig bn = fold.getBatchNorm();
        QuantizedWeight t = fold.quantizedWeights().get(0);
        Weights weights = weights(true, workspaceMgr);
        // The pass activate(true) kept for this input; a caller that backpropagates without it gets one computed.
        Pass p = training != null && training.input() == input ? training : forward(true, weights);
        training = null;
        INDArray preActivation =
                Tensors.inWorkspace(p.preActivation(), p.shape(), dataType, workspaceMgr, ArrayType.BP_WORKING_MEM);
        double[] gradY = copies.doubles(
                "gradient",
                layerConf()
                        .getActivationFn()
                        .backprop(preActivation, epsilon.castTo(dataType))
                        .getFirst());
        ChannelNorm view = view(epsilon.shape());
        int channels = view.channels;
        double[] k = weights.k().toDoubleVector();
        double[] sumGradY = new double[channels];
        double[] sumGradYZHat = p.batchStatistics() ? new double[channels] : null;
        view.sums(gradY, p.zHat(), sumGradY, sumGradYZHat);
        INDArray gradK;
        INDArray gradGamma;
        if (p.batchStatistics()) {
            assign(BETA, sumGradY);
            gradGamma = vectorOf(sumGradYZHat);
            double[] sumGradZ = new double[channels];
            double[] sumGradZZHat = new double[channels];
            view.batchNormBackward(
                    gradY,
                    p.zHat(),
                    vector(getParam(GAMMA)).toDoubleVector(),
                    p.batchStd(),
                    k,
                    sumGradY,
                    sumGradYZHat,
                    gradY,
                    sumGradZ,
                    sumGradZZHat);
            double[] b = params.containsKey(BIAS) ? vector(getParam(BIAS)).toDoubleVector() : new double[channels];
            if (params.containsKey(BIAS)) {
                assign(BIAS, sumGradZ);
            }
            // z = u / k + b and u = k * (z - b) = k * (mean - b + std * zHat):
            // dL/dk = -sum(dL/dz * u) / k^2 = -((mean - b) * sum(dL/dz) + std * sum(dL/dz * zHat)) / k.
            double[] dk = new double[channels];
            double[] meanUpdate = new double[channels];
            double[] varUpdate = new double[channels];
            double[] runningMean = vector(getParam(MEAN)).toDoubleVector();
            double[] runningVar = vector(getParam(VAR)).toDoubleVector();
            double momentum = 1 - bn.getDecay();
            for (int c = 0; c < channels; c++) {
                dk[c] = -((p.batchMean()[c] - b[c]) * sumGradZ[c] + p.batchStd()[c] * sumGradZZHat[c]) / k[c];
                meanUpdate[c] = (runningMean[c] - p.batchMean()[c]) * momentum;
                varUpdate[c] = (runningVar[c] - p.batchVar()[c]) * momentum;
            }
            gradK = vectorOf(dk);
            assign(MEAN, meanUpdate);
            assign(VAR, varUpdate);
        } else {
            gradK = BatchNormFold.biasBackward(params, weights.k(), vectorOf(sumGradY), gradientViews);
            gradGamma = null;
            gradientViews.get(MEAN).assign(0);
            gradientViews.get(VAR).assign(0);
        }
        INDArray gradU = Tensors.inWorkspace(gradY, p.shape(), dataType, workspaceMgr, ArrayType.BP_WORKING_MEM);
        INDArray[] conv = ConvOps.backward(layerConf(), input.castTo(dataType), weights.wq(), gradU);
        INDArray gradFold = conv[1];
        WeightScales.backward(
                t,
                weights.wFold(),
                getParam(t.scaleKey()),
                gradFold,
                gradientViews.get(t.scaleKey()),
                getIterationCount(),
                copies);
        gradK.addi(BatchNormFold.weightBackward(t, weights.w(), weights.k(), gradFold, gradientViews));
        INDArray gradGammaThroughK = BatchNormFold.gammaGradient(params, gradK, bn);
        gradientViews
                .get(GAMMA)
                .assign((gradGamma == null ? gradGammaThroughK : gradGamma.addi(gradGammaThroughK))
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

    /** The output tensor as {@code [outer][channels][inner]} in the layer's data format. */
    private ChannelNorm view(long[] shape) {
        return layerConf().getCnn2dDataFormat() == CNN2DFormat.NCHW
                ? new ChannelNorm(
                        Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), Math.toIntExact(shape[2] * shape[3]))
                : new ChannelNorm(Math.toIntExact(shape[0] * shape[1] * shape[2]), Math.toIntExact(shape[3]), 1);
    }

    private void assign(String key, double[] values) {
        gradientViews
                .get(key)
                .assign(vectorOf(values).reshape(gradientViews.get(key).shape()));
    }

    private INDArray vectorOf(double[] values) {
        return Nd4j.createFromArray(values).castTo(dataType);
    }

    private static final String BIAS = "b";
}
